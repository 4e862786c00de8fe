"""Summarise py-spy's raw (collapsed stack) output: where the samples of a run went.

    py-spy record --format raw -o run.raw -- python script.py
    python bench/spy_summary.py run.raw > PROFILE.txt

Each raw line is `frame;frame;...;frame COUNT`, outermost first, each frame
`function (file:line)`. A function's inclusive share counts the samples with it
anywhere on the stack (once per sample, however deep the recursion); its own
share counts the samples where it was running.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
ROWS = 40
# The steps of a run, each the function that does it, for the table of bench/NOTES.md
# ("What limits a run now"); a step the top rows above may leave out is still given.
STEPS = {
    "spaCy nlp.pipe": "Language.pipe (spacy/language.py)",
    "SHACL": "validate_graph (etl/validate.py)",
    "  of which pySHACL": "_pyshacl (etl/validate.py)",
    "  of which the SPARQL constraints": "add_results (etl/sparql_constraints.py)",
    "the article's RDF graph": "article_graph (etl/rdf.py)",
    "extraction rules": "extract_doc (etl/extract/__init__.py)",
    "the article's N-Quads": "nquad_lines (etl/work.py)",
    "manifest and bulk load as articles stream": "_Run.take (etl/pipeline.py)",
    "after the stream: entities and lineage": "_Run.finish_graphs (etl/pipeline.py)",
    "  of which lineage": "_Run._replace_lineage (etl/pipeline.py)",
    "after the stream: exports, report, compaction": "_write_outputs (etl/pipeline.py)",
}


def frame_name(frame: str) -> str:
    """`validate (pyshacl/entrypoints.py:33)` without the line number, the path shortened."""
    name = _LINE.sub(")", frame.strip())
    name = re.sub(r"\(.*?site-packages/", "(", name)
    return re.sub(r"\(.*?/(etl|bench)/", r"(\1/", name)


def summarise(raw: str) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_name(f) for f in stack.split(";")]
        total += count
        inclusive.update(dict.fromkeys(set(frames), count))
        own[frames[-1]] += count
    lines = [f"{total:,} samples", "", "inclusive  own    function (file)"]
    for name, count in inclusive.most_common(ROWS):
        lines.append(f"{count / total:7.1%}  {own[name] / total:6.1%}  {name}")
    lines += ["", "most samples where running (own)", ""]
    lines += [f"{count / total:7.1%}  {name}" for name, count in own.most_common(ROWS // 2)]
    lines += ["", "steps of the run (inclusive)", ""]
    lines += [f"{inclusive[name] / total:7.1%}  {step}" for step, name in STEPS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1]).read_text(encoding="utf-8")), end="")
