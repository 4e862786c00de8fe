"""Benchmarks, measured side by side in one run; writes bench/RESULTS.md.

1. Extraction throughput (words/s) over the example corpus repeated N times:
   spaCy's tokenizer alone (the ceiling), bare `nlp.pipe` with the same model and
   batch size, our extraction, and the full pipeline (extract + RDF + SHACL + store).
2. Each named query: Oxigraph through the library vs rdflib's SPARQL engine on the
   same data in an rdflib Dataset.

Absolute times on shared machines are noisy; the ratios are what to compare.
Usage: python bench/run.py [--repeat N] [--runs R]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import spacy
from rdflib import Dataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl import __version__  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.ingest import Rejected, read_sources  # noqa: E402
from etl.model import Document  # noqa: E402
from etl.nlp import build_pipeline  # noqa: E402
from etl.pipeline import extract_all, run_pipeline  # noqa: E402
from etl.queries import bindings, named_queries, run_query  # noqa: E402


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def corpus(repeat: int, folder: Path) -> tuple[list[Document], Path]:
    """The examples repeated, each copy a distinct file (so nothing is a duplicate)."""
    folder.mkdir(parents=True)
    documents = [d for d in read_sources([ROOT / "examples"]) if not isinstance(d, Rejected)]
    for i in range(repeat):
        for d in documents:
            (folder / f"{i:03d}-{Path(d.identifier).stem}.txt").write_text(
                f"{d.text}\n\nCopy {i}.\n", encoding="utf-8"
            )
    docs = [d for d in read_sources([folder]) if not isinstance(d, Rejected)]
    return docs, folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        docs, folder = corpus(args.repeat, Path(tmp) / "in")
        texts = [d.masked_text() for d in docs]
        words = sum(len(t.split()) for t in texts)
        nlp = build_pipeline()
        blank = spacy.blank("en")
        rows = {
            "tokenizer only (spacy.blank)": median_seconds(
                lambda: list(blank.pipe(texts, batch_size=settings.batch_size)), args.runs
            ),
            "bare nlp.pipe (model + our rulers)": median_seconds(
                lambda: list(nlp.pipe(texts, batch_size=settings.batch_size)), args.runs
            ),
            "our extraction (nlp.pipe + extractors)": median_seconds(
                lambda: list(extract_all(docs, settings)), args.runs
            ),
            "full pipeline (+ RDF, SHACL, store, exports)": median_seconds(
                lambda: run_pipeline([folder], Path(tmp) / "out", settings), args.runs
            ),
        }
        out = Path(tmp) / "out"
        store = pyoxigraph.Store.read_only(str(out / "store"))
        dataset = Dataset(default_union=True)
        dataset.parse(out / "graph.trig", format="trig")
        query_rows: list[tuple[str, float, float | str]] = []
        for name, query in named_queries().items():
            oxigraph = median_seconds(lambda q=query: list(run_query(store, q)), args.runs)
            init = {str(v.value): _rdflib_term(t) for v, t in bindings(query, {}).items()}
            text = query.text
            try:
                rdflib_time: float | str = median_seconds(
                    lambda t=text, i=init: list(dataset.query(t, initBindings=i)), 1
                )
            except Exception as exc:  # rdflib's engine fails on some valid SPARQL
                rdflib_time = f"fails ({type(exc).__name__})"
            query_rows.append((name, oxigraph, rdflib_time))
    write_results(args, len(docs), words, rows, query_rows)


def _rdflib_term(term: object) -> object:
    from rdflib import Literal, URIRef

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    assert isinstance(term, pyoxigraph.Literal)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def write_results(
    args: argparse.Namespace,
    n_docs: int,
    words: int,
    rows: dict[str, float],
    query_rows: list[tuple[str, float, float]],
) -> None:
    bare = rows["bare nlp.pipe (model + our rulers)"]
    lines = [
        "# Benchmark results",
        "",
        f"conflict-kg {__version__}, spaCy {spacy.__version__}, pyoxigraph "
        f"{pyoxigraph.__version__ if hasattr(pyoxigraph, '__version__') else '?'}, "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{__import__('os').cpu_count()} cores.",
        "",
        f"Corpus: the examples repeated {args.repeat} times: {n_docs} articles, {words:,} words. "
        f"Median of {args.runs} runs. Command: `make bench`.",
        "",
        "| stage | seconds | words/s | vs bare nlp.pipe |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, seconds in rows.items():
        lines.append(f"| {label} | {seconds:.2f} | {words / seconds:,.0f} | {bare / seconds:.2f} |")
    lines += [
        "",
        "| named query | Oxigraph (ms) | rdflib (ms) | rdflib / Oxigraph |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, oxigraph, rdflib_time in query_rows:
        if isinstance(rdflib_time, str):
            lines.append(f"| {name} | {oxigraph * 1000:.1f} | {rdflib_time} | |")
            continue
        lines.append(
            f"| {name} | {oxigraph * 1000:.1f} | {rdflib_time * 1000:.1f} | "
            f"{rdflib_time / oxigraph:.0f}x |"
        )
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
