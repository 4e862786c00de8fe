"""Lineage over a finished run's store: links, a digest of them, seconds and peak RSS.

    .venv/bin/python bench/lineage_store.py OUT/store

Runs the step a run ends with (every link found, the lineage graph in parts, each part as
N-Quads) on a store opened read-only, so two versions of the code can be compared on the
same store: run it a second time with PYTHONPATH set to a checkout of the other version.
The digest covers (derived, source, similarity, basis) of every link, sorted, so equal
digests mean equal links.
"""

from __future__ import annotations

import hashlib
import resource
import sys
import time
from pathlib import Path

from pyoxigraph import Store
from rdflib import Graph, Literal
from rdflib.namespace import PROV

from etl.config import Settings
from etl.lineage import lineage_from_store
from etl.rdf import CKG
from etl.work import nquad_lines


def main(store_dir: Path) -> None:
    store = Store.read_only(str(store_dir))
    start = time.perf_counter()
    links, nquad_bytes = [], 0
    parts = lineage_from_store(store, Settings())
    if isinstance(parts, Graph):  # the code before f50583f returned one graph
        parts = [parts]
    for part in parts:
        nquad_bytes += len(b"".join(nquad_lines(part)))
        for node, source in part.subject_objects(PROV.entity):
            derived = part.value(predicate=PROV.qualifiedDerivation, object=node)
            similarity = part.value(node, CKG.similarity)
            basis = part.value(node, CKG.lineageBasis)
            assert isinstance(similarity, Literal)
            links.append((str(derived), str(source), str(similarity), str(basis)))
    seconds = time.perf_counter() - start
    digest = hashlib.sha256(repr(sorted(links)).encode()).hexdigest()[:16]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(links)} links, digest {digest}, {nquad_bytes} bytes of N-Quads,"
        f" {seconds:.1f} s, peak RSS {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
