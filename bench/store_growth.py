"""The store's own memory as a run fills it: a bare process bulk-loading a run's N-Quads.

A run loads its articles' N-Quads into Oxigraph in loads of `LOAD_BYTES`, as they
come from the workers. This loads the articles a finished run's manifest holds, in
the same loads, into a new store in a temporary folder, with nothing else in the
process (no model, no run records), and prints the RSS every 1,000 articles: what
the store itself adds as it grows.

Usage: python bench/store_growth.py OUT/manifest.sqlite [--articles 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import zlib
from pathlib import Path

import psutil
from pyoxigraph import RdfFormat, Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.pipeline import LOAD_BYTES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.manifest}?mode=ro", uri=True)
    rows = db.execute("SELECT nquads FROM articles ORDER BY rowid LIMIT ?", (args.articles,))
    process = psutil.Process()
    start = process.memory_info().rss
    print("| articles | RSS over the start, MiB |\n| ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="store-growth-") as folder:
        store, buffer = Store(folder), bytearray()
        for done, (blob,) in enumerate(rows, start=1):
            buffer += zlib.decompress(blob)
            if len(buffer) >= LOAD_BYTES:
                store.bulk_load(input=bytes(buffer), format=RdfFormat.N_QUADS)
                buffer.clear()
            if done % 1000 == 0:
                print(f"| {done:,} | {(process.memory_info().rss - start) / 2**20:,.0f} |")
        del store


if __name__ == "__main__":
    main()
