"""Unit tests for etl/rdf.py: a hand-built Extraction -> rdflib Graph (docs/graph.md).

(XSD is used as `ns.XSD`: a module-level XSD makes pytest's fixture scan warn.)

No spaCy model is loaded: every Document, Sentence, Mention and fact is written out
here with offsets computed from the text, so the graph can be checked triple by triple.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV

from etl import __version__
from etl.config import DEFAULT_BASE_IRI, Settings
from etl.model import (
    Claim,
    Document,
    Entity,
    EntityKind,
    Event,
    EventType,
    Extraction,
    Measure,
    Mention,
    Qualifier,
    Quantity,
    Sentence,
    Unit,
)
from etl.rdf import CKG, GAZETTEER_IRI, article_graph, entities_graph, interval, referenced_entities

BASE = DEFAULT_BASE_IRI
OTHER_BASE = "https://example.org/kg/"

HEADLINE = "North Korean troops in Kursk"
SENTENCE = "Zelensky said about 11,000 North Korean troops were deployed in Kursk in November."
TEXT = f"{HEADLINE}\n{SENTENCE}\n"
SHA = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()

ZELENSKY = "person/volodymyr-zelensky"
NORTH_KOREA = "state/north-korea"
KPA = "armed-force/korean-peoples-army"
KURSK = "place/kursk-oblast"
UKRAINE = "state/ukraine"


def span(needle: str, start: int = 0) -> tuple[int, int]:
    begin = TEXT.index(needle, start)
    return begin, begin + len(needle)


def build_extraction() -> Extraction:
    """A fresh Extraction each call (new objects, same content)."""
    document = Document(
        id=SHA,
        identifier="dispatch.txt",
        text=TEXT,
        regions=((0, len(HEADLINE)), span(SENTENCE)),
        title=HEADLINE,
        issued=date(2024, 11, 12),
        creator="Jane Doe",
        source="example.org",
    )
    s_begin, s_end = span(SENTENCE)
    sentence = Sentence(s_begin, s_end, TEXT[s_begin:s_end])
    mentions = tuple(
        Mention(b, e, TEXT[b:e], key)
        for (b, e), key in (
            (span("North Korean"), NORTH_KOREA),  # in the headline
            (span("Zelensky"), ZELENSKY),
            (span("North Korean", s_begin), NORTH_KOREA),
            (span("Kursk", s_begin), KURSK),
        )
    )
    q_begin, q_end = span("about 11,000")
    quantity = Quantity(
        q_begin,
        q_end,
        TEXT[q_begin:q_end],
        sentence,
        measure=Measure.TROOP_COUNT,
        value=Decimal("11000"),
        unit=Unit.PERSONS,
        qualifier=Qualifier.APPROXIMATELY,
        about=KPA,
        place=KURSK,
        time_text="in November",
        time="2024-11",
    )
    e_begin, e_end = span("deployed")
    event = Event(
        e_begin,
        e_end,
        "deployed",
        sentence,
        EventType.DEPLOYMENT,
        agent=KPA,
        place=KURSK,
        time_text="in November",
        time="2024-11-01",
    )
    c_begin, c_end = span("said")
    claim = Claim(
        c_begin,
        c_end,
        "said",
        sentence,
        speaker=ZELENSKY,
        asserts=(quantity.key, event.key),
    )
    entities = (
        Entity(
            ZELENSKY,
            EntityKind.PERSON,
            "Volodymyr Zelensky",
            frozenset({"Zelensky", "Zelenskyy"}),
            from_gazetteer=True,
        ),
        Entity(NORTH_KOREA, EntityKind.STATE, "North Korea", from_gazetteer=True),
        Entity(
            KPA,
            EntityKind.ARMED_FORCE,
            "Korean People's Army",
            force_of=NORTH_KOREA,
            from_gazetteer=True,
        ),
        Entity(KURSK, EntityKind.PLACE, "Kursk Oblast", frozenset({"Kursk"}), from_gazetteer=True),
    )
    return Extraction(
        document=document,
        sentences=(sentence,),
        mentions=mentions,
        entities=entities,
        quantities=(quantity,),
        events=(event,),
        claims=(claim,),
        model_name="en_core_web_sm",
        model_version="3.8.0",
    )


@pytest.fixture
def extraction() -> Extraction:
    return build_extraction()


@pytest.fixture
def graph(extraction: Extraction) -> Graph:
    return article_graph(extraction, Settings())


ARTICLE = URIRef(f"{BASE}article/{SHA}")


def part(kind: str, begin: int, end: int, article: URIRef = ARTICLE) -> URIRef:
    return URIRef(f"{article}/{kind}/{begin}-{end}")


def entity(key: str, base: str = BASE) -> URIRef:
    return URIRef(f"{base}entity/{key}")


def one(graph: Graph, subject: URIRef, predicate: URIRef) -> object:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def is_integer(literal: object, value: int) -> bool:
    return (
        isinstance(literal, Literal)
        and literal.datatype == ns.XSD.integer
        and literal.toPython() == value
    )


def is_decimal(literal: object, lexical: str) -> bool:
    return (
        isinstance(literal, Literal)
        and literal.datatype == ns.XSD.decimal
        and str(literal) == lexical
    )


# ---------------------------------------------------------------- article node


def test_graph_identifier_is_the_article_iri(graph: Graph) -> None:
    assert graph.identifier == ARTICLE


def test_article_node(graph: Graph) -> None:
    assert (ARTICLE, RDF.type, CKG.Article) in graph
    assert one(graph, ARTICLE, DCTERMS.identifier) == Literal("dispatch.txt")
    assert one(graph, ARTICLE, CKG.sha256) == Literal(SHA)
    assert one(graph, ARTICLE, CKG.text) == Literal(TEXT)
    assert one(graph, ARTICLE, DCTERMS.title) == Literal(HEADLINE)
    assert one(graph, ARTICLE, DCTERMS.issued) == Literal("2024-11-12", datatype=ns.XSD.date)
    assert one(graph, ARTICLE, DCTERMS.creator) == Literal("Jane Doe")
    assert one(graph, ARTICLE, DCTERMS.source) == Literal("example.org")


def test_provenance_activity(graph: Graph) -> None:
    activity = one(graph, ARTICLE, PROV.wasGeneratedBy)
    assert activity == URIRef(f"{BASE}activity/{SHA}-{Settings().fingerprint()}")
    assert (activity, RDF.type, PROV.Activity) in graph
    assert one(graph, activity, CKG.modelName) == Literal("en_core_web_sm")
    assert one(graph, activity, CKG.modelVersion) == Literal("3.8.0")
    assert one(graph, activity, CKG.softwareVersion) == Literal(__version__)


def test_optional_article_metadata_left_out_when_unknown() -> None:
    bare = Document(
        id="ab" * 32, identifier="feed.jsonl/3", text="Shelling hit Kharkiv.", regions=((0, 21),)
    )
    graph = article_graph(Extraction(document=bare), Settings())
    article = URIRef(f"{BASE}article/{'ab' * 32}")
    assert one(graph, article, DCTERMS.identifier) == Literal("feed.jsonl/3")
    for predicate in (DCTERMS.title, DCTERMS.issued, DCTERMS.creator, DCTERMS.source):
        assert list(graph.objects(article, predicate)) == []
    assert one(graph, article, CKG.text) == Literal("Shelling hit Kharkiv.")


def test_include_text_false_leaves_out_text(extraction: Extraction) -> None:
    settings = Settings(include_text=False)
    graph = article_graph(extraction, settings)
    assert list(graph.objects(ARTICLE, CKG.text)) == []
    assert not any(o == Literal(TEXT) for o in graph.objects())
    # the rest of the article is still there
    assert (ARTICLE, RDF.type, CKG.Article) in graph
    assert one(graph, ARTICLE, CKG.sha256) == Literal(SHA)
    activity = one(graph, ARTICLE, PROV.wasGeneratedBy)
    assert activity == URIRef(f"{BASE}activity/{SHA}-{settings.fingerprint()}")
    assert one(graph, activity, CKG.modelName) == Literal("en_core_web_sm")
    # and the sentence text the facts point at is still stored
    assert len(list(graph.subjects(RDF.type, CKG.Sentence))) == 1


# ---------------------------------------------------------------- sentences and mentions


def test_sentence_node(graph: Graph) -> None:
    begin, end = span(SENTENCE)
    node = part("sentence", begin, end)
    assert begin == len(HEADLINE) + 1  # not at offset 0: the headline comes first
    assert (node, RDF.type, CKG.Sentence) in graph
    assert one(graph, node, CKG.inArticle) == ARTICLE
    assert one(graph, node, CKG.sentence) == Literal(SENTENCE)
    assert is_integer(one(graph, node, CKG.beginIndex), begin)
    assert is_integer(one(graph, node, CKG.endIndex), end)


def test_mention_nodes(graph: Graph, extraction: Extraction) -> None:
    mentions = set(graph.subjects(RDF.type, CKG.Mention))
    assert mentions == {part("mention", m.begin, m.end) for m in extraction.mentions}
    begin, end = span("Zelensky")
    node = part("mention", begin, end)
    assert one(graph, node, CKG.refersTo) == entity(ZELENSKY)
    assert one(graph, node, CKG.inArticle) == ARTICLE
    assert one(graph, node, CKG.anchorOf) == Literal("Zelensky")
    assert is_integer(one(graph, node, CKG.beginIndex), begin)
    assert is_integer(one(graph, node, CKG.endIndex), end)
    # the headline mention and the sentence mention are two nodes for one entity
    refers = [m for m in mentions if one(graph, m, CKG.refersTo) == entity(NORTH_KOREA)]
    assert len(refers) == 2


def test_every_anchor_is_the_text_slice(graph: Graph) -> None:
    anchored = list(graph.subjects(CKG.anchorOf, None))
    assert len(anchored) == 4 + 3  # mentions + quantity, event, claim
    for node in anchored:
        begin = one(graph, node, CKG.beginIndex).toPython()  # type: ignore[attr-defined]
        end = one(graph, node, CKG.endIndex).toPython()  # type: ignore[attr-defined]
        assert str(one(graph, node, CKG.anchorOf)) == TEXT[begin:end]
        assert str(node).endswith(f"/{begin}-{end}")
    for node in graph.subjects(RDF.type, CKG.Sentence):
        begin = one(graph, node, CKG.beginIndex).toPython()  # type: ignore[attr-defined]
        end = one(graph, node, CKG.endIndex).toPython()  # type: ignore[attr-defined]
        assert str(one(graph, node, CKG.sentence)) == TEXT[begin:end]


# ---------------------------------------------------------------- facts


def test_quantity_node(graph: Graph) -> None:
    begin, end = span("about 11,000")
    node = part("quantity", begin, end)
    sentence = part("sentence", *span(SENTENCE))
    assert (node, RDF.type, CKG.Quantity) in graph
    assert one(graph, node, CKG.reportedIn) == ARTICLE
    assert one(graph, node, CKG.evidence) == sentence
    assert (sentence, RDF.type, CKG.Sentence) in graph
    assert one(graph, node, CKG.anchorOf) == Literal("about 11,000")
    assert is_integer(one(graph, node, CKG.beginIndex), begin)
    assert is_integer(one(graph, node, CKG.endIndex), end)
    assert one(graph, node, CKG.measure) == CKG.TroopCount
    assert is_decimal(one(graph, node, CKG.value), "11000")
    assert one(graph, node, CKG.qualifier) == CKG.Approximately
    assert is_decimal(one(graph, node, CKG.minValue), "9900")
    assert is_decimal(one(graph, node, CKG.maxValue), "12100")
    assert one(graph, node, CKG.unit) == CKG.Persons
    assert one(graph, node, CKG.about) == entity(KPA)
    assert one(graph, node, CKG.place) == entity(KURSK)
    assert one(graph, node, CKG.timeText) == Literal("in November")
    assert one(graph, node, CKG.time) == Literal("2024-11", datatype=ns.XSD.gYearMonth)


def test_event_node(graph: Graph) -> None:
    begin, end = span("deployed")
    node = part("event", begin, end)
    assert (node, RDF.type, CKG.Deployment) in graph
    assert one(graph, node, CKG.reportedIn) == ARTICLE
    assert one(graph, node, CKG.evidence) == part("sentence", *span(SENTENCE))
    assert one(graph, node, CKG.anchorOf) == Literal("deployed")
    assert one(graph, node, CKG.agent) == entity(KPA)
    assert one(graph, node, CKG.place) == entity(KURSK)
    assert one(graph, node, CKG.time) == Literal("2024-11-01", datatype=ns.XSD.date)
    assert list(graph.objects(node, CKG.target)) == []


def test_claim_node(graph: Graph) -> None:
    begin, end = span("said")
    node = part("claim", begin, end)
    assert (node, RDF.type, CKG.Claim) in graph
    assert one(graph, node, CKG.reportedIn) == ARTICLE
    assert one(graph, node, CKG.evidence) == part("sentence", *span(SENTENCE))
    assert one(graph, node, CKG.anchorOf) == Literal("said")
    assert one(graph, node, CKG.claimedBy) == entity(ZELENSKY)
    quantity = part("quantity", *span("about 11,000"))
    event = part("event", *span("deployed"))
    assert set(graph.objects(node, CKG.asserts)) == {quantity, event}
    # what the claim asserts are nodes of this graph, not dangling IRIs
    assert (quantity, RDF.type, CKG.Quantity) in graph
    assert (event, RDF.type, CKG.Deployment) in graph


@pytest.mark.parametrize("event_type", list(EventType))
def test_event_class_and_target(event_type: EventType) -> None:
    base = build_extraction()
    old = base.events[0]
    event = Event(
        old.begin,
        old.end,
        old.text,
        old.sentence,
        event_type,
        agent=None,
        target=UKRAINE,
        time="2024",
    )
    graph = article_graph(Extraction(document=base.document, events=(event,)), Settings())
    node = part("event", old.begin, old.end)
    assert set(graph.objects(node, RDF.type)) == {CKG[event_type.value]}
    assert one(graph, node, CKG.target) == entity(UKRAINE)
    assert list(graph.objects(node, CKG.agent)) == []
    assert list(graph.objects(node, CKG.place)) == []
    assert one(graph, node, CKG.time) == Literal("2024", datatype=ns.XSD.gYear)


def _quantity_graph(value: str, qualifier: Qualifier, unit: Unit | None) -> tuple[Graph, URIRef]:
    base = build_extraction()
    old = base.quantities[0]
    quantity = Quantity(
        old.begin, old.end, old.text, old.sentence, Measure.OTHER, Decimal(value), unit, qualifier
    )
    graph = article_graph(Extraction(document=base.document, quantities=(quantity,)), Settings())
    return graph, part("quantity", old.begin, old.end)


def test_open_interval_has_no_max_value() -> None:
    graph, node = _quantity_graph("500", Qualifier.MORE_THAN, None)
    assert is_decimal(one(graph, node, CKG.minValue), "500")
    assert list(graph.objects(node, CKG.maxValue)) == []
    assert list(graph.objects(node, CKG.unit)) == []
    assert list(graph.objects(node, CKG.about)) == []
    assert list(graph.objects(node, CKG.time)) == []


def test_percent_interval_in_graph() -> None:
    graph, node = _quantity_graph("60", Qualifier.MORE_THAN, Unit.PERCENT)
    assert one(graph, node, CKG.unit) == CKG.Percent
    assert is_decimal(one(graph, node, CKG.minValue), "60")
    assert is_decimal(one(graph, node, CKG.maxValue), "100")


def test_decimal_values_are_plain_lexical_forms() -> None:
    graph, node = _quantity_graph("1.50", Qualifier.APPROXIMATELY, Unit.USD)
    assert is_decimal(one(graph, node, CKG.value), "1.5")
    assert is_decimal(one(graph, node, CKG.minValue), "1.35")
    assert is_decimal(one(graph, node, CKG.maxValue), "1.65")
    graph, node = _quantity_graph("2000000", Qualifier.UP_TO, None)
    assert is_decimal(one(graph, node, CKG.value), "2000000")  # not "2E+6"
    assert is_decimal(one(graph, node, CKG.minValue), "0")


# ---------------------------------------------------------------- interval rules

V = Decimal("200")


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        (Qualifier.EXACT, (V, V)),
        (Qualifier.APPROXIMATELY, (Decimal("180"), Decimal("220"))),
        (Qualifier.AT_LEAST, (V, None)),
        (Qualifier.MORE_THAN, (V, None)),
        (Qualifier.UP_TO, (Decimal(0), V)),
        (Qualifier.NEARLY, (Decimal("180"), V)),
    ],
)
def test_interval_table(qualifier: Qualifier, expected: tuple[Decimal | None, ...]) -> None:
    """Every row of the interval table in docs/graph.md (v = 200)."""
    assert interval(V, qualifier, percent=False) == expected


def test_every_qualifier_has_a_rule() -> None:
    for qualifier in Qualifier:
        low, high = interval(Decimal("10"), qualifier, percent=False)
        assert low is not None
        assert high is None or low <= high


@pytest.mark.parametrize(
    ("value", "qualifier", "expected"),
    [
        ("60", Qualifier.MORE_THAN, ("60", "100")),
        ("60", Qualifier.AT_LEAST, ("60", "100")),
        ("95", Qualifier.APPROXIMATELY, ("85.5", "100")),
        ("40", Qualifier.UP_TO, ("0", "40")),
        ("40", Qualifier.NEARLY, ("36", "40")),
        ("100", Qualifier.EXACT, ("100", "100")),
    ],
)
def test_interval_percent_clipping(value: str, qualifier: Qualifier, expected: tuple) -> None:
    low, high = interval(Decimal(value), qualifier, percent=True)
    assert (low, high) == (Decimal(expected[0]), Decimal(expected[1]))


def test_interval_not_clipped_without_percent() -> None:
    assert interval(Decimal("95"), Qualifier.APPROXIMATELY, percent=False) == (
        Decimal("85.5"),
        Decimal("104.5"),
    )


@pytest.mark.parametrize("qualifier", [Qualifier.EXACT, Qualifier.AT_LEAST])
def test_interval_percent_above_100_stays_ordered(qualifier: Qualifier) -> None:
    low, high = interval(Decimal("150"), qualifier, percent=True)
    assert low is not None and high is not None
    assert Decimal(0) <= low <= high <= Decimal(100)


# ---------------------------------------------------------------- determinism and IRIs


def sorted_ntriples(graph: Graph) -> list[str]:
    return sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())


def test_same_extraction_gives_same_graph() -> None:
    first = article_graph(build_extraction(), Settings())
    second = article_graph(build_extraction(), Settings())
    assert len(first) > 50
    assert isomorphic(first, second)
    assert sorted_ntriples(first) == sorted_ntriples(second)
    assert first.identifier == second.identifier


def _instance_iris(graph: Graph) -> set[URIRef]:
    """Subjects and IRI objects that are not vocabulary terms."""
    vocabularies = (str(CKG), str(RDF), str(RDFS), str(PROV), str(ns.XSD), str(DCTERMS))
    nodes = set(graph.subjects()) | {o for o in graph.objects() if isinstance(o, URIRef)}
    return {n for n in nodes if isinstance(n, URIRef) and not str(n).startswith(vocabularies)}


def test_other_base_iri_changes_every_instance_iri() -> None:
    default = article_graph(build_extraction(), Settings())
    other_settings = Settings(base_iri=OTHER_BASE)
    other = article_graph(build_extraction(), other_settings)

    assert other.identifier == URIRef(f"{OTHER_BASE}article/{SHA}")
    default_iris, other_iris = _instance_iris(default), _instance_iris(other)
    assert len(default_iris) >= 10
    assert all(str(n).startswith(BASE) for n in default_iris)
    assert all(str(n).startswith(OTHER_BASE) for n in other_iris)
    assert not default_iris & other_iris
    # apart from the base (and the settings hash in the activity IRI) nothing differs
    renamed = [
        line.replace(BASE, OTHER_BASE).replace(
            Settings().fingerprint(), other_settings.fingerprint()
        )
        for line in sorted_ntriples(default)
    ]
    assert sorted(renamed) == sorted_ntriples(other)


# ---------------------------------------------------------------- entities graph


def test_entities_graph(extraction: Extraction) -> None:
    extra = Entity(
        "place/kyiv",
        EntityKind.PLACE,
        "Kyiv",
        frozenset({"Kiev", "Kyjiw", "Kiew"}),
        capital_of=UKRAINE,
        from_gazetteer=True,
    )
    local = Entity(
        "organization/kursk-governors-office", EntityKind.ORGANIZATION, "Kursk Governor's Office"
    )
    graph = entities_graph((*extraction.entities, extra, local), Settings())

    assert graph.identifier == URIRef(f"{BASE}graph/entities")
    expected_types = {
        ZELENSKY: CKG.Person,
        NORTH_KOREA: CKG.State,
        KPA: CKG.ArmedForce,
        KURSK: CKG.Place,
        "place/kyiv": CKG.Place,
        "organization/kursk-governors-office": CKG.Organization,
    }
    for key, rdf_class in expected_types.items():
        assert set(graph.objects(entity(key), RDF.type)) == {rdf_class}, key

    for e in (*extraction.entities, extra, local):
        labels = list(graph.objects(entity(e.key), SKOS.prefLabel))
        assert labels == [Literal(e.label, lang="en")], e.key
        alternatives = list(graph.objects(entity(e.key), SKOS.altLabel))
        assert alternatives == [Literal(a, lang="en") for a in sorted(e.alt_labels)], e.key

    assert set(graph.objects(entity(ZELENSKY), SKOS.altLabel)) == {
        Literal("Zelensky", lang="en"),
        Literal("Zelenskyy", lang="en"),
    }
    assert one(graph, entity(KPA), CKG.forceOf) == entity(NORTH_KOREA)
    assert one(graph, entity("place/kyiv"), CKG.capitalOf) == entity(UKRAINE)
    assert list(graph.objects(entity(KURSK), CKG.capitalOf)) == []
    assert list(graph.objects(entity(ZELENSKY), CKG.forceOf)) == []

    defined = set(graph.subjects(RDFS.isDefinedBy, GAZETTEER_IRI))
    assert defined == {entity(k) for k in expected_types} - {
        entity("organization/kursk-governors-office")
    }
    assert str(GAZETTEER_IRI) == "https://w3id.org/conflict-kg/gazetteer"


def test_entities_graph_follows_base_iri(extraction: Extraction) -> None:
    graph = entities_graph(extraction.entities, Settings(base_iri=OTHER_BASE))
    assert graph.identifier == URIRef(f"{OTHER_BASE}graph/entities")
    assert one(graph, entity(KPA, OTHER_BASE), CKG.forceOf) == entity(NORTH_KOREA, OTHER_BASE)
    assert not any(str(s).startswith(BASE) for s in graph.subjects())


def test_entities_graph_is_deterministic(extraction: Extraction) -> None:
    first = entities_graph(extraction.entities, Settings())
    second = entities_graph(reversed(build_extraction().entities), Settings())
    assert isomorphic(first, second)
    assert sorted_ntriples(first) == sorted_ntriples(second)


# ---------------------------------------------------------------- referenced entities


def test_referenced_entities(graph: Graph) -> None:
    assert referenced_entities(graph) == {
        entity(ZELENSKY),
        entity(NORTH_KOREA),
        entity(KPA),
        entity(KURSK),
    }


def test_referenced_entities_includes_targets() -> None:
    base = build_extraction()
    old = base.events[0]
    event = Event(old.begin, old.end, old.text, old.sentence, EventType.ATTACK, target=UKRAINE)
    graph = article_graph(Extraction(document=base.document, events=(event,)), Settings())
    assert referenced_entities(graph) == {entity(UKRAINE)}


def test_referenced_entities_empty_for_bare_article() -> None:
    bare = build_extraction().document
    assert referenced_entities(article_graph(Extraction(document=bare), Settings())) == set()
