"""Do the sources agree? Figures grouped by measure, subject and place, each group labelled.

The named query `conflicts` (queries/conflicts.rq) returns every figure whose measure
another article also reports; the grouping and labelling happen here, because they compare
intervals and times pair by pair, which SPARQL says only clumsily. The rules, also in
docs/graph.md:

Grouping. Figures of the same measure and unit whose subject (`ckg:about`) and place are
equal form a group. A figure that leaves the subject or the place unstated joins the one
group that agrees with everything it does state; when several groups do, it stays apart,
because it cannot be told which of them it speaks about. Only groups with figures from two
or more articles are reported.

Labelling a pair of figures from different articles, in this order:

- agreeing: the same value, or the same interval;
- later update: both have a stated time (`ckg:time`), and neither time contains the other
  ("2024-10" contains "2024-10-05"); the later figure supersedes the earlier;
- compatible: the intervals overlap (an unbounded side is open: "more than 60%" reaches up);
- conflicting: the intervals are disjoint.

A figure's interval is [`ckg:minValue`, `ckg:maxValue`] (docs/graph.md, interval rules).
Where a bound is missing it is the value itself, except above an "at least" or "more
than" figure, which stays open.

A group is agreeing when all its pairs agree; compatible when all agree or are compatible;
a later update when every other pair is a later update; conflicting otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any

from pyoxigraph import Store

from .queries import named_queries, run_query

AGREEING = "agreeing"
COMPATIBLE = "compatible"
CONFLICTING = "conflicting"
LATER_UPDATE = "later update"
# Qualifiers whose interval has no upper bound when ckg:maxValue is absent.
OPEN_ABOVE = frozenset({"AtLeast", "MoreThan"})


@dataclass(frozen=True)
class Figure:
    """One figure as a source reports it."""

    iri: str
    measure: str
    unit: str
    subject: str | None  # entity IRI
    subject_label: str | None
    place: str | None  # entity IRI
    place_label: str | None
    value: Decimal
    qualifier: str
    low: Decimal
    high: Decimal | None  # None: no upper bound
    time: str | None  # ckg:time, ISO text (2024, 2024-10, 2024-10-05)
    time_text: str | None
    article: str  # dcterms:identifier
    title: str | None
    issued: str | None
    speakers: tuple[str, ...]  # empty: the article itself asserts it
    sentence: str | None

    @property
    def source(self) -> str:
        return self.title or self.article

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.iri,
            "value": str(self.value),
            "qualifier": self.qualifier,
            "min": str(self.low),
            "max": None if self.high is None else str(self.high),
            "time": self.time,
            "timeText": self.time_text,
            "article": self.article,
            "title": self.title,
            "issued": self.issued,
            "speakers": list(self.speakers),
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class Pair:
    """Two figures of one group from different articles; for an update, `first` is earlier."""

    first: Figure
    second: Figure
    label: str


@dataclass(frozen=True)
class ConflictGroup:
    measure: str
    unit: str
    subject_label: str | None
    place_label: str | None
    figures: tuple[Figure, ...]
    pairs: tuple[Pair, ...]
    label: str

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(sorted({f.article for f in self.figures}))

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "unit": self.unit,
            "subject": self.subject_label,
            "place": self.place_label,
            "label": self.label,
            "figures": [f.as_dict() for f in self.figures],
            "pairs": [
                {"first": p.first.iri, "second": p.second.iri, "label": p.label} for p in self.pairs
            ],
        }


# ---------------------------------------------------------------- figures from the store


def _text(row: Any, name: str) -> str | None:
    term = row[name]
    return None if term is None else str(term.value)


def _figure(rows: list[Any]) -> Figure:
    """One figure from its rows (one row per speaker)."""
    row = rows[0]
    value = Decimal(row["value"].value)
    qualifier = _text(row, "qualifier") or ""
    low, high = _text(row, "minValue"), _text(row, "maxValue")
    if high is None and qualifier not in OPEN_ABOVE:
        high = str(value)
    return Figure(
        iri=str(row["figure"].value),
        measure=_text(row, "measureName") or "",
        unit=_text(row, "unit") or "",
        subject=_text(row, "subject"),
        subject_label=_text(row, "subjectLabel"),
        place=_text(row, "place"),
        place_label=_text(row, "placeLabel"),
        value=value,
        qualifier=qualifier,
        low=Decimal(low) if low is not None else value,
        high=Decimal(high) if high is not None else None,
        time=_text(row, "time"),
        time_text=_text(row, "timeText"),
        article=_text(row, "article") or "",
        title=_text(row, "title"),
        issued=_text(row, "issued"),
        speakers=tuple(sorted({s for r in rows if (s := _text(r, "speakerLabel"))})),
        sentence=_text(row, "sentence"),
    )


def read_figures(store: Store, measure: str = "") -> list[Figure]:
    """Figures the `conflicts` query returns, one per figure, in the query's order."""
    result = run_query(store, named_queries()["conflicts"], {"measure": measure})
    rows_of: dict[str, list[Any]] = {}
    for row in result:
        rows_of.setdefault(str(row["figure"].value), []).append(row)
    return [_figure(rows) for rows in rows_of.values()]


# ---------------------------------------------------------------- grouping


Key = tuple[str, str, str | None, str | None]  # measure, unit, subject, place


def _key(figure: Figure) -> Key:
    return (figure.measure, figure.unit, figure.subject, figure.place)


def _generalises(general: Key, specific: Key) -> bool:
    """True when `specific` says everything `general` says, and more."""
    if general == specific or general[:2] != specific[:2]:
        return False
    return all(g is None or g == s for g, s in zip(general[2:], specific[2:], strict=True))


def _unknowns(key: Key) -> int:
    return sum(part is None for part in key[2:])


def group_figures(figures: Iterable[Figure]) -> list[list[Figure]]:
    """Figures grouped by measure, unit, subject and place, less specific ones folded into
    the one more specific group that fits them (see the module docstring)."""
    groups: dict[Key, list[Figure]] = defaultdict(list)
    for figure in figures:
        groups[_key(figure)].append(figure)
    # most specific first, so a figure that states nothing joins a group already complete
    for key in sorted(groups, key=lambda k: (_unknowns(k), str(k))):
        if _unknowns(key) == 0:
            continue
        targets = [other for other in groups if _generalises(key, other)]
        if len(targets) == 1:
            groups[targets[0]].extend(groups.pop(key))
    return list(groups.values())


# ---------------------------------------------------------------- labelling


def _overlap(a: Figure, b: Figure) -> bool:
    return (a.high is None or a.high >= b.low) and (b.high is None or b.high >= a.low)


def _different_times(a: Figure, b: Figure) -> bool:
    if a.time is None or b.time is None:
        return False
    return not (a.time.startswith(b.time) or b.time.startswith(a.time))


def classify(a: Figure, b: Figure) -> Pair:
    """The relation of two figures of one group (rules in the module docstring)."""
    if a.value == b.value or (a.low, a.high) == (b.low, b.high):
        return Pair(a, b, AGREEING)
    if _different_times(a, b):
        earlier, later = sorted((a, b), key=lambda f: f.time or "")
        return Pair(earlier, later, LATER_UPDATE)
    return Pair(a, b, COMPATIBLE if _overlap(a, b) else CONFLICTING)


def group_label(pairs: Iterable[Pair]) -> str:
    labels = {pair.label for pair in pairs}
    if labels <= {AGREEING}:
        return AGREEING
    if labels <= {AGREEING, COMPATIBLE}:
        return COMPATIBLE
    if labels <= {AGREEING, COMPATIBLE, LATER_UPDATE}:
        return LATER_UPDATE
    return CONFLICTING


def _label_of(figures: list[Figure]) -> ConflictGroup | None:
    figures = sorted(figures, key=lambda f: (f.article, f.iri))
    pairs = tuple(classify(a, b) for a, b in combinations(figures, 2) if a.article != b.article)
    if not pairs:
        return None  # every figure from one article: nothing to compare across sources
    # a group's subject and place are those its most specific figures state
    return ConflictGroup(
        measure=figures[0].measure,
        unit=figures[0].unit,
        subject_label=next((f.subject_label for f in figures if f.subject_label), None),
        place_label=next((f.place_label for f in figures if f.place_label), None),
        figures=tuple(figures),
        pairs=pairs,
        label=group_label(pairs),
    )


def find_conflicts(store: Store, measure: str = "") -> list[ConflictGroup]:
    """Groups of figures that two or more articles report, each labelled; `measure` narrows
    them to one measure (local name such as TroopCount, or its IRI)."""
    groups = [_label_of(figures) for figures in group_figures(read_figures(store, measure))]
    found = [group for group in groups if group is not None]
    return sorted(found, key=lambda g: (g.measure, g.unit, g.subject_label or "", g.articles))


def as_rows(groups: Iterable[ConflictGroup]) -> list[Mapping[str, Any]]:
    """One flat row per figure, with its group's columns: for CSV and tables."""
    rows: list[Mapping[str, Any]] = []
    for number, group in enumerate(groups, start=1):
        for figure in group.figures:
            rows.append(
                {
                    "group": number,
                    "label": group.label,
                    "measure": group.measure,
                    "subject": group.subject_label or "",
                    "place": group.place_label or "",
                    "value": str(figure.value),
                    "unit": group.unit,
                    "qualifier": figure.qualifier,
                    "interval": _interval(figure),
                    "time": figure.time or figure.time_text or "",
                    "source": figure.source,
                    "speaker": ", ".join(figure.speakers) or "(the article)",
                    "sentence": figure.sentence or "",
                }
            )
    return rows


def _interval(figure: Figure) -> str:
    high = "…" if figure.high is None else _number(figure.high)
    return f"{_number(figure.low)}–{high}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
