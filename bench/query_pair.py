"""Two texts of a query timed one after the other on the same store, and their rows compared.

    git show HEAD~1:queries/troop-figures.rq > /tmp/before.rq
    python bench/query_pair.py bench/out/large-10000/store /tmp/before.rq troop-figures \
        --param subject="north korea" --param place=kursk

Each text runs `--runs` times through `etl.queries.run_query`, one text after the
other; a run's time includes reading every row as text, which `bench/run.py` leaves
out, so compare the two texts here with each other only. The last run of each is the
one to quote (the first warms the page cache). Rows are compared as Oxigraph writes
their terms, datatypes and language tags included, unlike the benchmark's
comparison with rdflib (`rdflib_engine.oxigraph_rows`, values only).

Oxigraph's plans change with the shape of a query in ways that are hard to foresee,
so a change to a query is measured this way, side by side, and not against a figure
from another day.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pyoxigraph import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.queries import NamedQuery, resolve_query, run_query  # noqa: E402
from etl.store import open_store  # noqa: E402

Row = tuple[str, ...]


def timed_rows(store: Store, query: NamedQuery, values: dict[str, str]) -> tuple[float, list[Row]]:
    clock = time.perf_counter()
    rows = [tuple(str(term) for term in row) for row in run_query(store, query, values)]
    return time.perf_counter() - clock, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="an output folder's store")
    parser.add_argument("before", help="a named query, a .rq file or SPARQL text")
    parser.add_argument("after", help="the same, the other text")
    parser.add_argument("--param", "-p", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    values = dict(pair.split("=", 1) for pair in args.param)
    store = open_store(args.store)
    answers = []
    for text in (args.before, args.after):
        query = resolve_query(text)
        seconds = []
        for _ in range(args.runs):
            elapsed, rows = timed_rows(store, query, values)
            seconds.append(round(elapsed, 2))
        answers.append(rows)
        print(f"{text}: {len(rows):,} rows, seconds {seconds}", flush=True)
    before, after = answers
    same_set = sorted(before) == sorted(after)
    print(f"same rows in the same order: {before == after}; same rows: {same_set}")


if __name__ == "__main__":
    main()
