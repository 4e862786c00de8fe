"""Serialisations of the store, written atomically (temporary file, then rename).

| format | what                                              | written by |
| ------ | ------------------------------------------------- | ---------- |
| trig   | every named graph                                 | Oxigraph   |
| nq     | every named graph as N-Quads, lines sorted        | Oxigraph   |
| ttl    | the union of all graphs, prefixed and readable    | Oxigraph   |
| nt     | the union of all graphs as N-Triples, sorted      | Oxigraph   |
| jsonld | every named graph as JSON-LD                      | Oxigraph   |

Whole-store exports come from Oxigraph, which writes large graphs about a
thousand times faster than rdflib's pretty printer.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import RdfFormat, Store, Triple, serialize

from .errors import CkgError
from .rdf import PREFIXES

ID_PREFIX = ("id", "https://w3id.org/conflict-kg/id/")
PREFIX_MAP = {name: str(namespace) for name, namespace in PREFIXES.items()} | dict([ID_PREFIX])


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A stream whose bytes replace `path` only when the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the output gets the mode the file it
        # replaces had, else the one a plain open() would give it
        os.chmod(temporary, _mode_of(path))
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


@cache
def _umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(current)
    return current


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the new one."""
    with atomic_output(path) as stream:
        stream.write(data)


_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def _union_triples(store: Store) -> list[Triple]:
    return list(store.query(_UNION))  # type: ignore[arg-type]


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted(set(data.splitlines(keepends=True)))
    return b"".join(lines)


def _trig(store: Store) -> bytes:
    return store.dump(format=RdfFormat.TRIG, prefixes=PREFIX_MAP) or b""


def _nquads(store: Store) -> bytes:
    return _sorted_lines(store.dump(format=RdfFormat.N_QUADS) or b"")


def _turtle(store: Store) -> bytes:
    return serialize(_union_triples(store), format=RdfFormat.TURTLE, prefixes=PREFIX_MAP) or b""


def _ntriples(store: Store) -> bytes:
    return _sorted_lines(serialize(_union_triples(store), format=RdfFormat.N_TRIPLES) or b"")


def _jsonld(store: Store) -> bytes:
    return store.dump(format=RdfFormat.JSON_LD, prefixes=PREFIX_MAP) or b""


EXPORTERS: dict[str, Callable[[Store], bytes]] = {
    "trig": _trig,
    "nq": _nquads,
    "ttl": _turtle,
    "nt": _ntriples,
    "jsonld": _jsonld,
}


def _stream_trig(store: Store, out: BinaryIO) -> None:
    store.dump(out, format=RdfFormat.TRIG, prefixes=PREFIX_MAP)


def _stream_turtle(store: Store, out: BinaryIO) -> None:
    triples = store.query(_UNION)
    serialize(triples, out, format=RdfFormat.TURTLE, prefixes=PREFIX_MAP)  # type: ignore[arg-type]


def _stream_jsonld(store: Store, out: BinaryIO) -> None:
    store.dump(out, format=RdfFormat.JSON_LD, prefixes=PREFIX_MAP)


# Formats Oxigraph writes straight to a file, so a store of any size dumps in flat memory.
# N-Quads and N-Triples are sorted, for stable diffs, so they are built in memory.
STREAMED: dict[str, Callable[[Store, BinaryIO], None]] = {
    "trig": _stream_trig,
    "ttl": _stream_turtle,
    "jsonld": _stream_jsonld,
}


def write_export(store: Store, fmt: str, path: Path) -> None:
    """The store in `fmt`, written atomically to `path`; streamed for the STREAMED formats."""
    if fmt not in STREAMED:
        atomic_write(path, export_store(store, fmt))
        return
    with atomic_output(path) as stream:
        STREAMED[fmt](store, stream)


def export_store(store: Store, fmt: str) -> bytes:
    """The store serialised in `fmt` (one of EXPORTERS)."""
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        raise CkgError(
            f"unknown export format {fmt!r}; use one of {', '.join(EXPORTERS)}"
        ) from None
    return exporter(store)
