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

import heapq
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import cache, partial
from pathlib import Path
from typing import BinaryIO, cast

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, RdfFormat, Store, Triple, serialize

from .errors import CkgError
from .rdf import PREFIXES

ID_PREFIX = ("id", "https://w3id.org/conflict-kg/id/")
PREFIX_MAP = {name: str(namespace) for name, namespace in PREFIXES.items()} | dict([ID_PREFIX])


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` that replaces it, synced to disk, only when the
    block ends without an error; for writers that take a file name, not a stream."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        # mkstemp makes the file private (0600); the output gets the mode the file it
        # replaces had, else the one a plain open() would give it
        os.chmod(temporary, _mode_of(path))
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A stream whose bytes replace `path` only when the block ends without an error."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        yield stream


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


def _union(store: Store) -> Iterator[Triple]:
    """The triples of every named graph, one graph after another.

    Not Oxigraph's CONSTRUCT of the union: it keeps every triple it has written, to
    leave out repeats, so its memory grows with the store (772 MiB of the 796 a Turtle
    export of 10,000 generated dispatches took; 195 MiB this way, the same bytes). A
    triple stated in two graphs is written twice, which reads back as the same graph;
    N-Triples leave out the repeat when they are sorted.
    """
    for graph in store.named_graphs():
        yield from graph_triples(store, graph)


def graph_triples(store: Store, graph: NamedNode | BlankNode | DefaultGraph) -> Iterator[Triple]:
    """The triples of one graph of the store, read as they are asked for."""
    for quad in store.quads_for_pattern(None, None, None, graph):
        yield quad.triple


# N-Quads and N-Triples are written sorted, without repeats, so two dumps of the same
# graph diff cleanly. A store of any size is sorted in bounded memory and one copy of
# disk: the lines Oxigraph writes are sorted in runs of this many bytes, each run goes
# to a file, and the runs are merged (a few at a time, when there are many).
SORT_RUN_BYTES = 64 * 2**20
SORT_RUNS = 128  # runs merged at once: each is an open file


class _SortedRuns:
    """A stream to write lines to; they come back sorted, in runs on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pending = bytearray()
        self.runs: list[Path] = []
        self.made = 0  # runs made so far, merged ones too: each its own file name

    def write(self, data: bytes) -> int:
        self.pending += data
        if len(self.pending) >= SORT_RUN_BYTES:
            self._spill(self.pending.rfind(b"\n") + 1)  # whole lines only
        return len(data)

    def flush(self) -> None:
        """Oxigraph flushes what it writes; the runs are made by `write` and `finish`."""

    def finish(self) -> list[Path]:
        self._spill(len(self.pending))
        while len(self.runs) > SORT_RUNS:  # merge the runs a group at a time first
            groups = [self.runs[i : i + SORT_RUNS] for i in range(0, len(self.runs), SORT_RUNS)]
            self.runs = [self._merged(group) for group in groups]
        return self.runs

    def _spill(self, end: int) -> None:
        lines = bytes(self.pending[:end]).splitlines(keepends=True)
        del self.pending[:end]
        if lines:
            run = self._new_run()
            run.write_bytes(b"".join(sorted(set(lines))))
            self.runs.append(run)

    def _merged(self, group: list[Path]) -> Path:
        run = self._new_run()
        with run.open("wb") as out:
            _merge(group, out)
        for old in group:
            old.unlink()
        return run

    def _new_run(self) -> Path:
        self.made += 1
        return self.folder / f"run-{self.made}"


def _merge(runs: list[Path], out: BinaryIO) -> None:
    """The sorted runs as one sorted stream, each line once."""
    with ExitStack() as files:
        previous = None
        for line in heapq.merge(*(files.enter_context(run.open("rb")) for run in runs)):
            if line != previous:
                out.write(line)
                previous = line


def _write_sorted(write_lines: Callable[[BinaryIO], None], out: BinaryIO) -> None:
    """What `write_lines` writes, sorted line by line and without repeats, into `out`."""
    with tempfile.TemporaryDirectory() as folder:
        runs = _SortedRuns(Path(folder))
        write_lines(cast(BinaryIO, runs))
        _merge(runs.finish(), out)


def _stream_nquads(store: Store, out: BinaryIO) -> None:
    def every_quad(stream: BinaryIO) -> None:
        store.dump(stream, format=RdfFormat.N_QUADS)

    _write_sorted(every_quad, out)


def _stream_ntriples(store: Store, out: BinaryIO) -> None:
    def union(stream: BinaryIO) -> None:
        serialize(_union(store), stream, format=RdfFormat.N_TRIPLES)

    _write_sorted(union, out)


def _stream_turtle(store: Store, out: BinaryIO) -> None:
    serialize(_union(store), out, format=RdfFormat.TURTLE, prefixes=PREFIX_MAP)


# Formats Oxigraph dumps by itself, every named graph as it is. Given a file name
# rather than a stream, it writes without Python between its bytes and holds no GIL,
# so such a dump runs on another core beside the other exports.
DUMPED: dict[str, RdfFormat] = {"trig": RdfFormat.TRIG, "jsonld": RdfFormat.JSON_LD}


def _dump(fmt: str, store: Store, out: BinaryIO | str) -> None:
    store.dump(out, format=DUMPED[fmt], prefixes=PREFIX_MAP)


# Formats written to a file as they are made, so a store of any size dumps in flat memory.
STREAMED: dict[str, Callable[[Store, BinaryIO], None]] = {
    **{fmt: partial(_dump, fmt) for fmt in DUMPED},
    "ttl": _stream_turtle,
    "nq": _stream_nquads,
    "nt": _stream_ntriples,
}


def stream_export(store: Store, fmt: str, out: BinaryIO) -> None:
    """The store in `fmt` (one of STREAMED), written to `out` as it is made."""
    _streamer(fmt)(store, out)


def write_export(store: Store, fmt: str, path: Path) -> None:
    """The store in `fmt`, written atomically to `path`."""
    stream = _streamer(fmt)  # an unknown format is an error before any file is made
    if fmt in DUMPED:
        with atomic_path(path) as temporary:
            _dump(fmt, store, str(temporary))
        return
    with atomic_output(path) as out:
        stream(store, out)


def write_exports(store: Store, exports: Mapping[Path, str]) -> None:
    """Each path's export of the store, written atomically; the formats Oxigraph dumps
    by itself in threads beside the others (the trig and ttl files of a run of 1,000
    generated dispatches: 6.4 and 6.9 s one after the other, 7.3 s side by side)."""
    for fmt in exports.values():
        _streamer(fmt)  # an unknown format is an error before any file is made
    dumped = {path: fmt for path, fmt in exports.items() if fmt in DUMPED}
    # An error or a Ctrl-C in this thread leaves the block once the dumps have ended:
    # a dump cannot be stopped half-way, and its file is whole or not there.
    with ThreadPoolExecutor(max_workers=max(1, len(dumped))) as threads:
        running = [threads.submit(write_export, store, fmt, path) for path, fmt in dumped.items()]
        for path, fmt in exports.items():
            if path not in dumped:
                write_export(store, fmt, path)
        for dump in running:
            dump.result()  # its error, if any, raised here


def export_store(store: Store, fmt: str) -> bytes:
    """The store in `fmt`, in memory: for small stores and tests."""
    buffer = io.BytesIO()
    stream_export(store, fmt, buffer)
    return buffer.getvalue()


def _streamer(fmt: str) -> Callable[[Store, BinaryIO], None]:
    try:
        return STREAMED[fmt]
    except KeyError:
        raise CkgError(f"unknown export format {fmt!r}; use one of {', '.join(STREAMED)}") from None
