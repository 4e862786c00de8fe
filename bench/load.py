"""Load test of `ckg serve`: concurrent clients running the named queries; writes bench/LOAD.md.

Starts `ckg serve` on a free loopback port over a store, then C client threads
(each with its own HTTP connection) send N requests in all, cycling through the
named queries by URL (`/queries/NAME`, SPARQL JSON or Turtle) and, every fourth
request, the same query text through the SPARQL protocol (`POST /sparql`), so
the parse-and-check path is measured too. Reports throughput, p50/p90/p99
latency and the count of non-200 answers, which must be zero.

Usage: python bench/load.py --store output/store [--clients 16] [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl import __version__  # noqa: E402
from etl.queries import named_queries  # noqa: E402
from tests.conftest import RunningServer  # noqa: E402


def requests_plan(total: int) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, data) for every request, cycling through the named queries."""
    queries = list(named_queries().values())
    plan = []
    for index in range(total):
        named = queries[index % len(queries)]
        if index % 4 == 3 and not named.parameters:
            plan.append(("POST", "/sparql", {"query": named.text}))
        else:
            plan.append(("GET", f"/queries/{named.name}", {}))
    return plan


def run_load(url: str, clients: int, total: int) -> tuple[list[float], list[int], float]:
    plan = requests_plan(total)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    cursor = iter(range(total))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                method, path, data = plan[index]
                start = time.perf_counter()
                response = http.request(method, path, data=data or None)
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)
                    if response.status_code != 200:
                        failures.append(response.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "output" / "store")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "LOAD.md")
    args = parser.parse_args()

    # the server's defaults (30 s time limit, 2 s wait for a worker) but for the worker count
    server = RunningServer(args.store, "--workers", str(args.workers))
    try:
        run_load(server.url, 2, 40)  # warm up: each worker parses and caches the texts
        latencies, failures, seconds = run_load(server.url, args.clients, args.requests)
    finally:
        server.stop()
    triples = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import pyoxigraph; print(len(pyoxigraph.Store.read_only({str(args.store)!r})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ms = [latency * 1000 for latency in latencies]
    lines = [
        "# Load test of `ckg serve`",
        "",
        f"`python bench/load.py --clients {args.clients} --requests {args.requests} "
        f"--workers {args.workers}` on {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, conflict-kg {__version__}; store of {triples} "
        "quads (the examples). Requests cycle through the named queries by URL, every "
        "fourth parameterless one as SPARQL text through `POST /sparql`.",
        "",
        "| clients | requests | workers | seconds | requests/s | p50 ms | p90 ms | p99 ms "
        "| max ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {args.clients} | {len(latencies)} | {args.workers} | {seconds:.1f} | "
        f"{len(latencies) / seconds:.0f} | {statistics.median(ms):.0f} | "
        f"{percentile(ms, 0.90):.0f} | {percentile(ms, 0.99):.0f} | {max(ms):.0f} | "
        f"{len(failures)} |",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    if failures:
        sys.exit(f"{len(failures)} requests failed: statuses {sorted(set(failures))}")


if __name__ == "__main__":
    main()
