"""The ontology (ontology/conflict.ttl) and the SHACL shapes (shapes/conflict-shapes.ttl).

The ontology must declare every term of docs/graph.md; the shapes must accept a
graph laid out as docs/graph.md describes and reject the ways such a graph can be
wrong. Validation runs as the pipeline runs it: one article's triples merged with
the entities' triples in one graph, no inference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pyoxigraph
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS
from rdflib.term import Node

ROOT = Path(__file__).parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "conflict.ttl"
SHAPES_FILE = ROOT / "shapes" / "conflict-shapes.ttl"
FIXTURE_FILE = ROOT / "tests" / "data" / "mini.trig"

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/conflict-kg/ontology")
MIT = URIRef("https://opensource.org/licenses/MIT")
SCHEMA = Namespace("https://schema.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
VANN = Namespace("http://purl.org/vocab/vann/")
ENTITY = "https://w3id.org/conflict-kg/id/entity/"
ENTITIES_GRAPH = URIRef("https://w3id.org/conflict-kg/id/graph/entities")

EVENT_CLASSES = [
    "Deployment",
    "Offensive",
    "Advance",
    "Withdrawal",
    "Attack",
    "Capture",
    "TreatyRatification",
    "AidPackage",
]
ACTOR_CLASSES = ["Person", "Organization", "State", "ArmedForce"]
CLASSES = [
    "Article",
    "Sentence",
    "Mention",
    "Actor",
    *ACTOR_CLASSES,
    "Place",
    "Fact",
    "Quantity",
    "Event",
    "Claim",
    *EVENT_CLASSES,
]
PROPERTIES = [
    "sha256",
    "text",
    "inArticle",
    "refersTo",
    "anchorOf",
    "beginIndex",
    "endIndex",
    "sentence",
    "reportedIn",
    "evidence",
    "measure",
    "value",
    "unit",
    "qualifier",
    "about",
    "place",
    "timeText",
    "time",
    "minValue",
    "maxValue",
    "agent",
    "target",
    "claimedBy",
    "asserts",
    "forceOf",
    "capitalOf",
    "demonym",
    "softwareVersion",
    "modelName",
    "modelVersion",
]
MEASURES = [
    "TroopCount",
    "Killed",
    "Wounded",
    "Captured",
    "Missing",
    "Casualties",
    "TerritoryShare",
    "TerritoryArea",
    "EquipmentCount",
    "MoneyAmount",
    "OtherQuantity",
]
QUALIFIERS = ["Exact", "Approximately", "AtLeast", "MoreThan", "UpTo", "Nearly"]
UNITS = [
    "Persons",
    "Percent",
    "SquareKilometre",
    "SquareMile",
    "Kilometre",
    "Mile",
    "Items",
    "USD",
    "EUR",
    "GBP",
    "UAH",
    "RUB",
    "Times",
]
SCHEMES = {
    "Measures": MEASURES,
    "Qualifiers": QUALIFIERS,
    "Units": UNITS,
    "LineageBases": ["CopiedPassages", "RewrittenPassage"],
}

QUDT_UNIT = "http://qudt.org/vocab/unit/"
QUDT_CURRENCY = "http://qudt.org/vocab/currency/"
QUDT_MATCHES = {
    "Percent": QUDT_UNIT + "PERCENT",
    "SquareKilometre": QUDT_UNIT + "KiloM2",
    "SquareMile": QUDT_UNIT + "MI2",
    "Kilometre": QUDT_UNIT + "KiloM",
    "Mile": QUDT_UNIT + "MI",
    "USD": QUDT_CURRENCY + "USD",
    "EUR": QUDT_CURRENCY + "EUR",
    "GBP": QUDT_CURRENCY + "GBP",
    "UAH": QUDT_CURRENCY + "UAH",
    "RUB": QUDT_CURRENCY + "RUB",
}

# What each qualifier's definition must state about the interval it implies.
INTERVAL_WORDING = {
    "Exact": ["minValue = v", "maxValue = v"],
    "Approximately": ["minValue = 0.9 v", "maxValue = 1.1 v"],
    "AtLeast": ["minValue = v", "no maxValue"],
    "MoreThan": ["minValue = v", "no maxValue"],
    "UpTo": ["minValue = 0", "maxValue = v"],
    "Nearly": ["minValue = 0.9 v", "maxValue = v"],
}

ALIGNMENTS = [
    (CKG.Article, RDFS.subClassOf, SCHEMA.NewsArticle),
    (CKG.Article, RDFS.subClassOf, PROV.Entity),
    (CKG.Person, RDFS.subClassOf, SCHEMA.Person),
    (CKG.Organization, RDFS.subClassOf, SCHEMA.Organization),
    (CKG.Place, RDFS.subClassOf, SCHEMA.Place),
    (CKG.Place, RDFS.subClassOf, SEM.Place),
    (CKG.Actor, RDFS.subClassOf, SEM.Actor),
    (CKG.Event, RDFS.subClassOf, SEM.Event),
    (CKG.agent, RDFS.subPropertyOf, SEM.hasActor),
    (CKG.time, RDFS.subPropertyOf, SEM.hasTimeStamp),
    (CKG.reportedIn, RDFS.subPropertyOf, PROV.wasDerivedFrom),
    (CKG.claimedBy, RDFS.subPropertyOf, PROV.wasAttributedTo),
]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def _english(graph: Graph, subject: Node, predicate: URIRef) -> list[Literal]:
    return [
        o
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and o.language == "en" and str(o).strip()
    ]


def _class_members(graph: Graph, node: Node) -> set[Node]:
    """A named class, or the members of an owl:unionOf class expression."""
    if isinstance(node, URIRef):
        return {node}
    union = graph.value(node, OWL.unionOf)
    assert union is not None, f"unexpected class expression {node}"
    return set(Collection(graph, union))


@pytest.mark.parametrize("path", [ONTOLOGY_FILE, SHAPES_FILE], ids=lambda p: p.name)
def test_files_parse_with_rdflib_and_pyoxigraph(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(graph) > 100
    assert len(quads) == len(graph)


# ---------------------------------------------------------------------------
# Ontology
# ---------------------------------------------------------------------------


def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert _english(ontology, ONTOLOGY_IRI, DCTERMS.title)
    assert _english(ontology, ONTOLOGY_IRI, DCTERMS.description)
    assert (ONTOLOGY_IRI, DCTERMS.license, MIT) in ontology
    assert ontology.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("ckg")


def test_ontology_fetches_nothing(ontology: Graph) -> None:
    assert list(ontology.triples((None, OWL.imports, None))) == []


@pytest.mark.parametrize("name", CLASSES)
def test_class_is_declared(ontology: Graph, name: str) -> None:
    term = CKG[name]
    assert (term, RDF.type, OWL.Class) in ontology
    assert len(_english(ontology, term, RDFS.label)) == 1
    assert len(_english(ontology, term, RDFS.comment)) == 1


@pytest.mark.parametrize("name", PROPERTIES)
def test_property_is_declared(ontology: Graph, name: str) -> None:
    term = CKG[name]
    kinds = set(ontology.objects(term, RDF.type))
    assert kinds & {OWL.ObjectProperty, OWL.DatatypeProperty}, f"{name} has no property type"
    assert not {OWL.ObjectProperty, OWL.DatatypeProperty} <= kinds
    assert len(_english(ontology, term, RDFS.label)) == 1
    assert len(_english(ontology, term, RDFS.comment)) == 1


def test_class_hierarchy(ontology: Graph) -> None:
    for name in ACTOR_CLASSES:
        assert (CKG[name], RDFS.subClassOf, CKG.Actor) in ontology
    for name in EVENT_CLASSES:
        assert (CKG[name], RDFS.subClassOf, CKG.Event) in ontology
    for name in ["Quantity", "Event", "Claim"]:
        assert (CKG[name], RDFS.subClassOf, CKG.Fact) in ontology
    assert (CKG.Place, RDFS.subClassOf, CKG.Actor) not in ontology


@pytest.mark.parametrize("triple", ALIGNMENTS, ids=lambda t: f"{t[0].fragment}-{t[2]}")
def test_alignment(ontology: Graph, triple: tuple[URIRef, URIRef, URIRef]) -> None:
    assert triple in ontology


def test_place_is_mapped_not_subsumed_by_sem_has_place(ontology: Graph) -> None:
    # ckg:place also locates quantities, which are not events.
    assert (CKG.place, RDFS.subPropertyOf, SEM.hasPlace) not in ontology
    assert (CKG.place, SKOS.narrowMatch, SEM.hasPlace) in ontology


def test_domains_and_ranges_name_declared_classes(ontology: Graph) -> None:
    checked = 0
    for predicate in (RDFS.domain, RDFS.range):
        for subject, obj in ontology.subject_objects(predicate):
            if not str(subject).startswith(str(CKG)):
                continue
            for member in _class_members(ontology, obj):
                if str(member).startswith(str(CKG)):
                    assert (member, RDF.type, OWL.Class) in ontology, (subject, member)
                    checked += 1
    assert checked > 20


@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
def test_concept_scheme_has_exactly_the_listed_concepts(ontology: Graph, scheme_name: str) -> None:
    scheme = CKG[scheme_name]
    expected = {CKG[name] for name in SCHEMES[scheme_name]}
    assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology
    assert set(ontology.subjects(SKOS.inScheme, scheme)) == expected
    assert set(ontology.subjects(SKOS.topConceptOf, scheme)) == expected
    assert set(ontology.objects(scheme, SKOS.hasTopConcept)) == expected
    for concept in expected:
        assert (concept, RDF.type, SKOS.Concept) in ontology
        assert len(_english(ontology, concept, SKOS.prefLabel)) == 1, concept
        assert len(_english(ontology, concept, SKOS.definition)) == 1, concept


def test_casualties_is_a_combined_figure(ontology: Graph) -> None:
    (definition,) = _english(ontology, CKG.Casualties, SKOS.definition)
    assert "combined killed/wounded/missing figure" in definition


@pytest.mark.parametrize("name", QUALIFIERS)
def test_qualifier_definition_states_its_interval(ontology: Graph, name: str) -> None:
    (definition,) = _english(ontology, CKG[name], SKOS.definition)
    for wording in INTERVAL_WORDING[name]:
        assert wording in definition


def test_units_match_qudt_only_where_they_correspond(ontology: Graph) -> None:
    for name in UNITS:
        matches = {str(o) for o in ontology.objects(CKG[name], SKOS.closeMatch)}
        expected = {QUDT_MATCHES[name]} if name in QUDT_MATCHES else set()
        assert matches == expected, name


# ---------------------------------------------------------------------------
# Shapes, statically
# ---------------------------------------------------------------------------

CONSTRAINT_PARAMETERS = [
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minInclusive,
    SH.maxInclusive,
    SH.pattern,
    SH["in"],
    SH.languageIn,
    SH.hasValue,
    SH["or"],
    SH["and"],
    SH["not"],
    SH.node,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH.equals,
]


def _has_message(shapes: Graph, node: Node) -> bool:
    return bool(_english(shapes, node, SH.message))


def test_every_property_shape_and_sparql_constraint_has_a_message(shapes: Graph) -> None:
    properties = set(shapes.objects(None, SH.property))
    sparqls = set(shapes.objects(None, SH.sparql))
    assert len(properties) > 40 and len(sparqls) >= 6
    missing = [node for node in properties | sparqls if not _has_message(shapes, node)]
    assert missing == []


def test_every_node_shape_with_its_own_constraints_has_a_message(shapes: Graph) -> None:
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        if any((shape, parameter, None) in shapes for parameter in CONSTRAINT_PARAMETERS):
            assert _has_message(shapes, shape), shape


def test_sparql_constraints_bind_this_and_declare_their_prefixes(shapes: Graph) -> None:
    for constraint in shapes.objects(None, SH.sparql):
        query = str(shapes.value(constraint, SH.select))
        assert "$this" in query
        prefixes = shapes.value(constraint, SH.prefixes)
        declared = {
            str(shapes.value(declaration, SH.prefix))
            for declaration in shapes.objects(prefixes, SH.declare)
        }
        assert "ckg" in declared


def _targets(shapes: Graph) -> dict[URIRef, set[Node]]:
    targets: dict[URIRef, set[Node]] = {}
    for shape, cls in shapes.subject_objects(SH.targetClass):
        targets.setdefault(cls, set()).add(shape)
    return targets


@pytest.mark.parametrize("name", [c for c in CLASSES if c not in ("Actor", "Fact")])
def test_every_contract_class_is_targeted(shapes: Graph, name: str) -> None:
    assert CKG[name] in _targets(shapes)


@pytest.mark.parametrize("name", ["Quantity", "Claim", "Event", *EVENT_CLASSES])
def test_every_fact_class_needs_provenance(shapes: Graph, name: str) -> None:
    paths = set()
    for shape in _targets(shapes)[CKG[name]]:
        for prop in shapes.objects(shape, SH.property):
            if shapes.value(prop, SH.minCount) is not None:
                paths.add(shapes.value(prop, SH.path))
    assert {CKG.reportedIn, CKG.evidence} <= paths


def test_shapes_use_only_declared_terms(shapes: Graph, ontology: Graph) -> None:
    used = {
        term
        for triple in shapes
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(CKG))
    }
    undeclared = {term for term in used if (term, RDF.type, None) not in ontology}
    assert undeclared == set()


# ---------------------------------------------------------------------------
# A valid sample, laid out as docs/graph.md describes
# ---------------------------------------------------------------------------

TEXT = "Some 12,000 troops arrived."
SHA = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
ARTICLE = URIRef(f"https://w3id.org/conflict-kg/id/article/{SHA}")
SENTENCE = URIRef(f"{ARTICLE}/sentence/0-27")
MENTION = URIRef(f"{ARTICLE}/mention/12-18")
QUANTITY = URIRef(f"{ARTICLE}/quantity/0-11")
EVENT = URIRef(f"{ARTICLE}/event/19-26")
CLAIM = URIRef(f"{ARTICLE}/claim/0-27")
KPA = URIRef(ENTITY + "armed-force/korean-peoples-army")
KURSK = URIRef(ENTITY + "place/kursk-oblast")
ZELENSKY = URIRef(ENTITY + "person/volodymyr-zelensky")

SAMPLE = Template("""
@prefix ckg:     <https://w3id.org/conflict-kg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix force:   <https://w3id.org/conflict-kg/id/entity/armed-force/> .
@prefix state:   <https://w3id.org/conflict-kg/id/entity/state/> .
@prefix place:   <https://w3id.org/conflict-kg/id/entity/place/> .
@prefix person:  <https://w3id.org/conflict-kg/id/entity/person/> .
@prefix org:     <https://w3id.org/conflict-kg/id/entity/organization/> .
@prefix act:     <https://w3id.org/conflict-kg/id/activity/> .
@base <https://w3id.org/conflict-kg/id/article/$sha/> .

# ---- the article's graph
<https://w3id.org/conflict-kg/id/article/$sha> a ckg:Article ;
    dcterms:identifier "dispatch.txt" ;
    ckg:sha256 "$sha" ;
    dcterms:title "Troops arrive in Kursk" ;
    dcterms:issued "2024-11-12"^^xsd:date ;
    dcterms:creator "A. Writer" ;
    dcterms:source "Example Wire" ;
    ckg:text "Some 12,000 troops arrived." ;
    prov:wasGeneratedBy act:$sha-ab12cd34 .

act:$sha-ab12cd34 a prov:Activity ;
    ckg:softwareVersion "0.1.0" ; ckg:modelName "en_core_web_sm" ; ckg:modelVersion "3.8.0" .

<sentence/0-27> a ckg:Sentence ;
    ckg:inArticle <https://w3id.org/conflict-kg/id/article/$sha> ;
    ckg:sentence "Some 12,000 troops arrived." ; ckg:beginIndex 0 ; ckg:endIndex 27 .

<mention/12-18> a ckg:Mention ;
    ckg:inArticle <https://w3id.org/conflict-kg/id/article/$sha> ;
    ckg:refersTo force:korean-peoples-army ;
    ckg:anchorOf "troops" ; ckg:beginIndex 12 ; ckg:endIndex 18 .

<quantity/0-11> a ckg:Quantity ;
    ckg:reportedIn <https://w3id.org/conflict-kg/id/article/$sha> ;
    ckg:evidence <sentence/0-27> ;
    ckg:anchorOf "Some 12,000" ; ckg:beginIndex 0 ; ckg:endIndex 11 ;
    ckg:measure ckg:TroopCount ; ckg:value "12000"^^xsd:decimal ; ckg:unit ckg:Persons ;
    ckg:qualifier ckg:Approximately ;
    ckg:minValue "10800"^^xsd:decimal ; ckg:maxValue "13200"^^xsd:decimal ;
    ckg:about force:korean-peoples-army ;
    ckg:place place:kursk-oblast ;
    ckg:time "2024-11"^^xsd:gYearMonth .

<event/19-26> a ckg:Deployment ;
    ckg:reportedIn <https://w3id.org/conflict-kg/id/article/$sha> ;
    ckg:evidence <sentence/0-27> ;
    ckg:anchorOf "arrived" ; ckg:beginIndex 19 ; ckg:endIndex 26 ;
    ckg:agent force:korean-peoples-army ;
    ckg:place place:kursk-oblast ;
    ckg:time "2024-11-12"^^xsd:date .

# The sentence has no attribution cue of its own, so this claim has no span.
<claim/0-27> a ckg:Claim ;
    ckg:reportedIn <https://w3id.org/conflict-kg/id/article/$sha> ;
    ckg:evidence <sentence/0-27> ;
    ckg:claimedBy person:volodymyr-zelensky ;
    ckg:asserts <quantity/0-11>, <event/19-26> .

# ---- the entities graph
force:korean-peoples-army a ckg:ArmedForce ;
    skos:prefLabel "Korean People's Army"@en ;
    skos:altLabel "North Korean troops"@en ;
    ckg:forceOf state:north-korea .

state:north-korea a ckg:State ;
    skos:prefLabel "North Korea"@en ;
    ckg:demonym "North Korean"@en .

state:ukraine a ckg:State ;
    skos:prefLabel "Ukraine"@en ;
    ckg:demonym "Ukrainian"@en .

place:kursk-oblast a ckg:Place ;
    skos:prefLabel "Kursk Oblast"@en ;
    skos:altLabel "Kursk"@en .

place:kyiv a ckg:Place ;
    skos:prefLabel "Kyiv"@en ;
    skos:altLabel "Kiev"@en ;
    ckg:capitalOf state:ukraine .

person:volodymyr-zelensky a ckg:Person ;
    skos:prefLabel "Volodymyr Zelensky"@en ;
    skos:altLabel "Zelenskyy"@en, "Zelensky"@en .

org:institute-for-the-study-of-war a ckg:Organization ;
    skos:prefLabel "Institute for the Study of War"@en .
""").substitute(sha=SHA)


@dataclass(frozen=True)
class Result:
    focus: Node | None
    path: Node | None
    severity: Node | None
    message: str


def _validate(data: Graph, shapes: Graph) -> tuple[bool, list[Result]]:
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=None,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    results = [
        Result(
            focus=report.value(r, SH.focusNode),
            path=report.value(r, SH.resultPath),
            severity=report.value(r, SH.resultSeverity),
            message=" / ".join(str(m) for m in report.objects(r, SH.resultMessage)),
        )
        for r in report.objects(None, SH.result)  # top-level results, not sh:detail
    ]
    return bool(conforms), results


def _sample() -> Graph:
    return Graph().parse(data=SAMPLE, format="turtle")


def test_sample_text_and_offsets_agree() -> None:
    # Guards the sample itself: every literal span is the slice it claims to be.
    graph = _sample()
    assert str(graph.value(ARTICLE, CKG.text)) == TEXT
    for node, literal in [
        (SENTENCE, CKG.sentence),
        (MENTION, CKG.anchorOf),
        (QUANTITY, CKG.anchorOf),
        (EVENT, CKG.anchorOf),
    ]:
        begin = int(graph.value(node, CKG.beginIndex))
        end = int(graph.value(node, CKG.endIndex))
        assert TEXT[begin:end] == str(graph.value(node, literal))


def test_sample_uses_only_declared_terms(ontology: Graph) -> None:
    graph = _sample()
    used = {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(CKG))
    }
    assert used and {term for term in used if (term, RDF.type, None) not in ontology} == set()


def test_valid_sample_conforms_without_any_result(shapes: Graph) -> None:
    conforms, results = _validate(_sample(), shapes)
    assert conforms, results
    assert results == []


def test_fixture_articles_conform(shapes: Graph) -> None:
    if not FIXTURE_FILE.exists():
        pytest.skip("no tests/data/mini.trig")
    from rdflib import Dataset

    dataset = Dataset()
    dataset.parse(FIXTURE_FILE, format="trig")
    entities = list(dataset.graph(ENTITIES_GRAPH))
    articles = [g for g in dataset.graphs() if (g.identifier, RDF.type, CKG.Article) in g]
    assert articles
    for article in articles:
        data = Graph()
        for triple in [*article, *entities]:
            data.add(triple)
        conforms, results = _validate(data, shapes)
        assert conforms and results == [], (article.identifier, results)


# ---------------------------------------------------------------------------
# Variants of the sample
# ---------------------------------------------------------------------------

Edit = Callable[[Graph], None]


def put(subject: URIRef, predicate: URIRef, obj: Node) -> Edit:
    return lambda g: g.set((subject, predicate, obj))


def add(subject: URIRef, predicate: URIRef, obj: Node) -> Edit:
    return lambda g: g.add((subject, predicate, obj))


def drop(subject: URIRef, predicate: URIRef) -> Edit:
    return lambda g: g.remove((subject, predicate, None))


def dec(value: str) -> Literal:
    return Literal(value, datatype=XSD.decimal)


def territory_share(value: str, qualifier: URIRef, low: str, high: str) -> list[Edit]:
    """The sample quantity as a share of territory in percent, with its interval."""
    return [
        put(QUANTITY, CKG.measure, CKG.TerritoryShare),
        put(QUANTITY, CKG.unit, CKG.Percent),
        put(QUANTITY, CKG.value, dec(value)),
        put(QUANTITY, CKG.qualifier, qualifier),
        put(QUANTITY, CKG.minValue, dec(low)),
        put(QUANTITY, CKG.maxValue, dec(high)),
    ]


def _apply(*edits: Edit) -> Graph:
    graph = _sample()
    for edit in edits:
        edit(graph)
    return graph


# name, edits, (focus node, result path) that must be reported as a violation
BROKEN: list[tuple[str, list[Edit], tuple[URIRef, URIRef]]] = [
    (
        "mention-anchor-not-the-slice",
        [put(MENTION, CKG.anchorOf, Literal("troop"))],
        (MENTION, CKG.anchorOf),
    ),
    (
        "mention-begin-equals-end",
        [put(MENTION, CKG.beginIndex, Literal(18))],
        (MENTION, CKG.beginIndex),
    ),
    (
        "mention-begin-after-end",
        [put(MENTION, CKG.beginIndex, Literal(19))],
        (MENTION, CKG.beginIndex),
    ),
    (
        "mention-beyond-text",
        [put(MENTION, CKG.beginIndex, Literal(30)), put(MENTION, CKG.endIndex, Literal(36))],
        (MENTION, CKG.endIndex),
    ),
    (
        "mention-negative-offset",
        [put(MENTION, CKG.beginIndex, Literal(-1))],
        (MENTION, CKG.beginIndex),
    ),
    (
        "mention-refers-to-unknown-node",
        [put(MENTION, CKG.refersTo, URIRef(ENTITY + "person/nobody"))],
        (MENTION, CKG.refersTo),
    ),
    ("mention-without-article", [drop(MENTION, CKG.inArticle)], (MENTION, CKG.inArticle)),
    (
        "sentence-not-the-slice",
        [put(SENTENCE, CKG.sentence, Literal("Some 12,000 troops arrived"))],
        (SENTENCE, CKG.sentence),
    ),
    ("sentence-beyond-text", [put(SENTENCE, CKG.endIndex, Literal(40))], (SENTENCE, CKG.endIndex)),
    (
        "sentence-offsets-reversed",
        [put(SENTENCE, CKG.beginIndex, Literal(27)), put(SENTENCE, CKG.endIndex, Literal(0))],
        (SENTENCE, CKG.beginIndex),
    ),
    (
        "evidence-offsets-reversed",
        [put(SENTENCE, CKG.beginIndex, Literal(27)), put(SENTENCE, CKG.endIndex, Literal(0))],
        (SENTENCE, CKG.beginIndex),  # the evidence is a ckg:Sentence: SentenceShape checks it
    ),
    (
        "event-anchor-not-the-slice",
        [put(EVENT, CKG.anchorOf, Literal("arrive"))],
        (EVENT, CKG.anchorOf),
    ),
    (
        "quantity-span-beyond-text",
        [put(QUANTITY, CKG.endIndex, Literal(28))],
        (QUANTITY, CKG.endIndex),
    ),
    ("quantity-without-evidence", [drop(QUANTITY, CKG.evidence)], (QUANTITY, CKG.evidence)),
    ("claim-without-evidence", [drop(CLAIM, CKG.evidence)], (CLAIM, CKG.evidence)),
    ("event-without-reportedIn", [drop(EVENT, CKG.reportedIn)], (EVENT, CKG.reportedIn)),
    (
        "quantity-reported-in-two-articles",
        [add(QUANTITY, CKG.reportedIn, URIRef(f"{ARTICLE}x"))],
        (QUANTITY, CKG.reportedIn),
    ),
    (
        "evidence-from-another-article",
        [put(SENTENCE, CKG.inArticle, URIRef(f"{ARTICLE}x"))],
        (QUANTITY, CKG.evidence),
    ),
    (
        "territory-share-of-130",
        [
            put(QUANTITY, CKG.measure, CKG.TerritoryShare),
            put(QUANTITY, CKG.unit, CKG.Percent),
            put(QUANTITY, CKG.value, dec("130")),
            put(QUANTITY, CKG.qualifier, CKG.Exact),
            drop(QUANTITY, CKG.minValue),
            drop(QUANTITY, CKG.maxValue),
        ],
        (QUANTITY, CKG.value),
    ),
    (
        "territory-share-interval-above-100",
        [
            put(QUANTITY, CKG.measure, CKG.TerritoryShare),
            put(QUANTITY, CKG.unit, CKG.Percent),
            put(QUANTITY, CKG.value, dec("95")),
            put(QUANTITY, CKG.minValue, dec("85.5")),
            put(QUANTITY, CKG.maxValue, dec("104.5")),
        ],
        (QUANTITY, CKG.maxValue),
    ),
    (
        "negative-count",
        [
            put(QUANTITY, CKG.value, dec("-5")),
            drop(QUANTITY, CKG.minValue),
            drop(QUANTITY, CKG.maxValue),
        ],
        (QUANTITY, CKG.value),
    ),
    ("value-not-decimal", [put(QUANTITY, CKG.value, Literal(12000))], (QUANTITY, CKG.value)),
    ("two-values", [add(QUANTITY, CKG.value, dec("12001"))], (QUANTITY, CKG.value)),
    ("unknown-measure", [put(QUANTITY, CKG.measure, CKG.Refugees)], (QUANTITY, CKG.measure)),
    ("no-measure", [drop(QUANTITY, CKG.measure)], (QUANTITY, CKG.measure)),
    ("unknown-qualifier", [put(QUANTITY, CKG.qualifier, CKG.Roughly)], (QUANTITY, CKG.qualifier)),
    ("unknown-unit", [put(QUANTITY, CKG.unit, CKG.Battalions)], (QUANTITY, CKG.unit)),
    ("min-above-value", [put(QUANTITY, CKG.minValue, dec("12500"))], (QUANTITY, CKG.minValue)),
    ("value-above-max", [put(QUANTITY, CKG.maxValue, dec("11000"))], (QUANTITY, CKG.value)),
    (
        "quantity-time-as-plain-string",
        [put(QUANTITY, CKG.time, Literal("November 2024"))],
        (QUANTITY, CKG.time),
    ),
    (
        "event-with-two-times",
        [add(EVENT, CKG.time, Literal("2024-11-13", datatype=XSD.date))],
        (EVENT, CKG.time),
    ),
    ("event-agent-is-a-place", [put(EVENT, CKG.agent, KURSK)], (EVENT, CKG.agent)),
    ("event-place-is-a-literal", [put(EVENT, CKG.place, Literal("Kursk"))], (EVENT, CKG.place)),
    (
        "entity-with-two-preflabels",
        [add(KPA, SKOS.prefLabel, Literal("KPA", lang="en"))],
        (KPA, SKOS.prefLabel),
    ),
    (
        "entity-preflabel-without-language",
        [put(KURSK, SKOS.prefLabel, Literal("Kursk Oblast"))],
        (KURSK, SKOS.prefLabel),
    ),
    ("entity-without-preflabel", [drop(ZELENSKY, SKOS.prefLabel)], (ZELENSKY, SKOS.prefLabel)),
    ("claim-without-claimedBy", [drop(CLAIM, CKG.claimedBy)], (CLAIM, CKG.claimedBy)),
    ("claim-claimed-by-a-place", [put(CLAIM, CKG.claimedBy, KURSK)], (CLAIM, CKG.claimedBy)),
    ("claim-asserts-an-entity", [add(CLAIM, CKG.asserts, KPA)], (CLAIM, CKG.asserts)),
    (
        "article-without-identifier",
        [drop(ARTICLE, DCTERMS.identifier)],
        (ARTICLE, DCTERMS.identifier),
    ),
    (
        "article-sha256-upper-case",
        [put(ARTICLE, CKG.sha256, Literal(SHA.upper()))],
        (ARTICLE, CKG.sha256),
    ),
    ("article-with-two-texts", [add(ARTICLE, CKG.text, Literal(TEXT + " "))], (ARTICLE, CKG.text)),
    (
        "article-issued-not-a-date",
        [put(ARTICLE, DCTERMS.issued, Literal("12 November 2024"))],
        (ARTICLE, DCTERMS.issued),
    ),
    (
        "article-without-activity",
        [drop(ARTICLE, PROV.wasGeneratedBy)],
        (ARTICLE, PROV.wasGeneratedBy),
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"), [(e, x) for _, e, x in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_broken_variant_is_reported(
    shapes: Graph, edits: list[Edit], expected: tuple[URIRef, URIRef]
) -> None:
    conforms, results = _validate(_apply(*edits), shapes)
    assert not conforms
    violations = {(r.focus, r.path) for r in results if r.severity == SH.Violation}
    assert expected in violations, results
    assert all(r.message for r in results)


# Variants that are still valid: nothing may be reported.
VALID: list[tuple[str, list[Edit]]] = [
    # Without ckg:text the offset checks have nothing to compare against.
    ("no-text", [drop(ARTICLE, CKG.text)]),
    (
        "no-text-and-any-anchor",
        [drop(ARTICLE, CKG.text), put(MENTION, CKG.anchorOf, Literal("soldiers"))],
    ),
    (
        "territory-share-clipped-at-100",
        [
            put(QUANTITY, CKG.measure, CKG.TerritoryShare),
            put(QUANTITY, CKG.unit, CKG.Percent),
            put(QUANTITY, CKG.value, dec("95")),
            put(QUANTITY, CKG.minValue, dec("85.5")),
            put(QUANTITY, CKG.maxValue, dec("100")),
        ],
    ),
    ("more-than-a-percentage-ends-at-100", territory_share("60", CKG.MoreThan, "60", "100")),
    (
        "at-least-has-no-maximum",
        [
            put(QUANTITY, CKG.qualifier, CKG.AtLeast),
            put(QUANTITY, CKG.minValue, dec("12000")),
            drop(QUANTITY, CKG.maxValue),
        ],
    ),
    (
        "up-to-starts-at-zero",
        [
            put(QUANTITY, CKG.qualifier, CKG.UpTo),
            put(QUANTITY, CKG.minValue, dec("0")),
            put(QUANTITY, CKG.maxValue, dec("12000")),
        ],
    ),
    (
        "nearly",
        [
            put(QUANTITY, CKG.qualifier, CKG.Nearly),
            put(QUANTITY, CKG.minValue, dec("10800")),
            put(QUANTITY, CKG.maxValue, dec("12000")),
        ],
    ),
    (
        "no-interval-no-unit",
        [drop(QUANTITY, CKG.minValue), drop(QUANTITY, CKG.maxValue), drop(QUANTITY, CKG.unit)],
    ),
    ("time-as-year", [put(EVENT, CKG.time, Literal("2024", datatype=XSD.gYear))]),
    ("event-place-is-a-state", [put(EVENT, CKG.place, URIRef(ENTITY + "state/ukraine"))]),
    (
        "no-optional-article-metadata",
        [
            drop(ARTICLE, DCTERMS.title),
            drop(ARTICLE, DCTERMS.issued),
            drop(ARTICLE, DCTERMS.creator),
            drop(ARTICLE, DCTERMS.source),
        ],
    ),
    ("other-event-class", [drop(EVENT, RDF.type), add(EVENT, RDF.type, CKG.Advance)]),
]


@pytest.mark.parametrize("edits", [e for _, e in VALID], ids=[n for n, _ in VALID])
def test_valid_variant_conforms(shapes: Graph, edits: list[Edit]) -> None:
    conforms, results = _validate(_apply(*edits), shapes)
    assert conforms and results == [], results


# Variants that break a derived rule: reported as a warning, the graph still conforms.
WARNED: list[tuple[str, list[Edit], tuple[URIRef, URIRef]]] = [
    (
        "approximately-with-wrong-maximum",
        [put(QUANTITY, CKG.maxValue, dec("13000"))],
        (QUANTITY, CKG.maxValue),
    ),
    (
        "approximately-with-wrong-minimum",
        [put(QUANTITY, CKG.minValue, dec("11000"))],
        (QUANTITY, CKG.minValue),
    ),
    (
        "more-than-with-a-maximum",
        [put(QUANTITY, CKG.qualifier, CKG.MoreThan), put(QUANTITY, CKG.minValue, dec("12000"))],
        (QUANTITY, CKG.maxValue),
    ),
    (
        "at-least-a-percentage-with-a-maximum-below-100",
        territory_share("60", CKG.AtLeast, "60", "90"),
        (QUANTITY, CKG.maxValue),
    ),
    ("exact-with-a-range", [put(QUANTITY, CKG.qualifier, CKG.Exact)], (QUANTITY, CKG.minValue)),
    (
        "fact-span-outside-its-evidence",
        [
            put(SENTENCE, CKG.beginIndex, Literal(12)),
            put(SENTENCE, CKG.sentence, Literal("troops arrived.")),
        ],
        (QUANTITY, CKG.evidence),
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"), [(e, x) for _, e, x in WARNED], ids=[n for n, _, _ in WARNED]
)
def test_warned_variant_still_conforms(
    shapes: Graph, edits: list[Edit], expected: tuple[URIRef, URIRef]
) -> None:
    conforms, results = _validate(_apply(*edits), shapes)
    assert conforms, results
    warnings = {(r.focus, r.path) for r in results if r.severity == SH.Warning}
    assert expected in warnings, results
    assert all(r.severity == SH.Warning for r in results), results


def test_blank_node_evidence_is_rejected(shapes: Graph) -> None:
    graph = _sample()
    evidence = BNode()
    graph.add((EVENT, CKG.evidence, evidence))
    graph.add((evidence, RDF.type, CKG.Sentence))
    conforms, results = _validate(graph, shapes)
    assert not conforms
    assert (EVENT, CKG.evidence) in {(r.focus, r.path) for r in results}
