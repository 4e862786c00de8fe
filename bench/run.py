"""Benchmarks, measured side by side in one run; writes bench/RESULTS.md as it goes.

Corpora come from bench/make_corpus.py (a SMALL and a LARGE one, by default 1k
and 10k articles). Every measurement runs in a child process, so its peak
memory (RSS, summed over the child and its worker processes) is its own; the
load average is noted before each one, to say how idle the cores were.

1. Throughput over SMALL: spaCy's tokenizer alone (the ceiling), bare
   `nlp.pipe` (same model, batch size), our full ETL with 1 and with 2 workers.
2. 2 workers vs 1.
3. LARGE vs SMALL: time and peak RSS; 4. a second, unchanged run over LARGE.
5. Each named query on the LARGE store: Oxigraph through the library vs rdflib's
   SPARQL engine on the same data in an rdflib Dataset (with a time limit); then
   the questions an analyst asks of it, the named queries narrowed by their parameters.
   rdflib cannot hold LARGE, nor answer most queries over SMALL in its limit: the
   ratio is also measured on a corpus it can answer (--ratio-articles), rows compared.
6. Per-article SHACL (summed over the run) vs one pySHACL run over the whole graph.
A profile (py-spy) of a one-worker run over SMALL goes to bench/PROFILE.txt.

Usage: python bench/run.py [--small 1000] [--large 10000] [--runs 3]
       [--only-small | --only-large | --only-queries]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from spy_summary import summarise  # noqa: E402

QUERY_RUNS = 5
RDFLIB_QUERY_LIMIT = 30  # seconds per rdflib query before it is abandoned
RDFLIB_RUNS = 3
WHOLE_SHACL_LIMIT = 600  # seconds for pySHACL over the whole graph
# Named queries narrowed by their parameters, as an analyst asks them of the generated
# corpus (bench/make_corpus.py draws from these states, places and surnames).
NARROWED: list[tuple[str, dict[str, str]]] = [
    ("troop-figures", {"subject": "north korea", "place": "kursk"}),
    ("casualty-figures", {"subject": "russian"}),
    ("events-timeline", {"place": "pokrovsk"}),
    ("speakers", {"speaker": "kovalenko"}),
    ("shared-entities", {"kind": "Person"}),
    ("conflicts", {"measure": "TroopCount"}),
    ("corroborated-figures", {"measure": "TroopCount"}),
]


# -- children: each does one measured thing and prints JSON ------------------------------


def _texts(corpus: Path) -> list[str]:
    from etl.ingest import Rejected, read_sources

    return [d.masked_text() for d in read_sources([corpus]) if not isinstance(d, Rejected)]


def child_tokenizer(corpus: Path) -> dict[str, Any]:
    import spacy

    from etl.config import Settings

    texts, blank = _texts(corpus), spacy.blank("en")
    clock = time.perf_counter()
    for _ in blank.pipe(texts, batch_size=Settings().batch_size):
        pass
    return {"seconds": time.perf_counter() - clock}


def child_bare(corpus: Path, processes: int = 1) -> dict[str, Any]:
    from etl.config import Settings
    from etl.nlp import build_pipeline

    texts, nlp = _texts(corpus), build_pipeline()
    clock = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=Settings().batch_size, n_process=processes):
        pass
    return {"seconds": time.perf_counter() - clock}


def child_etl(corpus: Path, out: Path, workers: int) -> dict[str, Any]:
    from etl.config import Settings
    from etl.pipeline import run_pipeline

    clock = time.perf_counter()
    report = run_pipeline([corpus], out, Settings(workers=workers))
    seconds = time.perf_counter() - clock
    return {
        "seconds": seconds,
        "words": report.words,
        "timings": report.timings,
        "incremental": report.incremental,
        "totals": report.totals(),
    }


def _alarm(seconds: int) -> None:
    def stop(signum: int, frame: object) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)


def child_rdflib(out: Path) -> dict[str, Any]:
    """Named queries in rdflib's engine, and pySHACL over the whole graph, on the store's data."""
    import pyshacl
    from rdflib import Graph
    from rdflib_engine import answer, load_dataset, rows_digest

    from etl.queries import named_queries
    from etl.validate import load_shapes

    clock = time.perf_counter()
    dataset = load_dataset(out / "graph.trig")
    result: dict[str, Any] = {
        "parse_seconds": time.perf_counter() - clock,
        "queries": {},
        "digests": {},
    }
    for name, query in named_queries().items():
        times: list[float] = []
        try:
            while len(times) < RDFLIB_RUNS:
                clock = time.perf_counter()
                _alarm(RDFLIB_QUERY_LIMIT)
                rows = answer(dataset, query)
                signal.alarm(0)
                times.append(time.perf_counter() - clock)
            result["queries"][name] = statistics.median(times)
            result["digests"][name] = rows_digest(rows)
        except TimeoutError:
            result["queries"][name] = f"> {RDFLIB_QUERY_LIMIT} s"
        except Exception as exc:  # should rdflib's engine fail on another construct
            signal.alarm(0)
            result["queries"][name] = f"fails ({type(exc).__name__})"
    whole = Graph()  # a plain graph of every triple, as one pySHACL run sees it
    for quad in dataset.quads((None, None, None, None)):
        whole.add(quad[:3])
    result["triples"] = len(whole)
    clock = time.perf_counter()
    try:
        _alarm(WHOLE_SHACL_LIMIT)
        pyshacl.validate(whole, shacl_graph=load_shapes(), inference="none", advanced=True)
        signal.alarm(0)
        result["whole_shacl_seconds"] = time.perf_counter() - clock
    except TimeoutError:
        result["whole_shacl_seconds"] = f"> {WHOLE_SHACL_LIMIT}"
    return result


def child_query(out: Path, name: str, limit: int, parameters: str = "{}") -> dict[str, Any]:
    """p50 latency of one named query through the library (a child, so it can be stopped).

    `parameters` is a JSON object of the query's parameters. A run slower than `limit`
    seconds ends the measurement: that run is the answer.
    """
    from rdflib_engine import oxigraph_rows, rows_digest

    from etl.queries import named_queries, run_query
    from etl.store import open_store

    store, query = open_store(out / "store"), named_queries()[name]
    values = json.loads(parameters)
    times: list[float] = []
    rows: list[Any] = []
    for _ in range(QUERY_RUNS):
        clock = time.perf_counter()
        rows = list(run_query(store, query, values))
        times.append(time.perf_counter() - clock)
        if times[-1] > limit:
            return {"seconds": f"> {limit} s (one run: {times[-1]:.1f} s)", "rows": len(rows)}
    # to compare with rdflib's rows, outside the time measured
    digest = rows_digest(oxigraph_rows(rows))
    return {"seconds": statistics.median(times), "rows": len(rows), "digest": digest}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "tokenizer": child_tokenizer,
    "bare": child_bare,
    "etl": child_etl,
    "rdflib": child_rdflib,
    "query": child_query,
}


# -- the parent: runs children, samples their memory, writes the table ------------------


def measure(kind: str, *args: object, limit: float | None = None) -> dict[str, Any]:
    """Run one child; its JSON answer plus wall time, peak RSS and the load before it.

    A child still running after `limit` seconds is stopped; the answer then says so.
    """
    load = os.getloadavg()[0]
    command = [sys.executable, __file__, "--child", kind, *map(str, args)]
    clock = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        if limit is not None and time.perf_counter() - clock > limit:
            for child in [*process.children(recursive=True), process]:
                child.kill()
            process.wait()
            return {"seconds": f"> {limit:.0f} s", "load": load, "peak_rss": peak}
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"benchmark child {kind} {args} failed ({process.returncode})")
    answer: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    answer.update(wall=time.perf_counter() - clock, peak_rss=peak, load=load)
    return answer


def median_of(runs: int, kind: str, *args: object, fresh: Path | None = None) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        if fresh is not None:
            subprocess.run(["rm", "-rf", str(fresh)], check=True)
        results.append(measure(kind, *args))
    results.sort(key=lambda r: r["seconds"])
    middle = dict(results[len(results) // 2])
    middle["all_seconds"] = [round(r["seconds"], 2) for r in results]
    middle["loads"] = [round(r["load"], 2) for r in results]
    return middle


def corpus(size: int) -> tuple[Path, int]:
    from make_corpus import write_corpus

    folder = BENCH / "corpus" / str(size)
    stamp = folder / ".words"
    if not stamp.is_file():
        words = write_corpus(folder, size, seed=7)
        stamp.write_text(str(words))
    return folder, int(stamp.read_text())


class Results:
    """bench/RESULTS.md, rewritten after every measurement so a long run shows progress."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sections: dict[str, list[str]] = {}
        self.shacl_in_workers = 0.0  # from the LARGE run, for row 6

    def section(self, name: str, lines: Sequence[str]) -> None:
        self.sections[name] = list(lines)
        self.write()

    def write(self) -> None:
        lines = [*_header(self.args)]
        for body in self.sections.values():
            lines += ["", *body]
        (BENCH / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _versions() -> str:
    from importlib.metadata import version

    names = ["spacy", "rdflib", "pyshacl", "pyoxigraph", "dask", "distributed"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except Exception:  # a package of the optional extras may be missing
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _header(args: argparse.Namespace) -> list[str]:
    from etl import __version__
    from etl.config import Settings
    from etl.nlp import installed_model_identity

    memory = psutil.virtual_memory().total / 2**30
    return [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}.",
        f"Versions: conflict-kg {__version__}, {_versions()}; "
        f"model {' '.join(installed_model_identity())}; batch size {Settings().batch_size}.",
        f"Corpora: bench/make_corpus.py, seed 7: SMALL = {args.small:,} and LARGE = "
        f"{args.large:,} articles, and {args.ratio_articles:,} for the rdflib ratios. "
        f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`. "
        f"Times are medians of {args.runs} runs "
        "unless a row says otherwise; `load` is the 1-minute load average just before a "
        "measurement (0 = idle cores; this machine is shared). Peak RSS is summed over "
        "the process and its workers.",
        "",
        "What the figures mean and what limits a run now: [NOTES.md](NOTES.md). "
        "The 100k-article run (row 7) is `make bench-100k` in one go, or `make bench-trace` "
        "in parts with its memory traced, measured separately.",
    ]


def _rate(words: int, seconds: float) -> str:
    return f"{words / seconds:,.0f}"


def _seconds(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.0f}"


def _p50_ms(answer: dict[str, Any]) -> str:
    """A query's p50 in milliseconds, or why there is none ("> 60 s ...")."""
    p50 = answer["seconds"]
    return p50 if isinstance(p50, str) else f"{p50 * 1000:.1f}"


def _under_a_second(answers: Iterable[dict[str, Any]]) -> int:
    return sum(1 for a in answers if isinstance(a["seconds"], float) and a["seconds"] < 1)


def _gib(value: int) -> str:
    return f"{value / 2**30:.2f}"


def throughput(results: Results, args: argparse.Namespace) -> dict[str, Any]:
    small, words = corpus(args.small)
    out = BENCH / "out" / f"small-{args.small}"
    rows: dict[str, dict[str, Any]] = {}
    steps: list[tuple[str, tuple[Any, ...], Path | None]] = [
        ("tokenizer only (spacy.blank, the ceiling)", ("tokenizer", small), None),
        ("bare nlp.pipe (model + our rulers, 1 process)", ("bare", small), None),
        ("bare nlp.pipe, 2 processes (n_process=2)", ("bare", small, 2), None),
        ("full ETL, 1 worker", ("etl", small, out, 1), out),
        ("full ETL, 2 workers", ("etl", small, out, 2), out),
    ]
    for label, (kind, *command), fresh in steps:
        rows[label] = median_of(args.runs, kind, *command, fresh=fresh)
        _throughput_table(results, rows, words, args)
    return {"rows": rows, "words": words}


def _throughput_table(
    results: Results, rows: dict[str, dict[str, Any]], words: int, args: argparse.Namespace
) -> None:
    bare = rows.get("bare nlp.pipe (model + our rulers, 1 process)")
    lines = [
        f"## 1-2. Throughput over SMALL ({args.small:,} articles, {words:,} words)",
        "",
        "| what | seconds (runs) | words/s | vs bare nlp.pipe | peak RSS GiB | load |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, row in rows.items():
        ratio = f"{bare['seconds'] / row['seconds']:.2f}" if bare else ""
        lines.append(
            f"| {label} | {row['seconds']:.1f} ({row['all_seconds']}) | "
            f"{_rate(words, row['seconds'])} | {ratio} | {_gib(row['peak_rss'])} | "
            f"{row['loads']} |"
        )
    one, two = rows.get("full ETL, 1 worker"), rows.get("full ETL, 2 workers")
    bare_two = rows.get("bare nlp.pipe, 2 processes (n_process=2)")
    if one and two and bare and bare_two:
        lines += [
            "",
            "Like for like: full ETL / bare nlp.pipe with 1 process each "
            f"**{bare['seconds'] / one['seconds']:.2f}**, with 2 each "
            f"**{bare_two['seconds'] / two['seconds']:.2f}**.",
            f"2 workers vs 1 worker: **{one['seconds'] / two['seconds']:.2f}x** "
            f"(loads before the runs: {one['loads']} and {two['loads']}).",
            f"Inside the 1-worker ETL, SHACL took {one['timings']['shacl_in_workers']:.1f} s "
            f"of {one['seconds']:.1f} s; extraction, RDF and SHACL together "
            f"{one['timings']['extract_rdf_validate']:.1f} s.",
            _steps("The median 1-worker run's steps", one["timings"]),
            _steps("The median 2-worker run's steps", two["timings"]),
        ]
    results.section("throughput", lines)


def scaling(results: Results, args: argparse.Namespace, small: dict[str, Any]) -> Path:
    large, words = corpus(args.large)
    out = BENCH / "out" / f"large-{args.large}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    first = measure("etl", large, out, 2)
    second = measure("etl", large, out, 2)
    base = small["rows"]["full ETL, 2 workers"] if small else None
    lines = [
        f"## 3-4. LARGE ({args.large:,} articles, {words:,} words), 2 workers, one run each",
        "",
        "| run | seconds | words/s | peak RSS GiB | load |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| first run | {first['seconds']:.1f} | {_rate(words, first['seconds'])} | "
        f"{_gib(first['peak_rss'])} | {first['load']:.2f} |",
        f"| second run, nothing changed | {second['seconds']:.1f} | | "
        f"{_gib(second['peak_rss'])} | {second['load']:.2f} |",
        "",
        f"Second run / first run: **{second['seconds'] / first['seconds']:.1%}** "
        f"(reused {second['incremental']['reused']:,} articles, extracted "
        f"{second['incremental']['extracted']}).",
        f"SHACL inside the workers: {first['timings']['shacl_in_workers']:.0f} s of CPU "
        f"time over {args.large:,} articles.",
        _steps("The first run's steps", first["timings"]),
    ]
    if base:
        lines.append(
            f"LARGE / SMALL ({args.large // args.small}x the articles): time "
            f"**{first['seconds'] / base['seconds']:.2f}x**, peak RSS "
            f"**{first['peak_rss'] / base['peak_rss']:.2f}x**."
        )
    results.section("scaling", lines)
    results.shacl_in_workers = first["timings"]["shacl_in_workers"]
    return out


def _steps(title: str, timings: dict[str, float]) -> str:
    """Where a run's time went, from its run.json: the stream, and the end on its own."""
    return (
        f"{title} (run.json): extraction, RDF and SHACL {timings['extract_rdf_validate']:.1f} s;"
        f" the entities, lineage and load {timings['resolve_and_load']:.1f} s; the exports,"
        f" report and compaction {timings['store_and_export']:.1f} s."
    )


def _rdflib_rows(out: Path, quads: int, args: argparse.Namespace) -> dict[str, Any]:
    if quads <= args.rdflib_max_quads:
        return measure("rdflib", out)
    # rdflib keeps every quad as Python objects in several indexes: memory grows steeply
    skipped = f"not run ({quads:,} quads > --rdflib-max-quads)"
    return {"parse_seconds": None, "queries": {}, "whole_shacl_seconds": skipped, "triples": quads}


def _quads(out: Path) -> int:
    from etl.store import open_store

    return len(open_store(out / "store"))


def _query_table(
    title: str,
    args: argparse.Namespace,
    quads: int,
    oxigraph: dict[str, Any],
    rdflib: dict[str, Any],
) -> list[str]:
    if rdflib["parse_seconds"] is None:
        rdflib_how = "not run: the store is larger than --rdflib-max-quads."
    else:
        rdflib_how = (
            f"p50 of {RDFLIB_RUNS} runs on the same data in an rdflib Dataset (parsing "
            f"graph.trig took {rdflib['parse_seconds']:.0f} s), stopped after "
            f"{RDFLIB_QUERY_LIMIT} s, with two of its bugs patched (bench/rdflib_engine.py). "
            '"Same rows": both engines\' rows, compared in any order.'
        )
    lines = [
        f"## 5. Named queries on the {title} store ({quads:,} quads)",
        "",
        f"Oxigraph: p50 of {QUERY_RUNS} runs through `etl.queries.run_query`, or the first "
        f"run slower than {args.query_limit} s. rdflib: {rdflib_how}",
        "",
        "| named query | rows (triples) | Oxigraph p50 (ms) | rdflib p50 (ms) "
        "| rdflib / Oxigraph | same rows |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    skipped = f"not run ({quads:,} quads > --rdflib-max-quads)"
    for name, answer in oxigraph.items():
        other = rdflib["queries"].get(name, skipped)
        # the row count tells a long listing from a slow plan
        rows = f"{answer['rows']:,}" if "rows" in answer else ""
        rdflib_ms = f"{other * 1000:.0f}" if isinstance(other, float) else other
        same = _same_rows(answer.get("digest"), rdflib.get("digests", {}).get(name))
        lines.append(
            f"| {name} | {rows} | {_p50_ms(answer)} | {rdflib_ms} "
            f"| {_ratio(other, answer['seconds'])} | {same} |"
        )
    under = _under_a_second(oxigraph.values())
    return [*lines, "", f"Named queries under 1 s: {under} of {len(oxigraph)}."]


def _ratio(rdflib: float | str, oxigraph: float | str) -> str:
    """rdflib's time over Oxigraph's; a lower bound when rdflib was stopped at its limit."""
    if not isinstance(oxigraph, float):
        return ""
    if isinstance(rdflib, float):
        return f"{rdflib / oxigraph:.0f}x"
    if rdflib == f"> {RDFLIB_QUERY_LIMIT} s":
        return f"> {RDFLIB_QUERY_LIMIT / oxigraph:.0f}x"
    return ""


def _same_rows(oxigraph: str | None, rdflib: str | None) -> str:
    if oxigraph is None or rdflib is None:
        return ""
    return "yes" if oxigraph == rdflib else "**no**"


def _narrowed_table(
    args: argparse.Namespace, narrowed: list[dict[str, Any]], whole: dict[str, Any]
) -> list[str]:
    lines = [
        "### The same store, the queries narrowed by their parameters",
        "",
        f"p50 of {QUERY_RUNS} runs, or the first run slower than {args.query_limit} s; "
        '"every row" is the query with its defaults, from the table above.',
        "",
        "| named query | parameters | rows | p50 (ms) | every row (ms) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for (name, values), answer in zip(NARROWED, narrowed, strict=True):
        given = ", ".join(f"{k}={v!r}" for k, v in values.items())
        rows = f"{answer['rows']:,}" if "rows" in answer else ""
        row = f"| {name} | {given} | {rows} | {_p50_ms(answer)} | {_p50_ms(whole[name])} |"
        lines.append(row)
    under = _under_a_second(narrowed)
    return [*lines, "", f"Narrowed questions under 1 s: {under} of {len(narrowed)}."]


def _shacl_table(title: str, per_article: float, rdflib: dict[str, Any]) -> list[str]:
    whole = rdflib["whole_shacl_seconds"]
    lines = [
        f"## 6. SHACL on the {title} graph ({rdflib['triples']:,} triples)",
        "",
        "| how | seconds |",
        "| --- | ---: |",
        f"| per article, in the workers (summed CPU time) | {per_article:.0f} |",
        f"| one pySHACL run over the whole graph | {_seconds(whole)} |",
    ]
    if isinstance(whole, float) and per_article:
        lines.append(f"\nWhole graph / per article: **{whole / per_article:.2f}x**.")
    return lines


def queries(results: Results, args: argparse.Namespace, out: Path, small: dict[str, Any]) -> None:
    """Rows 5 and 6 on the LARGE store; where rdflib cannot hold it, also on SMALL's."""
    from etl.queries import named_queries

    # the child stops itself after a slow run; this limit is for a run that never ends
    hard_limit = args.query_limit * 3 + 30

    def timed(store_out: Path) -> dict[str, Any]:
        return {
            n: measure("query", store_out, n, args.query_limit, limit=hard_limit)
            for n in named_queries()
        }

    oxigraph = timed(out)
    narrowed = [
        measure("query", out, n, args.query_limit, json.dumps(v), limit=hard_limit)
        for n, v in NARROWED
    ]
    quads = _quads(out)
    rdflib = _rdflib_rows(out, quads, args)
    lines = _query_table("LARGE", args, quads, oxigraph, rdflib)
    lines += ["", *_narrowed_table(args, narrowed, oxigraph)]
    if results.shacl_in_workers:  # not known with --only-queries
        lines += ["", *_shacl_table("LARGE", results.shacl_in_workers, rdflib)]
    small_out = BENCH / "out" / f"small-{args.small}"
    if quads > args.rdflib_max_quads and (small_out / "store").is_dir():
        small_oxigraph = timed(small_out)
        small_quads = _quads(small_out)
        small_rdflib = _rdflib_rows(small_out, small_quads, args)
        if small:
            per_article = small["rows"]["full ETL, 2 workers"]["timings"]["shacl_in_workers"]
        else:  # rows 1-2 were measured by an earlier --small run into the same folder
            run_json = json.loads((small_out / "run.json").read_text(encoding="utf-8"))
            per_article = run_json["timings_seconds"]["shacl_in_workers"]
        lines += ["", *_query_table("SMALL", args, small_quads, small_oxigraph, small_rdflib)]
        lines += ["", *_shacl_table("SMALL", per_article, small_rdflib)]
    results.section("queries", lines)
    # rdflib's engine does not answer most named queries over SMALL in its time limit:
    # a store it can answer gives the ratio itself, not only a lower bound
    few = ratio_store(args)
    few_rdflib = measure("rdflib", few)
    title = f"{args.ratio_articles:,}-article"
    lines += ["", *_query_table(title, args, _quads(few), timed(few), few_rdflib)]
    results.section("queries", lines)


def ratio_store(args: argparse.Namespace) -> Path:
    """The store of a corpus of --ratio-articles, built or brought up to date by a run."""
    folder, _ = corpus(args.ratio_articles)
    out = BENCH / "out" / f"ratio-{args.ratio_articles}"
    measure("etl", folder, out, 2)
    return out


def profile(results: Results, args: argparse.Namespace) -> None:
    small, _ = corpus(args.small)
    out = BENCH / "out" / "profile"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    target = BENCH / "PROFILE.txt"
    code = "\n".join(
        [
            f"import sys; sys.path.insert(0, {str(ROOT)!r})",
            "from pathlib import Path",
            "from etl.config import Settings",
            "from etl.pipeline import run_pipeline",
            "if __name__ == '__main__':",
            f"    run_pipeline([Path({str(small)!r})], Path({str(out)!r}), Settings(workers=1))",
        ]
    )
    script = BENCH / "out" / "profile_run.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(code)
    # py-spy samples from outside the process, so memory stays flat: pyinstrument's
    # samples of a 1,000-article run filled 24 GB and it was killed.
    py_spy = Path(sys.executable).with_name("py-spy")
    raw = BENCH / "out" / "profile.raw"
    record = [str(py_spy), "record", "--rate", "100", "--format", "raw", "-o", str(raw)]
    subprocess.run([*record, "--", sys.executable, str(script)], check=True)
    target.write_text(summarise(raw.read_text(encoding="utf-8")), encoding="utf-8")
    results.section(
        "profile",
        [
            "## Profile",
            "",
            "py-spy over a 1-worker run on SMALL, 100 samples a second: bench/PROFILE.txt "
            "(`py-spy record --format raw` on a script calling run_pipeline, summarised by "
            "bench/spy_summary.py).",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only-large", action="store_true", help="only rows 3-6 (e.g. 100k)")
    parser.add_argument("--only-small", action="store_true", help="only rows 1-2 and the profile")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--only-queries", action="store_true", help="only rows 5-6, on the stores already built"
    )
    parser.add_argument("--query-limit", type=int, default=60, help="seconds per named query")
    parser.add_argument(
        "--ratio-articles",
        type=int,
        default=100,
        help="a corpus small enough for rdflib's engine, for the Oxigraph / rdflib ratios",
    )
    parser.add_argument(
        "--rdflib-max-quads",
        type=int,
        default=4_000_000,
        help="skip the rdflib and whole-graph pySHACL rows above this store size",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "query":  # a store folder, a query name, a limit in seconds, parameters
            typed: list[Any] = [Path(rest[0]), rest[1], int(rest[2]), *rest[3:]]
        else:  # folders and a number of workers
            typed = [int(a) if a.isdigit() else Path(a) for a in rest]
        print(json.dumps(CHILDREN[kind](*typed)))
        return
    results = Results(args)
    if args.only_queries:
        queries(results, args, BENCH / "out" / f"large-{args.large}", {})
        print((BENCH / "RESULTS.md").read_text())
        return
    small = {} if args.only_large else throughput(results, args)
    if not args.only_large and not args.no_profile:
        profile(results, args)
    if args.only_small:
        print((BENCH / "RESULTS.md").read_text())
        return
    out = scaling(results, args, small)
    queries(results, args, out, small)
    print((BENCH / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
