"""The embedded Oxigraph store: filled by bulk loading N-Quads, queried in place.

A run builds a new store beside the old one and swaps it in only when it is
complete, so an interrupted run never leaves a half-written store behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from .errors import StoreError

STORE_DIR = "store"


def compact(store: Store) -> None:
    """Merge the files the store's bulk loads and removals left, for faster queries.

    Each bulk load of a run is written as files of its own, and a replaced graph
    leaves tombstones; a lookup looks through them all until they are merged.
    Compacted (RocksDB's full compaction, through Oxigraph), the 10,000-article store
    of bench/RESULTS.md went from 3.6 to 2.7 GB in 28 s, and its named queries ran up
    to 1.7x faster (bench/NOTES.md, "Queries at scale"). Oxigraph holds no GIL
    meanwhile, so it can run beside the exports.
    """
    try:
        store.optimize()
    except OSError as exc:
        raise StoreError(f"cannot compact the store: {exc}") from None


def open_store(store_dir: Path) -> Store:
    """Open an existing store read-only, so several readers can share it."""
    previous = _previous(store_dir)
    if not store_dir.is_dir() and previous.is_dir():
        store_dir = previous  # a run was stopped half-way through its swap: the last store
    if not store_dir.is_dir():
        raise StoreError(
            f"no store at {store_dir}: run `ckg run --out {store_dir.parent}` first, "
            "or name the store with --store"
        )
    try:
        return Store.read_only(str(store_dir))
    except OSError as exc:
        raise StoreError(f"{store_dir}: cannot open the store: {exc}") from None


def _previous(store_dir: Path) -> Path:
    """Where the old store waits while a new one is renamed into place."""
    return store_dir.with_name(store_dir.name + ".old")


def swap_in(new_dir: Path, final_dir: Path) -> None:
    """Replace `final_dir` by `new_dir`; the old store stays until the new one is in place."""
    old = _previous(final_dir)
    if old.exists() and not final_dir.exists():
        old.rename(final_dir)  # a swap was stopped between its two renames
    if old.exists():
        shutil.rmtree(old)
    if final_dir.exists():
        final_dir.rename(old)
    new_dir.rename(final_dir)
    if old.exists():
        shutil.rmtree(old)


def open_graph(path: Path) -> Store:
    """A store folder opened read-only, or an RDF file (.trig .nq .ttl .nt) loaded into memory."""
    if path.is_dir():
        return open_store(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such store or graph file (run `ckg run` first)")
    fmt = RdfFormat.from_extension(path.suffix.lstrip(".").lower())
    if fmt is None:
        raise StoreError(f"{path}: cannot tell the RDF format from the extension")
    store = Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except (OSError, SyntaxError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read the graph: {exc}") from None
    return store
