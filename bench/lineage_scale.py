"""How lineage detection scales: synthetic articles, some reprints, time to find the links.

    .venv/bin/python bench/lineage_scale.py [ARTICLES] [REPRINTS]

Articles are 400 words drawn from a 20,000-word vocabulary (so unrelated articles share
no 5-gram); each reprint is the first half of an earlier article behind a new opening
word. Prints the number of articles, links found and seconds taken.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time

from etl.lineage import find_lineage
from etl.model import Document, Extraction


def _extraction(name: str, text: str) -> Extraction:
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Extraction(Document(sha, name, text, ((0, len(text)),)))


def main(articles: int = 2000, reprints: int = 100) -> None:
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(20_000)]
    corpus = [
        _extraction(f"{n:05}.txt", " ".join(rng.choices(vocabulary, k=400)) + ".")
        for n in range(articles)
    ]
    for n in range(reprints):
        source = corpus[n].document.text
        corpus.append(_extraction(f"r{n:05}.txt", "Reprint. " + source[: len(source) // 2]))
    start = time.perf_counter()
    links = find_lineage(corpus)
    seconds = time.perf_counter() - start
    print(f"{len(corpus)} articles, {len(links)} links, {seconds:.2f} s")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
