"""Memory over a long run: `ckg run` as a child, its RSS sampled against articles done.

Peak RSS alone says how high memory went, not whether it grows with the corpus.
This samples the summed RSS of the run and its workers every few seconds, the
parent's and the largest worker's on their own (so a growth can be placed), and
the number of articles the run has cached in its manifest, and appends them to a
CSV file, so a plot (or `--summary`) shows whether memory is flat. Runs are
incremental: a run stopped part way and started again takes the articles already
done from the manifest and goes on, and the trace goes on with a new `part`
number.

Usage:
  python bench/trace_run.py CORPUS OUT [--workers 2] [--every 10]
  python bench/trace_run.py CORPUS OUT --summary
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import psutil

# rss_bytes is the sum over the run and its workers; the last two came later, and a
# trace written before them has only the first five columns
FIELDS = [
    "part",
    "seconds",
    "articles",
    "rss_bytes",
    "processes",
    "parent_rss_bytes",
    "worker_rss_bytes",
]
SIZES = ["rss_bytes", "parent_rss_bytes", "worker_rss_bytes"]


def articles_done(out: Path) -> int | None:
    """Articles cached in the run's manifest so far, or None while it is busy."""
    manifest = out / "manifest.sqlite"
    if not manifest.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True, timeout=0.5) as db:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return None


def tree_rss(process: psutil.Process) -> dict[str, int]:
    """RSS summed over the run and its workers, the parent's, and the largest worker's."""
    sizes: list[int] = []
    for member in [process, *process.children(recursive=True)]:
        try:
            sizes.append(member.memory_info().rss)
        except psutil.Error:
            continue  # a worker that ended between the listing and the reading
    return {
        "rss_bytes": sum(sizes),
        "processes": len(sizes),
        "parent_rss_bytes": sizes[0] if sizes else 0,
        "worker_rss_bytes": max(sizes[1:], default=0),
    }


def next_part(trace: Path) -> int:
    if not trace.is_file():
        return 1
    with trace.open(newline="") as handle:
        parts = [int(row["part"]) for row in csv.DictReader(handle)]
    return max(parts, default=0) + 1


def trace_run(corpus: Path, out: Path, trace: Path, workers: int, every: float) -> int:
    part = next_part(trace)
    command = [sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out), "-q"]
    command += ["--workers", str(workers)]
    new_file = not trace.is_file()
    clock = time.perf_counter()
    process = psutil.Popen(command)
    last_done = 0
    with trace.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        while process.poll() is None:
            sizes = tree_rss(process)
            done = articles_done(out)
            last_done = last_done if done is None else done
            seconds = round(time.perf_counter() - clock, 1)
            writer.writerow({"part": part, "seconds": seconds, "articles": last_done, **sizes})
            handle.flush()
            time.sleep(every)
    return int(process.returncode or 0)


def summary(trace: Path) -> str:
    """Peak RSS per tenth of the articles: flat memory gives the same figure in each."""
    with trace.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["articles"]) > 0]
    if not rows:
        return f"{trace}: no samples with articles done yet"
    most = max(int(row["articles"]) for row in rows)
    lines = [
        f"{trace}: {len(rows)} samples, up to {most:,} articles",
        "articles  peak RSS GiB  parent  largest worker",
    ]
    for tenth in range(10):
        low, high = most * tenth / 10, most * (tenth + 1) / 10
        inside = [r for r in rows if low < int(r["articles"]) <= high]
        if inside:
            peaks = [_peak(inside, field) for field in SIZES]
            lines.append(f"{int(high):>8,}  {peaks[0]:12}  {peaks[1]:>6}  {peaks[2]:>14}")
    median = statistics.median(int(r["rss_bytes"]) for r in rows) / 2**30
    lines.append(f"median RSS over the run: {median:.2f} GiB")
    return "\n".join(lines)


def _peak(rows: list[dict[str, str]], field: str) -> str:
    """The largest sample of `field` in GiB; traces written before a field existed lack it."""
    values = [int(row[field]) for row in rows if row.get(field)]
    return f"{max(values) / 2**30:.2f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--trace", type=Path, help="CSV file [default: OUT.trace.csv]")
    parser.add_argument("--summary", action="store_true", help="summarise the trace and stop")
    args = parser.parse_args()
    trace = args.trace or args.out.with_name(args.out.name + ".trace.csv")
    if not args.summary:
        code = trace_run(args.corpus, args.out, trace, args.workers, args.every)
        if code:
            print(f"ckg run ended with exit code {code}", file=sys.stderr)
    print(summary(trace))


if __name__ == "__main__":
    main()
