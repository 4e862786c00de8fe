"""The graph as a property graph, for tools that do not speak RDF.

| format  | what                                                        | for                   |
| ------- | ----------------------------------------------------------- | --------------------- |
| graphml | articles, entities and facts as nodes; their links as edges | Gephi, yEd, networkx  |
| neo4j   | one CSV of nodes per label and one of relationships          | `neo4j-admin import`  |
| acled   | one CSV row per event and per figure, ACLED-shaped columns   | spreadsheets, pandas  |

Nodes: `Article`, `Entity` (with its kind: Person, Organization, State, ArmedForce,
Place), `Quantity`, `Event` (with its type) and `Claim`. Relationships: a fact
`REPORTED_IN` its article; a quantity `ABOUT` what it counts; a fact `IN_PLACE`;
an event's `AGENT` and `TARGET`; a claim `CLAIMED_BY` its speaker and `ASSERTS`
the facts it carries; an article `MENTIONS` an entity (with how many times); an
article `DERIVED_FROM` another (source lineage, with similarity and basis).
Mentions and sentences are not nodes: a fact carries its evidence sentence.

Everything is read from the store in one pass over its quads and sorted, so equal
stores give byte-identical files.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from pyoxigraph import Literal, NamedNode, Store

from .errors import CkgError
from .export import atomic_write
from .model import EntityKind, EventType

CKG = "https://w3id.org/conflict-kg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"

ENTITY_KINDS = tuple(kind.rdf_class for kind in EntityKind)
EVENT_TYPES = tuple(event_type.value for event_type in EventType)
# fact predicate -> relationship type
FACT_LINKS = {
    "about": "ABOUT",
    "place": "IN_PLACE",
    "agent": "AGENT",
    "target": "TARGET",
    "claimedBy": "CLAIMED_BY",
    "asserts": "ASSERTS",
    "reportedIn": "REPORTED_IN",
}
Value = str | int | float


@dataclass(frozen=True)
class Node:
    id: str  # the RDF IRI
    label: str  # Article, Entity, Quantity, Event or Claim
    properties: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    type: str
    properties: dict[str, Value] = field(default_factory=dict)


@dataclass
class PropertyGraph:
    nodes: dict[str, Node]
    edges: list[Edge]
    _index: dict[tuple[str, str], list[str]] | None = field(default=None, repr=False)

    def targets(self, source: str, relation: str) -> list[str]:
        """Targets of `source`'s edges of type `relation`, from an index built once."""
        if self._index is None:
            index: dict[tuple[str, str], list[str]] = defaultdict(list)
            for edge in self.edges:
                index[(edge.source, edge.type)].append(edge.target)
            self._index = index
        return self._index.get((source, relation), [])

    def by_label(self, label: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.label == label]

    def name(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return str(node.properties.get("name", "")) if node else ""

    def to_networkx(self) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        for node in self.nodes.values():
            graph.add_node(node.id, node_label=node.label, **node.properties)
        for edge in self.edges:
            graph.add_edge(
                edge.source, edge.target, key=edge.type, type=edge.type, **edge.properties
            )
        return graph


# --------------------------------------------------------------------------- reading


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _describe(store: Store) -> dict[str, dict[str, list[NamedNode | Literal]]]:
    """Every IRI subject with its predicates and objects, over the union of all graphs."""
    description: dict[str, dict[str, list[NamedNode | Literal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for quad in store.quads_for_pattern(None, None, None, None):
        if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode | Literal):
            values = description[quad.subject.value][quad.predicate.value]
            if quad.object not in values:
                values.append(quad.object)
    return description


def _first(properties: dict[str, list[NamedNode | Literal]], iri: str) -> str | None:
    values = sorted(properties.get(iri, []), key=lambda term: term.value)
    return values[0].value if values else None


def _literals(properties: dict[str, list[NamedNode | Literal]], names: dict[str, str]) -> dict:
    found: dict[str, Value] = {}
    for name, iri in names.items():
        value = _first(properties, iri)
        if value is not None:
            found[name] = value
    return found


def _kind(types: Iterable[str], allowed: tuple[str, ...]) -> str | None:
    locals_ = sorted(_local(t) for t in types if t.startswith(CKG))
    return next((name for name in locals_ if name in allowed), None)


def _article(iri: str, props: dict) -> Node:
    fields = {"name": DCTERMS + "identifier", "title": DCTERMS + "title"}
    fields |= {"issued": DCTERMS + "issued", "source": DCTERMS + "source", "text": CKG + "text"}
    properties = _literals(props, fields)
    properties["sha256"] = _first(props, CKG + "sha256") or _local(iri)
    return Node(iri, "Article", properties)


def _entity(iri: str, props: dict, kind: str) -> Node:
    properties: dict[str, Value] = {"name": _first(props, SKOS + "prefLabel") or _local(iri)}
    properties["kind"] = kind
    alt = sorted(v.value for v in props.get(SKOS + "altLabel", []))
    if alt:
        properties["altLabels"] = "; ".join(alt)
    return Node(iri, "Entity", properties)


def _fact(iri: str, props: dict, label: str, evidence: dict[str, dict]) -> Node:
    properties: dict[str, Value] = _literals(
        props,
        {
            "name": CKG + "anchorOf",
            "timeText": CKG + "timeText",
            "time": CKG + "time",
            "begin": CKG + "beginIndex",
            "end": CKG + "endIndex",
        },
    )
    for name in ("begin", "end"):
        if name in properties:
            properties[name] = int(properties[name])
    sentence = evidence.get(_first(props, CKG + "evidence") or "", {})
    if sentence:
        properties |= _literals(sentence, {"sentence": CKG + "sentence"})
        for name, local in (("sentenceBegin", "beginIndex"), ("sentenceEnd", "endIndex")):
            value = _first(sentence, CKG + local)
            if value is not None:
                properties[name] = int(value)
    if label == "Quantity":
        for name in ("measure", "unit", "qualifier"):
            value = _first(props, CKG + name)
            if value is not None:
                properties[name] = _local(value)
        for name in ("value", "minValue", "maxValue"):
            value = _first(props, CKG + name)
            if value is not None:
                properties[name] = float(value)
    if label == "Event":
        properties["eventType"] = _kind(
            (t.value for t in props.get(RDF_TYPE, [])), EVENT_TYPES
        ) or ("Event")
    return Node(iri, label, properties)


def _node(iri: str, props: dict, evidence: dict[str, dict]) -> Node | None:
    types = {t.value for t in props.get(RDF_TYPE, [])}
    if CKG + "Article" in types:
        return _article(iri, props)
    if kind := _kind(types, ENTITY_KINDS):
        return _entity(iri, props, kind)
    if CKG + "Quantity" in types:
        return _fact(iri, props, "Quantity", evidence)
    if CKG + "Claim" in types:
        return _fact(iri, props, "Claim", evidence)
    if _kind(types, EVENT_TYPES):
        return _fact(iri, props, "Event", evidence)
    return None


def _edges(description: dict, nodes: dict[str, Node]) -> Iterator[Edge]:
    for iri, props in description.items():
        if iri not in nodes or nodes[iri].label in {"Article", "Entity"}:
            continue
        for local, relation in FACT_LINKS.items():
            for target in props.get(CKG + local, []):
                if target.value in nodes:
                    yield Edge(iri, target.value, relation)
    mentions: Counter[tuple[str, str]] = Counter()
    for props in description.values():
        article, entity = _first(props, CKG + "inArticle"), _first(props, CKG + "refersTo")
        if article in nodes and entity in nodes:
            mentions[(article, entity)] += 1
    for (article, entity), count in mentions.items():
        yield Edge(article, entity, "MENTIONS", {"count": count})
    yield from _lineage_edges(description, nodes)


def _lineage_edges(description: dict, nodes: dict[str, Node]) -> Iterator[Edge]:
    for iri, props in description.items():
        for derivation in props.get(PROV + "qualifiedDerivation", []):
            qualified = description.get(derivation.value, {})
            source = _first(qualified, PROV + "entity")
            if iri in nodes and source in nodes:
                similarity = float(_first(qualified, CKG + "similarity") or 0)
                basis = _local(_first(qualified, CKG + "lineageBasis") or "")
                yield Edge(iri, source, "DERIVED_FROM", {"similarity": similarity, "basis": basis})


def read_property_graph(store: Store) -> PropertyGraph:
    """Articles, entities and facts of the store as a property graph (see the module doc)."""
    description = _describe(store)
    evidence = {
        iri: props
        for iri, props in description.items()
        if any(t.value == CKG + "Sentence" for t in props.get(RDF_TYPE, []))
    }
    nodes = {}
    for iri in sorted(description):
        node = _node(iri, description[iri], evidence)
        if node is not None:
            nodes[iri] = node
    edges = sorted(_edges(description, nodes), key=lambda e: (e.type, e.source, e.target))
    return PropertyGraph(nodes, edges)


# --------------------------------------------------------------------------- GraphML


def graphml(graph: PropertyGraph) -> bytes:
    """GraphML of the property graph; the article text is left out to keep files small."""
    network = graph.to_networkx()
    for _, data in network.nodes(data=True):
        data.pop("text", None)
    stream = io.BytesIO()
    nx.write_graphml(network, stream, encoding="utf-8", prettyprint=True)
    return stream.getvalue()


# --------------------------------------------------------------------------- Neo4j

# Column types for neo4j-admin import headers ("name:type"); the rest are strings.
_NEO4J_TYPES = {
    "value": "float",
    "minValue": "float",
    "maxValue": "float",
    "similarity": "float",
    "begin": "int",
    "end": "int",
    "sentenceBegin": "int",
    "sentenceEnd": "int",
    "count": "int",
}


def _csv(header: list[str], rows: Iterable[list[Value]]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def _typed(name: str) -> str:
    return f"{name}:{_NEO4J_TYPES[name]}" if name in _NEO4J_TYPES else name


def _neo4j_labels(node: Node) -> str:
    extra = node.properties.get("kind") or node.properties.get("eventType")
    return f"{node.label};{extra}" if extra and extra != node.label else node.label


def neo4j_csvs(graph: PropertyGraph) -> dict[str, bytes]:
    """File name -> CSV in the `neo4j-admin database import` header format."""
    files: dict[str, bytes] = {}
    for label in ("Article", "Entity", "Quantity", "Event", "Claim"):
        nodes = graph.by_label(label)
        columns = sorted({name for node in nodes for name in node.properties})
        header = ["id:ID", *(_typed(c) for c in columns), ":LABEL"]
        rows = (
            [node.id, *(node.properties.get(c, "") for c in columns), _neo4j_labels(node)]
            for node in nodes
        )
        files[f"nodes-{label.lower()}.csv"] = _csv(header, rows)
    columns = sorted({name for edge in graph.edges for name in edge.properties})
    header = [":START_ID", ":END_ID", ":TYPE", *(_typed(c) for c in columns)]
    rows = (
        [edge.source, edge.target, edge.type, *(edge.properties.get(c, "") for c in columns)]
        for edge in graph.edges
    )
    files["relationships.csv"] = _csv(header, rows)
    return files


def neo4j_import_command(folder: Path, files: Iterable[str]) -> str:
    """The `neo4j-admin` command line that imports the CSVs of `folder`."""
    parts = ["neo4j-admin database import full"]
    for name in sorted(files):
        flag = "--relationships" if name.startswith("relationships") else "--nodes"
        parts.append(f"{flag}={folder / name}")
    return " ".join(parts) + " neo4j"


# --------------------------------------------------------------------------- ACLED-shaped

ACLED_COLUMNS = (
    "event_id",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "figure",
    "figure_min",
    "figure_max",
    "unit",
    "qualifier",
    "fatalities",
    "source",
    "source_outlet",
    "speaker",
    "notes",
)
# ACLED's precision codes: 1 the day is known, 3 only the month (here also only the year).
_PRECISION = {10: 1, 7: 3, 4: 3}


def _number(value: Value | None) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number == int(number) else repr(number)


def acled_rows(graph: PropertyGraph) -> list[dict[str, str]]:
    """One row per event and one per figure, oldest first; undated rows last."""
    speakers: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.type == "ASSERTS":
            for speaker in graph.targets(edge.source, "CLAIMED_BY"):
                speakers[edge.target].append(graph.name(speaker))
    rows = []
    for node in [*graph.by_label("Event"), *graph.by_label("Quantity")]:
        rows.append(_acled_row(graph, node, sorted(set(speakers[node.id]))))
    return sorted(rows, key=lambda r: (r["event_date"] == "", r["event_date"], r["event_id"]))


def _acled_row(graph: PropertyGraph, node: Node, speakers: list[str]) -> dict[str, str]:
    props = node.properties
    (article,) = graph.targets(node.id, "REPORTED_IN")[:1] or [""]
    article_props = graph.nodes[article].properties if article in graph.nodes else {}
    date = str(props.get("time") or article_props.get("issued") or "")
    names = lambda relation: "; ".join(  # noqa: E731
        sorted(graph.name(t) for t in graph.targets(node.id, relation))
    )
    is_event = node.label == "Event"
    measure = str(props.get("measure", ""))
    return {
        "event_id": node.id,
        "event_date": date,
        "year": date[:4],
        "time_precision": str(_PRECISION.get(len(date), "")),
        "event_type": str(props.get("eventType", "")) if is_event else "Figure",
        "sub_event_type": "" if is_event else measure,
        "actor1": names("AGENT") if is_event else names("ABOUT"),
        "actor2": names("TARGET"),
        "location": names("IN_PLACE"),
        "figure": "" if is_event else _number(props.get("value")),
        "figure_min": _number(props.get("minValue")),
        "figure_max": _number(props.get("maxValue")),
        "unit": str(props.get("unit", "")),
        "qualifier": str(props.get("qualifier", "")),
        "fatalities": _number(props.get("value")) if measure == "Killed" else "",
        "source": str(article_props.get("name", "")),
        "source_outlet": str(article_props.get("source", "")),
        "speaker": "; ".join(speakers),
        "notes": str(props.get("sentence", "")),
    }


def acled_csv(graph: PropertyGraph) -> bytes:
    rows = acled_rows(graph)
    return _csv(list(ACLED_COLUMNS), ([row[c] for c in ACLED_COLUMNS] for row in rows))


# --------------------------------------------------------------------------- writing


def _write_graphml(graph: PropertyGraph, out: Path) -> list[Path]:
    atomic_write(out, graphml(graph))
    return [out]


def _write_acled(graph: PropertyGraph, out: Path) -> list[Path]:
    atomic_write(out, acled_csv(graph))
    return [out]


def _write_neo4j(graph: PropertyGraph, out: Path) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise CkgError(f"{out}: the neo4j export writes a folder of CSV files; name a folder")
    written = []
    for name, data in neo4j_csvs(graph).items():
        atomic_write(out / name, data)
        written.append(out / name)
    return written


PROPERTY_GRAPH_FORMATS: dict[str, Callable[[PropertyGraph, Path], list[Path]]] = {
    "graphml": _write_graphml,
    "neo4j": _write_neo4j,
    "acled": _write_acled,
}


def write_property_graph(store: Store, fmt: str, out: Path) -> list[Path]:
    """Write the store as `fmt` (graphml, neo4j or acled) to `out`; the files written."""
    try:
        writer = PROPERTY_GRAPH_FORMATS[fmt]
    except KeyError:
        known = ", ".join(PROPERTY_GRAPH_FORMATS)
        raise CkgError(f"unknown property-graph format {fmt!r}; use one of {known}") from None
    return writer(read_property_graph(store), out)


def render_property_graph(store: Store, fmt: str) -> bytes:
    """GraphML or the ACLED-shaped CSV as bytes (the neo4j export is several files)."""
    renderers = {"graphml": graphml, "acled": acled_csv}
    if fmt not in renderers:
        raise CkgError(f"the {fmt} export writes files: give it a folder with --out")
    return renderers[fmt](read_property_graph(store))
