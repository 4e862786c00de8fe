"""A worker's memory against a corpus's vocabulary: spaCy's memory zones on and off.

spaCy keeps every string and lexeme it meets for the life of the process, and news
reporting brings new names, places and numbers with every article, so a worker that
extracts for hours would grow with the corpus's vocabulary. Extraction runs each
chunk in a memory zone (`etl.work.extract_documents`), which frees them afterwards.

The generated corpus reuses a small vocabulary, so each article here is given
`--new-words` words no other article has. Each arm runs in a fresh process over the
same articles, in chunks of 16 as a worker does (validation off: it does not touch
spaCy): "zones" as the pipeline runs, "no zones" with `Language.memory_zone`
replaced by a context that does nothing.

Usage:
  python bench/vocab_growth.py CORPUS [--articles 480] [--new-words 100]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import random
import statistics
import string
import sys
import tempfile
from pathlib import Path

import psutil

CHUNK = 16


def with_new_words(corpus: Path, folder: Path, articles: int, new_words: int) -> list[Path]:
    """Copies of the first `articles` files, each ending with words of its own."""
    rng = random.Random(7)
    paths = []
    for source in sorted(corpus.rglob("*.txt"))[:articles]:
        words = ("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(new_words))
        target = folder / source.name
        names = ", ".join(word.capitalize() for word in words)
        target.write_text(f"{source.read_text()}\n\nThe list named {names}.\n", encoding="utf-8")
        paths.append(target)
    return paths


def run_arm(paths: list[Path], zones: bool, answer: multiprocessing.Queue) -> None:
    from etl.config import Settings
    from etl.ingest import Rejected, read_sources
    from etl.nlp import build_pipeline
    from etl.work import process_chunk

    settings = Settings()
    nlp = build_pipeline(settings.model)
    if not zones:
        nlp.memory_zone = lambda *args, **kwargs: contextlib.nullcontext()  # type: ignore[method-assign]
    documents = [d for d in read_sources(paths) if not isinstance(d, Rejected)]
    process = psutil.Process()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    samples = []
    for start in range(0, len(documents), CHUNK):
        process_chunk(documents[start : start + CHUNK], settings, validate=False)
        # freed memory that malloc keeps for later is not growth: give it back first
        libc.malloc_trim(0)
        samples.append((start + CHUNK, process.memory_info().rss, len(nlp.vocab.strings)))
    answer.put(samples)


def measure(paths: list[Path], zones: bool) -> list[tuple[int, int, int]]:
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=run_arm, args=(paths, zones, answer))
    child.start()
    samples = answer.get()
    child.join()
    return samples


def row(name: str, samples: list[tuple[int, int, int]]) -> str:
    # The first chunk loads what every later one reuses, so growth is counted after it,
    # as the slope of a line through the samples: RSS goes up and down with each batch.
    later = samples[1:] or samples
    slope = statistics.linear_regression([s[0] for s in later], [s[1] for s in later]).slope
    (_, first_rss, _), (_, last_rss, strings) = samples[0], samples[-1]
    return (
        f"| {name} | {first_rss / 2**20:,.0f} | {last_rss / 2**20:,.0f} | {slope / 1024:,.1f} "
        f"| {strings:,} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--articles", type=int, default=480)
    parser.add_argument("--new-words", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vocab-") as folder:
        paths = with_new_words(args.corpus, Path(folder), args.articles, args.new_words)
        if len(paths) < 3 * CHUNK:  # a slope needs two samples after the first chunk
            sys.exit(f"{args.corpus}: {len(paths)} .txt files; at least {3 * CHUNK} are needed")
        arms = {"zones": measure(paths, True), "no zones": measure(paths, False)}
    print(f"{len(paths)} articles, {args.new_words} new words each, chunks of {CHUNK}")
    columns = ["RSS after the first chunk, MiB", "at the end, MiB", "growth, KiB an article"]
    print(f"| arm | {' | '.join(columns)} | strings |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, samples in arms.items():
        print(row(name, samples))


if __name__ == "__main__":
    main()
