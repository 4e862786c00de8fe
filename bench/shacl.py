"""Per-article SHACL: one plain pySHACL run vs `validate_graph`, side by side in one run.

Runs the pipeline over a folder (default: examples/), then validates each
article's graph with the entities it references three ways, interleaved, several
times: plain pySHACL, `validate_graph` with the shapes as written only, and
`validate_graph` with its quick test first. It prints the median milliseconds per
article of each way and their ratios, and checks that the ways report the same
violations.

Usage: python bench/shacl.py [--corpus examples] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rdflib import Graph  # noqa: E402

from etl.config import Settings  # noqa: E402
from etl.pipeline import run_pipeline  # noqa: E402
from etl.rdf import referenced_entities  # noqa: E402
from etl.validate import (  # noqa: E402
    ENTITIES_GRAPH_SUFFIX,
    ValidationResult,
    read_dataset,
    validate_graph,
    validate_with_pyshacl,
    with_entities,
)


def article_graphs(corpus: Path) -> list[Graph]:
    with tempfile.TemporaryDirectory() as out:
        run_pipeline([corpus], Path(out), Settings())
        graphs = [g for g in read_dataset(Path(out) / "graph.trig").graphs() if len(g)]
    entities = next(g for g in graphs if str(g.identifier).endswith(ENTITIES_GRAPH_SUFFIX))
    return [with_entities(g, entities, referenced_entities(g)) for g in graphs if g is not entities]


def ms_per_article(validate: Callable[[Graph], ValidationResult], graphs: list[Graph]) -> float:
    clock = time.perf_counter()
    for graph in graphs:
        validate(graph)
    return (time.perf_counter() - clock) * 1000 / len(graphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "examples")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    graphs = article_graphs(args.corpus)
    for graph in graphs:  # warm caches (shapes, prepared queries) and check equality
        plain = validate_with_pyshacl(graph).violations
        assert validate_graph(graph).violations == plain
        assert validate_graph(graph, quick=False).violations == plain
    plain, written, new = [], [], []
    for _ in range(args.repeats):
        plain.append(ms_per_article(validate_with_pyshacl, graphs))
        written.append(ms_per_article(partial(validate_graph, quick=False), graphs))
        new.append(ms_per_article(validate_graph, graphs))
    triples = statistics.mean(len(g) for g in graphs)
    p, w, n = (statistics.median(times) for times in (plain, written, new))
    print(f"{len(graphs)} articles, {triples:.0f} triples each on average, {args.repeats} repeats")
    print(f"plain pySHACL (all shapes)                 {p:7.1f} ms/article")
    print(f"validate_graph, the shapes as written only {w:7.1f} ms/article")
    print(f"validate_graph (quick test first)          {n:7.1f} ms/article")
    print(f"speed-up over plain pySHACL                {p / n:7.2f}x")
    print(f"speed-up of the quick test                 {w / n:7.2f}x")


if __name__ == "__main__":
    main()
