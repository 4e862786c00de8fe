"""A self-contained HTML report of the store, readable offline.

`build_report` reads the store once (through `property_graph.read_property_graph`),
works out the views below as plain data, and renders `templates/report.html.j2` with
Jinja2. Charts are inline SVG computed here, so the page loads nothing: no script, no
font, no image from anywhere.

- sources: per article title, date, outlet, counts of facts, SHACL status, lineage;
- conflicts: figures of the same measure, subject, place and unit from two or more
  articles, each linked to its evidence sentence highlighted in the article text;
- a chart per measure and unit: one row per source in date order, each figure a dot
  with the interval its qualifier implies;
- the network of entities mentioned in two or more articles, linked when mentioned
  together;
- lineage (which article rewrites which) and a timeline of events.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from pathlib import Path

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from pyoxigraph import Store

from . import __version__
from .export import atomic_write
from .property_graph import Node, PropertyGraph, read_property_graph
from .store import open_store

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Colours by position, chosen to stay apart for readers with the common colour-vision
# deficiencies (Okabe-Ito palette).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000")
KIND_COLOURS = {
    "Person": "#0072B2",
    "Organization": "#E69F00",
    "State": "#009E73",
    "ArmedForce": "#D55E00",
    "Place": "#CC79A7",
}


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Figure:
    """One quantity as the report shows it."""

    id: str
    anchor: str  # HTML id of its highlight in the article text
    article: str  # article IRI
    source: str  # article identifier
    date: str  # the figure's own time, else its article's issue date, else ""
    measure: str
    unit: str
    value: float
    low: float | None
    high: float | None  # None: open above ("more than 300")
    qualifier: str
    subject: str
    place: str
    text: str
    sentence: str
    speakers: str


@dataclass(frozen=True)
class FigureGroup:
    measure: str
    subject: str
    place: str
    unit: str
    status: str  # agreeing, compatible, conflicting or later update
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class SourceRow:
    iri: str
    anchor: str
    identifier: str
    title: str
    issued: str
    outlet: str
    counts: dict[str, int]
    shacl: str
    derived_from: tuple[tuple[str, str, float, str], ...]  # (anchor, identifier, sim, basis)


@dataclass(frozen=True)
class ArticleText:
    anchor: str
    identifier: str
    title: str
    html: Markup  # the text with evidence sentences and figures marked


@dataclass
class Chart:
    title: str
    width: int
    height: int
    axis: list[tuple[float, str]]  # (x, tick label)
    rows: list[tuple[float, str]]  # (y, row label)
    marks: list[dict[str, object]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, subject)


@dataclass
class Network:
    width: int
    height: int
    nodes: list[dict[str, object]]
    edges: list[dict[str, object]]
    legend: list[tuple[str, str]]


@dataclass(frozen=True)
class TimelineEvent:
    date: str
    type: str
    agent: str
    place: str
    target: str
    source: str
    anchor: str
    sentence: str


@dataclass
class Report:
    sources: list[SourceRow]
    groups: list[FigureGroup]
    charts: list[Chart]
    network: Network
    lineage: list[tuple[SourceRow, SourceRow, float, str]]
    timeline: list[TimelineEvent]
    timeline_chart: Chart | None
    articles: list[ArticleText]
    version: str = __version__


def _anchor(iri: str) -> str:
    """An HTML id from an IRI: the part after the base, with safe characters only."""
    tail = iri.split("/id/", 1)[-1]
    return "n-" + "".join(c if c.isalnum() else "-" for c in tail)


def _names(graph: PropertyGraph, node_id: str, relation: str) -> str:
    return ", ".join(sorted(graph.name(t) for t in graph.targets(node_id, relation)))


def _article_of(graph: PropertyGraph, node_id: str) -> Node | None:
    articles = graph.targets(node_id, "REPORTED_IN")
    return graph.nodes.get(articles[0]) if articles else None


def _speakers(graph: PropertyGraph) -> dict[str, str]:
    found: dict[str, set[str]] = defaultdict(set)
    for edge in graph.edges:
        if edge.type == "ASSERTS":
            found[edge.target].add(_names(graph, edge.source, "CLAIMED_BY"))
    return {fact: ", ".join(sorted(names)) for fact, names in found.items()}


def figures(graph: PropertyGraph) -> list[Figure]:
    speakers = _speakers(graph)
    result = []
    for node in graph.by_label("Quantity"):
        props, article = node.properties, _article_of(graph, node.id)
        if article is None or "value" not in props:
            continue
        value = float(props["value"])
        high = props.get("maxValue")
        result.append(
            Figure(
                id=node.id,
                anchor=_anchor(node.id),
                article=article.id,
                source=str(article.properties.get("name", "")),
                date=str(props.get("time") or article.properties.get("issued") or ""),
                measure=str(props.get("measure", "")),
                unit=str(props.get("unit", "")),
                value=value,
                low=float(props.get("minValue", value)),
                high=None if high is None else float(high),
                qualifier=str(props.get("qualifier", "")),
                subject=_names(graph, node.id, "ABOUT"),
                place=_names(graph, node.id, "IN_PLACE"),
                text=str(props.get("name", "")),
                sentence=str(props.get("sentence", "")),
                speakers=speakers.get(node.id, ""),
            )
        )
    return sorted(result, key=lambda f: (f.measure, f.subject, f.date or "~", f.source, f.id))


def _overlap(a: Figure, b: Figure) -> bool:
    a_low, b_low = a.low if a.low is not None else a.value, b.low if b.low is not None else b.value
    return (a.high is None or a.high >= b_low) and (b.high is None or b.high >= a_low)


def classify(group: Iterable[Figure]) -> str:
    """agreeing (one value), compatible (intervals overlap), later update (the figures
    that disagree are dated differently) or conflicting."""
    members = list(group)
    if len({f.value for f in members}) == 1:
        return "agreeing"
    apart = [(a, b) for a, b in combinations(members, 2) if not _overlap(a, b)]
    if not apart:
        return "compatible"
    if all(a.date and b.date and a.date != b.date for a, b in apart):
        return "later update"
    return "conflicting"


def group_figures(all_figures: Iterable[Figure]) -> list[FigureGroup]:
    """Figures of one measure, subject, place and unit reported by two or more articles.

    This is the report's own grouping; it reads only Figure values, so a shared
    grouping from the query layer can replace it without touching the template.
    """
    buckets: dict[tuple[str, str, str, str], list[Figure]] = defaultdict(list)
    for figure in all_figures:
        buckets[(figure.measure, figure.subject, figure.place, figure.unit)].append(figure)
    groups = []
    for (measure, subject, place, unit), members in sorted(buckets.items()):
        if len({f.article for f in members}) < 2:
            continue
        ordered = tuple(sorted(members, key=lambda f: (f.date or "~", f.source, f.value)))
        groups.append(FigureGroup(measure, subject, place, unit, classify(ordered), ordered))
    order = {"conflicting": 0, "later update": 1, "compatible": 2, "agreeing": 3}
    return sorted(groups, key=lambda g: (order[g.status], g.measure, g.subject, g.place))


# --------------------------------------------------------------------------- sources


def _counts(graph: PropertyGraph) -> dict[str, dict[str, int]]:
    """Per article IRI: its quantities, events, claims and distinct entities mentioned."""
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"quantities": 0, "events": 0, "claims": 0, "entities": 0}
    )
    plural = {"Quantity": "quantities", "Event": "events", "Claim": "claims"}
    for edge in graph.edges:
        if edge.type == "REPORTED_IN":
            counts[edge.target][plural[graph.nodes[edge.source].label]] += 1
        elif edge.type == "MENTIONS":
            counts[edge.source]["entities"] += 1
    return counts


def _shacl(identifier: str, violations: Mapping[str, int] | None) -> str:
    if violations is None or identifier not in violations:
        return "not recorded"
    count = violations[identifier]
    return "conforms" if count == 0 else f"{count} violation(s)"


def sources(graph: PropertyGraph, violations: Mapping[str, int] | None) -> list[SourceRow]:
    rows = []
    counts = _counts(graph)
    derivations: dict[str, list] = defaultdict(list)
    for edge in graph.edges:
        if edge.type == "DERIVED_FROM":
            derivations[edge.source].append(edge)
    for article in graph.by_label("Article"):
        props = article.properties
        derived = tuple(
            (
                _anchor(e.target),
                graph.name(e.target),
                float(e.properties.get("similarity", 0)),
                str(e.properties.get("basis", "")),
            )
            for e in derivations[article.id]
        )
        identifier = str(props.get("name", ""))
        rows.append(
            SourceRow(
                article.id,
                _anchor(article.id),
                identifier,
                str(props.get("title", "")),
                str(props.get("issued", "")),
                str(props.get("source", "")),
                counts[article.id],
                _shacl(identifier, violations),
                derived,
            )
        )
    return sorted(rows, key=lambda r: (r.issued or "~", r.identifier))


# --------------------------------------------------------------------------- article texts


def marked_text(text: str, sentences: Iterable[tuple[int, int]], spans: Mapping) -> Markup:
    """`text` escaped, evidence sentences in <mark>, figures in <strong id=…>.

    `spans` maps (begin, end) of a figure to its HTML id; sentences that overlap an
    earlier one are merged into it so the markup stays well nested.
    """
    merged: list[list[int]] = []
    for begin, end in sorted(sentences):
        if merged and begin < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    cuts = {0, len(text)}
    cuts.update(i for pair in merged for i in pair)
    figure_spans = sorted((b, e, a) for (b, e), a in spans.items() if 0 <= b < e <= len(text))
    kept: list[tuple[int, int, str]] = []
    for begin, end, anchor in figure_spans:
        inside = any(m[0] <= begin and end <= m[1] for m in merged)
        if inside and (not kept or begin >= kept[-1][1]):
            kept.append((begin, end, anchor))
            cuts.update((begin, end))
    starts = {b: a for b, _, a in kept}
    ends = {e for _, e, _ in kept}
    sentence_starts = {m[0] for m in merged}
    sentence_ends = {m[1] for m in merged}
    parts: list[str] = []
    points = sorted(cuts)
    for here, nxt in pairwise(points):
        if here in ends:
            parts.append("</strong>")
        if here in sentence_ends:
            parts.append("</mark>")
        if here in sentence_starts:
            parts.append("<mark>")
        if here in starts:
            parts.append(f'<strong id="{starts[here]}" class="figure">')
        parts.append(str(escape(text[here:nxt])))
    end = len(text)
    if end in ends:
        parts.append("</strong>")
    if end in sentence_ends:
        parts.append("</mark>")
    return Markup("".join(parts))


def article_texts(graph: PropertyGraph) -> list[ArticleText]:
    sentences: dict[str, set[tuple[int, int]]] = defaultdict(set)
    spans: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
    for node in graph.nodes.values():
        props = node.properties
        if node.label not in {"Quantity", "Event", "Claim"} or "sentenceBegin" not in props:
            continue
        article = _article_of(graph, node.id)
        if article is None:
            continue
        sentences[article.id].add((int(props["sentenceBegin"]), int(props["sentenceEnd"])))
        if node.label == "Quantity" and "begin" in props:
            spans[article.id][(int(props["begin"]), int(props["end"]))] = _anchor(node.id)
    texts = []
    for article in sorted(graph.by_label("Article"), key=lambda a: str(a.properties["name"])):
        text = str(article.properties.get("text", ""))
        texts.append(
            ArticleText(
                _anchor(article.id),
                str(article.properties.get("name", "")),
                str(article.properties.get("title", "")),
                marked_text(text, sentences[article.id], spans[article.id]),
            )
        )
    return texts


# --------------------------------------------------------------------------- charts


def _nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _label(number: float) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:g}M"
    if number >= 10_000:
        return f"{number / 1000:g}k"
    return f"{number:g}"


def measure_chart(measure: str, unit: str, members: list[Figure]) -> Chart:
    """One row per source (oldest first), a dot per figure and a bar for its interval."""
    rows = sorted({(f.date or "~", f.source) for f in members})
    row_height, left, right, top = 26, 250, 40, 30
    width = 760
    height = top + row_height * len(rows) + 40
    highest = max(max(f.value, f.high or f.value) for f in members)
    ticks = _nice_ticks(highest * 1.05)
    span = ticks[-1] or 1.0
    plot = width - left - right

    def x(value: float) -> float:
        return round(left + plot * min(value, span) / span, 1)

    subjects = sorted({f.subject or "(unstated)" for f in members})
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(subjects)}
    row_y = {row: top + row_height * i + row_height / 2 for i, row in enumerate(rows)}
    chart = Chart(
        title=f"{measure} ({unit})" if unit else measure,
        width=width,
        height=height,
        axis=[(x(t), _label(t)) for t in ticks],
        rows=[(row_y[r], f"{'undated' if r[0] == '~' else r[0]} · {r[1]}") for r in rows],
        legend=[(colour[s], s) for s in subjects],
    )
    for figure in members:
        y = row_y[(figure.date or "~", figure.source)]
        low = figure.low if figure.low is not None else figure.value
        chart.marks.append(
            {
                "x": x(figure.value),
                "y": y,
                "x1": x(low),
                "x2": x(figure.high) if figure.high is not None else x(span),
                "open": figure.high is None,
                "colour": colour[figure.subject or "(unstated)"],
                "href": "#" + figure.anchor,
                "tip": f"{figure.qualifier} {_label(figure.value)} {figure.subject} — "
                f"{figure.source}: {figure.text}",
            }
        )
    return chart


def measure_charts(all_figures: list[Figure]) -> list[Chart]:
    by_measure: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    for figure in all_figures:
        by_measure[(figure.measure, figure.unit)].append(figure)
    return [measure_chart(m, u, fs) for (m, u), fs in sorted(by_measure.items())]


# --------------------------------------------------------------------------- network


# A picture of more entities is unreadable, and networkx lays out larger graphs only
# with SciPy, which is not a dependency.
MAX_NETWORK_NODES = 80


def entity_network(graph: PropertyGraph, least_articles: int = 2) -> Network:
    """Entities mentioned in `least_articles` or more articles, the MAX_NETWORK_NODES most
    mentioned of them; an edge per pair mentioned in the same article, weighted by how
    many articles mention both."""
    mentioned: dict[str, set[str]] = defaultdict(set)
    for edge in graph.edges:
        if edge.type == "MENTIONS":
            mentioned[edge.target].add(edge.source)
    candidates = [e for e, articles in mentioned.items() if len(articles) >= least_articles]
    most = sorted(candidates, key=lambda e: (-len(mentioned[e]), e))[:MAX_NETWORK_NODES]
    shared = sorted(most)
    network = nx.Graph()
    network.add_nodes_from(shared)
    for a, b in combinations(shared, 2):
        together = len(mentioned[a] & mentioned[b])
        if together:
            network.add_edge(a, b, weight=together)
    size = 640
    # spring layout with a fixed seed: the same graph always gets the same picture
    positions = nx.spring_layout(network, seed=7, weight="weight") if shared else {}
    margin = 70

    def place(point: float) -> float:
        return round(margin + (point + 1) / 2 * (size - 2 * margin), 1)

    nodes = [
        {
            "x": place(positions[e][0]),
            "y": place(positions[e][1]),
            "r": round(5 + 3 * math.sqrt(len(mentioned[e])), 1),
            "label": graph.name(e),
            "colour": KIND_COLOURS.get(str(graph.nodes[e].properties.get("kind")), "#777"),
            "tip": f"{graph.name(e)}: {len(mentioned[e])} articles",
        }
        for e in shared
    ]
    edges = [
        {
            "x1": place(positions[a][0]),
            "y1": place(positions[a][1]),
            "x2": place(positions[b][0]),
            "y2": place(positions[b][1]),
            "w": data["weight"],
        }
        for a, b, data in sorted(network.edges(data=True))
    ]
    return Network(size, size, nodes, edges, sorted((c, k) for k, c in KIND_COLOURS.items()))


# --------------------------------------------------------------------------- timeline


def timeline(graph: PropertyGraph) -> list[TimelineEvent]:
    events = []
    for node in graph.by_label("Event"):
        article = _article_of(graph, node.id)
        props = node.properties
        issued = article.properties.get("issued") if article else None
        events.append(
            TimelineEvent(
                date=str(props.get("time") or issued or ""),
                type=str(props.get("eventType", "")),
                agent=_names(graph, node.id, "AGENT"),
                place=_names(graph, node.id, "IN_PLACE"),
                target=_names(graph, node.id, "TARGET"),
                source=str(article.properties.get("name", "")) if article else "",
                anchor=_anchor(article.id) if article else "",
                sentence=str(props.get("sentence", "")),
            )
        )
    return sorted(events, key=lambda e: (e.date == "", e.date, e.source, e.type))


def timeline_chart(events: list[TimelineEvent]) -> Chart | None:
    """Dated events on a line, one row per event type."""
    dated = [e for e in events if e.date]
    if not dated:
        return None
    dates = sorted({e.date for e in dated})
    types = sorted({e.type for e in dated})
    left, right, top, row_height, width = 150, 30, 30, 24, 760
    plot = width - left - right
    step = plot / max(1, len(dates) - 1)
    x_of = {
        d: round(left + step * i if len(dates) > 1 else left + plot / 2, 1)
        for i, d in enumerate(dates)
    }
    y_of = {t: top + row_height * i + row_height / 2 for i, t in enumerate(types)}
    chart = Chart(
        title="Events by date",
        width=width,
        height=top + row_height * len(types) + 50,
        axis=[(x_of[d], d) for d in dates],
        rows=[(y_of[t], t) for t in types],
    )
    for event in dated:
        chart.marks.append(
            {
                "x": x_of[event.date],
                "y": y_of[event.type],
                "colour": PALETTE[types.index(event.type) % len(PALETTE)],
                "href": "#" + event.anchor,
                "tip": f"{event.date} {event.type} {event.agent} {event.place} ({event.source})",
            }
        )
    return chart


# --------------------------------------------------------------------------- assembly


def build_report(store: Store, violations: Mapping[str, int] | None = None) -> str:
    """The report of `store` as one HTML document; `violations` per article identifier
    gives the SHACL status column (left "not recorded" without it)."""
    graph = read_property_graph(store)
    all_figures = figures(graph)
    rows = sources(graph, violations)
    by_iri = {row.iri: row for row in rows}
    lineage = [
        (
            by_iri[e.source],
            by_iri[e.target],
            float(e.properties.get("similarity", 0)),
            str(e.properties.get("basis", "")),
        )
        for e in graph.edges
        if e.type == "DERIVED_FROM" and e.source in by_iri and e.target in by_iri
    ]
    events = timeline(graph)
    report = Report(
        sources=rows,
        groups=group_figures(all_figures),
        charts=measure_charts(all_figures),
        network=entity_network(graph),
        lineage=lineage,
        timeline=events,
        timeline_chart=timeline_chart(events),
        articles=article_texts(graph),
    )
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    return template.render(report=report)


def violations_from_run_json(path: Path) -> dict[str, int] | None:
    """Per-article SHACL violations recorded by `ckg run` in run.json, when it is there."""
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {
        record["identifier"]: int(record.get("violations", 0))
        for record in run.get("inputs", [])
        if record.get("status") == "ok"
    }


# `ckg run` writes the full report for up to this many articles. The page holds every
# article's text and every figure; past a few hundred articles it is too large to read
# or to open (200 MB and 3 GB of memory to build at 1,000 generated dispatches).
REPORT_MAX_ARTICLES = 500


def run_report(store: Store, violations: Mapping[str, int]) -> str:
    """The report.html of a run: the report, or for a larger corpus a page saying why not."""
    if len(violations) <= REPORT_MAX_ARTICLES:
        return build_report(store, violations)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>conflict-kg report</title></head><body><h1>conflict-kg report</h1>"
        f"<p>This run holds {len(violations):,} articles; <code>ckg run</code> writes the "
        f"report for up to {REPORT_MAX_ARTICLES:,}. Query the store "
        "(<code>ckg query</code>, <code>ckg serve</code>), or write the full report "
        "with <code>ckg report</code>.</p></body></html>\n"
    )


def write_report(store_dir: Path, out: Path) -> Path:
    """Render the report of the store at `store_dir` into `out` (atomically)."""
    store = open_store(store_dir)
    violations = violations_from_run_json(store_dir.parent / "run.json")
    atomic_write(out, build_report(store, violations).encode("utf-8"))
    return out
