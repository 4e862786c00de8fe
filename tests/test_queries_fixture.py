"""Run every named query in queries/ against the hand-written fixture tests/data/mini.trig.

The fixture holds three invented articles (a.txt, b.txt, c.txt) laid out as docs/graph.md
describes.  Queries are run the way the tool runs them: pyoxigraph with
use_default_graph_as_union=True, and every parameter bound through ``substitutions``
(its header default unless a test overrides it).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Variable,
    serialize,
)

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
FIXTURE = ROOT / "tests" / "data" / "mini.trig"

CKG = "https://w3id.org/conflict-kg/ontology#"
ID = "https://w3id.org/conflict-kg/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ENTITIES_GRAPH = NamedNode(ID + "graph/entities")
KPA = NamedNode(ID + "entity/armed-force/korean-peoples-army")

HOSTILE = '") } ; DROP ALL #'

QUERY_FILES = sorted(QUERIES.glob("*.rq"))
QUERY_NAMES = [p.stem for p in QUERY_FILES]


# --------------------------------------------------------------------------- helpers

HEADER_LINE = re.compile(r"^#\s?(.*)$")
PARAM_LINE = re.compile(r"^param (\w+):\s*(.*?)\s*\(default:\s*(.+)\)\s*$")


def parse_default(text: str) -> NamedNode | Literal:
    """A parameter default written as a SPARQL term: "string", number or <IRI>."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return NamedNode(text[1:-1])
    if text.startswith('"') and text.endswith('"'):
        return Literal(re.sub(r"\\(.)", r"\1", text[1:-1]))
    if re.fullmatch(r"[+-]?\d+", text):
        return Literal(text, datatype=NamedNode(XSD + "integer"))
    if re.fullmatch(r"[+-]?\d*\.\d+", text):
        return Literal(text, datatype=NamedNode(XSD + "decimal"))
    raise ValueError(f"cannot read default {text!r}")


def parse_header(text: str) -> dict:
    """Read the comment header at the very top of a query file."""
    lines = []
    for line in text.splitlines():
        match = HEADER_LINE.match(line)
        if not match:
            break
        lines.append(match.group(1))
    header: dict = {"title": None, "description": None, "params": {}}
    last = None
    for line in lines:
        if line.startswith("  ") and last == "description":
            header["description"] += " " + line.strip()
            continue
        last = None
        if line.startswith("title:"):
            header["title"] = line[len("title:") :].strip()
        elif line.startswith("description:"):
            header["description"] = line[len("description:") :].strip()
            last = "description"
        elif line.startswith("param "):
            match = PARAM_LINE.match(line)
            assert match, f"malformed param line: {line!r}"
            name, doc, default = match.groups()
            header["params"][name] = (doc, parse_default(default))
    return header


def load_query(name: str) -> tuple[str, dict]:
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    return text, parse_header(text)


def py(term):
    """A result term as a plain Python value (IRIs as strings, numbers as Decimal)."""
    if term is None:
        return None
    if isinstance(term, Literal):
        datatype = term.datatype.value
        if datatype in (XSD + "decimal", XSD + "integer"):
            return Decimal(term.value)
        if datatype == XSD + "boolean":
            return term.value == "true"
        return term.value
    return term.value


def execute(store: Store, name: str, **params):
    """Run a named query with its header defaults, overridden by ``params``."""
    text, header = load_query(name)
    unknown = set(params) - set(header["params"])
    assert not unknown, f"{name} has no parameter(s) {unknown}"
    substitutions = {}
    for pname, (_doc, default) in header["params"].items():
        value = params.get(pname, default)
        if isinstance(value, str):
            value = Literal(value)
        elif isinstance(value, int):
            value = Literal(str(value), datatype=NamedNode(XSD + "integer"))
        substitutions[Variable(pname)] = value
    return store.query(text, use_default_graph_as_union=True, substitutions=substitutions)


def rows(store: Store, name: str, **params) -> list[dict]:
    result = execute(store, name, **params)
    assert isinstance(result, QuerySolutions), f"{name} is not a SELECT query"
    variables = [v.value for v in result.variables]
    return [{v: py(solution[v]) for v in variables} for solution in result]


# --------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def store() -> Store:
    st = Store()
    st.load(path=str(FIXTURE), format=RdfFormat.TRIG)
    return st


def test_fixture_follows_graph_layout(store: Store) -> None:
    """Article IRIs, graphs and offsets in the fixture obey docs/graph.md."""
    articles = list(store.quads_for_pattern(None, NamedNode(CKG + "text"), None, None))
    assert len(articles) == 3
    checked = 0
    for quad in articles:
        article, text, graph = quad.subject, quad.object.value, quad.graph_name
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert article == NamedNode(ID + "article/" + digest)
        assert graph == article, "an article's facts live in its own graph"
        # every node with offsets in this graph is under the article IRI and its
        # anchorOf / sentence text is exactly the slice of ckg:text
        for begin in store.quads_for_pattern(None, NamedNode(CKG + "beginIndex"), None, graph):
            node = begin.subject
            end = next(store.quads_for_pattern(node, NamedNode(CKG + "endIndex"), None, graph))
            b, e = int(begin.object.value), int(end.object.value)
            kind = node.value[len(article.value) + 1 :].split("/")[0]
            assert kind in {"sentence", "mention", "quantity", "event", "claim"}
            assert node.value == f"{article.value}/{kind}/{b}-{e}"
            surface = [
                q.object.value
                for p in ("anchorOf", "sentence")
                for q in store.quads_for_pattern(node, NamedNode(CKG + p), None, graph)
            ]
            assert len(surface) == 1, node
            assert surface[0] == text[b:e], node
            checked += 1
    assert checked == 28  # 6 sentences, 11 mentions, 6 quantities, 2 events, 3 claims
    # entities are described once, in the entities graph only
    pref_label = NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    labels = list(store.quads_for_pattern(None, pref_label, None, None))
    assert len(labels) == 4
    assert all(q.graph_name == ENTITIES_GRAPH for q in labels)
    assert not list(store.quads_for_pattern(None, None, None, DefaultGraph()))


# --------------------------------------------------------------------------- every query


def test_expected_queries_exist() -> None:
    expected = {
        "troop-figures",
        "casualty-figures",
        "territory-figures",
        "conflicting-figures",
        "corroborated-figures",
        "shared-entities",
        "speakers",
        "events-timeline",
        "article-overview",
        "figure-evidence",
    }
    assert expected <= set(QUERY_NAMES)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_header(name: str) -> None:
    text, header = load_query(name)
    assert text.startswith("# title: ")
    assert header["title"]
    assert header["description"]
    for pname, (doc, _default) in header["params"].items():
        assert doc, f"param {pname} has no description"
        # pyoxigraph 0.5 evaluates BOUND(?p) as false and BIND(?p AS ?x) as unbound for a
        # substituted ?p, although ?p = "", STR(?p), CONTAINS(.., ?p) and patterns see it
        assert f"BOUND(?{pname})" not in text
        assert not re.search(rf"\(\s*\?{pname}\s+AS\b", text)
        # pyoxigraph only substitutes variables of the top-level projection
        if "SELECT" in text.split("WHERE")[0]:
            select = re.search(r"^SELECT\b(.*?)\bWHERE\b", text, re.M | re.S)
            assert select and f"?{pname}" in select.group(1).split(), f"?{pname} not projected"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_runs_with_defaults_and_is_deterministic(store: Store, name: str) -> None:
    text, _header = load_query(name)
    result = execute(store, name)
    if isinstance(result, QuerySolutions):
        assert re.search(r"^ORDER BY\b", text, re.M), f"{name} has no ORDER BY"
        first = rows(store, name)
        assert first, f"{name} returned nothing on the fixture"
        assert first == rows(store, name)
    else:
        assert isinstance(result, QueryTriples)
        assert list(result)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_hostile_parameter_is_just_a_value(store: Store, name: str) -> None:
    """A value that would break out of a pasted query only ever matches nothing."""
    _text, header = load_query(name)
    size = len(store)
    for pname, (_doc, default) in header["params"].items():
        if not (isinstance(default, Literal) and default.datatype.value == XSD + "string"):
            continue
        assert rows(store, name, **{pname: HOSTILE}) == []
    assert len(store) == size


# --------------------------------------------------------------------------- per query


def test_troop_figures(store: Store) -> None:
    result = rows(store, "troop-figures")
    assert [(r["article"], r["value"], r["qualifier"]) for r in result] == [
        ("a.txt", Decimal(11000), "Approximately"),
        ("b.txt", Decimal(12000), "Approximately"),
        ("c.txt", Decimal(11000), "Exact"),
    ]
    by_article = {r["article"]: r for r in result}
    a, b, c = by_article["a.txt"], by_article["b.txt"], by_article["c.txt"]
    assert a["speakerLabel"] == "Volodymyr Zelensky"
    assert b["speakerLabel"] is None and c["speakerLabel"] is None
    assert a["title"] == "North Korean troops deployed to Kursk"
    assert c["title"] is None
    assert (a["minValue"], a["maxValue"]) == (Decimal(9900), Decimal(12100))
    assert (c["minValue"], c["maxValue"]) == (Decimal(11000), Decimal(11000))
    assert {r["aboutLabel"] for r in result} == {"Korean People's Army"}
    assert {r["placeLabel"] for r in result} == {"Kursk Oblast"}
    assert b["timeText"] == "in October 2024" and b["time"] == "2024-10"
    assert a["sentence"].startswith("About 11,000 North Korean troops")
    assert {r["measure"] for r in result} == {CKG + "TroopCount"}


def test_troop_figures_parameters(store: Store) -> None:
    assert len(rows(store, "troop-figures", subject="korean")) == 3
    assert len(rows(store, "troop-figures", subject="KOREAN PEOPLE")) == 3
    assert len(rows(store, "troop-figures", subject="North Korean forces")) == 3  # altLabel
    assert rows(store, "troop-figures", subject="zzz") == []
    assert len(rows(store, "troop-figures", place="kursk")) == 3
    assert rows(store, "troop-figures", place="donetsk") == []
    assert rows(store, "troop-figures", subject=HOSTILE) == []
    killed = rows(store, "troop-figures", measure=NamedNode(CKG + "Killed"))
    assert [(r["article"], r["value"]) for r in killed] == [("c.txt", Decimal(300))]


def test_casualty_figures(store: Store) -> None:
    result = rows(store, "casualty-figures")
    assert len(result) == 1
    (row,) = result
    assert (row["article"], row["measure"], row["value"], row["qualifier"]) == (
        "c.txt",
        "Killed",
        Decimal(300),
        "MoreThan",
    )
    assert row["minValue"] == Decimal(300) and row["maxValue"] is None
    assert row["speakerLabel"] == "Institute for the Study of War"
    assert len(rows(store, "casualty-figures", subject="korean")) == 1
    assert rows(store, "casualty-figures", subject="zzz") == []
    assert len(rows(store, "casualty-figures", place="KURSK")) == 1
    assert rows(store, "casualty-figures", place="donetsk") == []


def test_territory_figures(store: Store) -> None:
    result = rows(store, "territory-figures")
    summary = [(r["article"], r["measure"], r["value"], r["unit"], r["qualifier"]) for r in result]
    assert summary == [
        ("a.txt", "TerritoryShare", Decimal(46), "Percent", "Approximately"),
        ("b.txt", "TerritoryShare", Decimal(60), "Percent", "MoreThan"),
    ]
    assert result[0]["speakerLabel"] == "Institute for the Study of War"
    assert {r["aboutLabel"] for r in result} == {"Kursk Oblast"}
    assert len(rows(store, "territory-figures", subject="kursk")) == 2
    assert rows(store, "territory-figures", subject="zzz") == []
    # these two are about Kursk Oblast, not reported for a place: `place` is its own test
    assert rows(store, "territory-figures", place="kursk") == []


def test_conflicting_figures(store: Store) -> None:
    result = rows(store, "conflicting-figures")
    pairs = {
        (r["measureName"], r["article1"], r["value1"], r["article2"], r["value2"]) for r in result
    }
    assert pairs == {
        ("TroopCount", "a.txt", Decimal(11000), "b.txt", Decimal(12000)),
        ("TroopCount", "b.txt", Decimal(12000), "c.txt", Decimal(11000)),
        ("TerritoryShare", "a.txt", Decimal(46), "b.txt", Decimal(60)),
    }
    assert len(result) == 3  # each pair once
    # the two 11,000 figures (a.txt approximately, c.txt exact) agree: never paired
    for r in result:
        assert {r["article1"], r["article2"]} != {"a.txt", "c.txt"}
    share = next(r for r in result if r["measureName"] == "TerritoryShare")
    assert share["subjectLabel"] == "Kursk Oblast"
    assert (share["qualifier1"], share["qualifier2"]) == ("Approximately", "MoreThan")
    assert share["intervalsOverlap"] is False  # [41.4, 50.6] vs [60, ...)
    assert share["sentence2"] == "Ukraine now holds more than 60% of the land it took in Kursk."
    troops = [r for r in result if r["measureName"] == "TroopCount"]
    assert {r["subjectLabel"] for r in troops} == {"Korean People's Army"}
    assert all(r["intervalsOverlap"] is True for r in troops)
    # deterministic order: measure name, then subject, then articles
    assert [r["measureName"] for r in result] == ["TerritoryShare", "TroopCount", "TroopCount"]
    assert [r["article1"] for r in result[1:]] == ["a.txt", "b.txt"]


def test_conflicting_figures_measure_parameter(store: Store) -> None:
    assert len(rows(store, "conflicting-figures", measure="TroopCount")) == 2
    assert len(rows(store, "conflicting-figures", measure=CKG + "TerritoryShare")) == 1
    assert rows(store, "conflicting-figures", measure="Killed") == []
    assert rows(store, "conflicting-figures", measure=HOSTILE) == []


def test_conflicts_lists_only_measures_another_article_reports(store: Store) -> None:
    result = rows(store, "conflicts")
    figures = {(r["measureName"], r["article"], r["value"]) for r in result}
    assert figures == {
        ("TerritoryShare", "a.txt", Decimal(46)),
        ("TerritoryShare", "b.txt", Decimal(60)),
        ("TroopCount", "a.txt", Decimal(11000)),
        ("TroopCount", "b.txt", Decimal(12000)),
        ("TroopCount", "c.txt", Decimal(11000)),
    }  # the killed figure is c.txt's alone: nothing to compare it with
    assert [r["measureName"] for r in result] == ["TerritoryShare"] * 2 + ["TroopCount"] * 3
    assert {r["measureName"] for r in rows(store, "conflicts", measure="TroopCount")} == {
        "TroopCount"
    }
    assert rows(store, "conflicts", measure="Killed") == []
    by_iri = rows(store, "conflicts", measure=CKG + "TerritoryShare")
    assert [(r["measureName"], r["article"]) for r in by_iri] == [
        ("TerritoryShare", "a.txt"),
        ("TerritoryShare", "b.txt"),
    ]


def test_corroborated_figures(store: Store) -> None:
    result = rows(store, "corroborated-figures")
    assert len(result) == 1
    (row,) = result
    assert row["measureName"] == "TroopCount"
    assert row["value"] == Decimal(11000)
    assert row["subjectLabel"] == "Korean People's Army"
    assert row["articles"] == 2
    assert row["articleIds"].split(", ") == ["a.txt", "c.txt"]
    assert set(row["qualifiers"].split(", ")) == {"Approximately", "Exact"}
    assert rows(store, "corroborated-figures", measure="TerritoryShare") == []
    for measure in ("TroopCount", CKG + "TroopCount"):
        (narrowed,) = rows(store, "corroborated-figures", measure=measure)
        assert (narrowed["value"], narrowed["articleIds"]) == (Decimal(11000), "a.txt, c.txt")


def test_shared_entities(store: Store) -> None:
    result = rows(store, "shared-entities")
    assert [(r["label"], r["type"], r["articles"]) for r in result] == [
        ("Korean People's Army", "ArmedForce", 3),
        ("Kursk Oblast", "Place", 3),
        ("Institute for the Study of War", "Organization", 2),
    ]
    assert result[0]["entity"] == KPA.value
    assert result[0]["articleIds"].split(", ") == ["a.txt", "b.txt", "c.txt"]
    # Zelensky is in one article only
    assert "Volodymyr Zelensky" not in {r["label"] for r in result}
    assert len(rows(store, "shared-entities", minArticles=3)) == 2
    assert len(rows(store, "shared-entities", minArticles=1)) == 4
    assert [r["label"] for r in rows(store, "shared-entities", kind="ArmedForce")] == [
        "Korean People's Army"
    ]
    places = rows(store, "shared-entities", kind="place")  # any case
    assert [(r["label"], r["articles"]) for r in places] == [("Kursk Oblast", 3)]
    people = rows(store, "shared-entities", kind="Person", minArticles=1)
    assert [(r["label"], r["type"], r["articles"]) for r in people] == [
        ("Volodymyr Zelensky", "Person", 1)
    ]


def test_speakers(store: Store) -> None:
    result = rows(store, "speakers")
    summary = [
        (
            r["speakerLabel"],
            r["speakerType"],
            r["claims"],
            r["article"],
            r["asserted"],
            r["measure"],
            r["value"],
            r["eventType"],
        )
        for r in result
    ]
    assert summary == [
        (
            "Institute for the Study of War",
            "Organization",
            2,
            "a.txt",
            "quantity",
            "TerritoryShare",
            Decimal(46),
            None,
        ),
        (
            "Institute for the Study of War",
            "Organization",
            2,
            "c.txt",
            "quantity",
            "Killed",
            Decimal(300),
            None,
        ),
        (
            "Volodymyr Zelensky",
            "Person",
            1,
            "a.txt",
            "quantity",
            "TroopCount",
            Decimal(11000),
            None,
        ),
        ("Volodymyr Zelensky", "Person", 1, "a.txt", "event", None, None, "Deployment"),
    ]
    assert result[2]["sentence"].endswith("Zelensky said.")
    only = rows(store, "speakers", speaker="zelensky")
    assert {r["speakerLabel"] for r in only} == {"Volodymyr Zelensky"}
    assert rows(store, "speakers", speaker="zzz") == []


def test_events_timeline(store: Store) -> None:
    result = rows(store, "events-timeline")
    assert [(r["type"], r["article"], r["when"]) for r in result] == [
        ("Advance", "b.txt", "2024-10"),  # its own ckg:time
        ("Deployment", "a.txt", "2024-11-12"),  # no time: the article's issue date
    ]
    advance, deployment = result
    assert advance["time"] == "2024-10" and advance["timeText"] == "in October 2024"
    assert deployment["time"] is None and deployment["issued"] == "2024-11-12"
    assert {r["agentLabel"] for r in result} == {"Korean People's Army"}
    assert {r["placeLabel"] for r in result} == {"Kursk Oblast"}
    assert [r["type"] for r in rows(store, "events-timeline", eventType="deployment")] == [
        "Deployment"
    ]
    assert len(rows(store, "events-timeline", agent="north korean")) == 2
    assert rows(store, "events-timeline", place="zzz") == []
    assert rows(store, "events-timeline", eventType="Capture") == []  # none in the fixture


def test_events_timeline_undated_last(store: Store) -> None:
    """An event with neither ckg:time nor an issued article sorts after dated ones."""
    st = Store()
    st.load(path=str(FIXTURE), format=RdfFormat.TRIG)
    issued = NamedNode("http://purl.org/dc/terms/issued")
    for quad in list(st.quads_for_pattern(None, issued, None, None)):
        if quad.object.value == "2024-11-12":
            st.remove(quad)
    result = rows(st, "events-timeline")
    assert [(r["type"], r["when"]) for r in result] == [
        ("Advance", "2024-10"),
        ("Deployment", None),
    ]


def test_article_overview(store: Store) -> None:
    result = rows(store, "article-overview")
    assert [
        (r["article"], r["mentions"], r["entities"], r["quantities"], r["events"], r["claims"])
        for r in result
    ] == [
        ("a.txt", 5, 4, 2, 1, 2),
        ("b.txt", 3, 2, 2, 1, 0),
        ("c.txt", 3, 3, 2, 0, 1),
    ]
    assert result[0]["title"] == "North Korean troops deployed to Kursk"
    assert result[0]["issued"] == "2024-11-12"
    assert result[1]["source"] == "Example Post"
    assert result[2]["title"] is None


def test_figure_evidence(store: Store) -> None:
    triples = list(execute(store, "figure-evidence"))
    assert triples
    assert not any(isinstance(t.subject, BlankNode) for t in triples)
    values = {
        (t.subject.value, py(t.object)) for t in triples if t.predicate == NamedNode(CKG + "value")
    }
    assert sorted(v for _q, v in values) == sorted(
        Decimal(v) for v in (11000, 46, 12000, 60, 11000, 300)
    )
    predicates = {t.predicate.value for t in triples}
    for local in ("measure", "qualifier", "evidence", "sentence", "reportedIn"):
        assert CKG + local in predicates
    assert "http://purl.org/dc/terms/identifier" in predicates
    sentences = {t.object.value for t in triples if t.predicate == NamedNode(CKG + "sentence")}
    assert "More than 300 of them have been killed, it said." in sentences
    turtle = serialize(triples, format=RdfFormat.TURTLE).decode("utf-8")
    assert "Approximately" in turtle
