"""The gazetteer's entity ruler: phrase patterns (as built) against token patterns.

`etl.nlp.gazetteer_patterns` gives each label that matches whatever the case as a
phrase, which spaCy's PhraseMatcher looks up once per token; as token patterns, which
its Matcher tries one by one at every token, the ruler took 11% of a run's time in
the profile (bench/PROFILE.txt), as much as the model's forward pass.
This times `nlp.pipe` over the same texts with both, one after the other, `--runs`
times, and checks that they find the same entities.

Usage: python bench/ruler.py CORPUS [--articles 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.gazetteer import load_gazetteer
from etl.ingest import Rejected, read_sources
from etl.nlp import _token_pattern, build_pipeline, gazetteer_patterns

RULER = "ckg_gazetteer"


def as_tokens(pattern: dict[str, Any]) -> dict[str, Any]:
    """A phrase pattern as the token pattern it replaced."""
    if not isinstance(pattern["pattern"], str):
        return pattern
    return {**pattern, "pattern": _token_pattern(pattern["pattern"], case_sensitive=False)}


def token_pipeline() -> Any:
    """The pipeline as built, but with every gazetteer label as a token pattern."""
    nlp = build_pipeline.__wrapped__()  # a second copy, not the cached one
    config = {"overwrite_ents": True, "validate": False}
    nlp.replace_pipe(RULER, "entity_ruler", config=config)
    patterns = [as_tokens(p) for p in gazetteer_patterns(load_gazetteer())]
    nlp.get_pipe(RULER).add_patterns(patterns)
    return nlp


def timed(nlp: Any, texts: list[str]) -> tuple[float, list[list[tuple[int, int, str, str]]]]:
    clock = time.perf_counter()
    ents = [
        [(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents]
        for doc in nlp.pipe(texts, batch_size=32)
    ]
    return time.perf_counter() - clock, ents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.txt"))[: args.articles]
    texts = [d.masked_text() for d in read_sources(files) if not isinstance(d, Rejected)]
    pipelines = {"phrase patterns": build_pipeline(), "token patterns": token_pipeline()}
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    found = {}
    for _ in range(args.runs):
        for name, nlp in pipelines.items():
            took, found[name] = timed(nlp, texts)
            seconds[name].append(took)
    words = sum(len(text.split()) for text in texts)
    print(f"{len(texts)} articles, {words:,} words; nlp.pipe, batch 32, median of {args.runs}")
    for name, runs in seconds.items():
        median = statistics.median(runs)
        print(f"  {name}: {median:.1f} s ({words / median:,.0f} words/s), runs {runs}")
    same = found["phrase patterns"] == found["token patterns"]
    print(f"same entities: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
