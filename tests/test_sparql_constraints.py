"""SHACL-SPARQL constraints run once per graph give exactly what plain pySHACL gives.

Each graph is validated twice: by `validate_graph` (pySHACL for the rest, the
SPARQL constraints once per graph) and by one plain pySHACL run over every
shape; the violations, the conforms flag and the report graph must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH, XSD

from etl import validate
from etl.pipeline import RunReport
from etl.rdf import referenced_entities
from etl.shape_targets import TARGET_PREDICATES
from etl.sparql_constraints import split_shapes
from etl.validate import (
    ENTITIES_GRAPH_SUFFIX,
    load_shapes,
    read_dataset,
    validate_graph,
    validate_with_pyshacl,
    with_entities,
)

from .test_ontology_shapes import BROKEN, VALID, WARNED, Edit, _apply

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")


def assert_same(data: Graph) -> None:
    new, plain = validate_graph(data), validate_with_pyshacl(data)
    assert new.conforms is plain.conforms
    assert new.violations == plain.violations
    assert isomorphic(_without_shape_targets(new.report), _without_shape_targets(plain.report))


def _without_shape_targets(report: Graph) -> Graph:
    """The report but for the targets of the source shapes pySHACL copies into it.

    `validate_graph` gives property shapes their node shape's targets (see
    `etl.shape_targets`), and pySHACL copies a blank-node source shape whole.
    """
    kept = Graph()
    shapes = set(report.objects(None, SH.sourceShape))
    for s, p, o in report:
        if not (s in shapes and p in TARGET_PREDICATES):
            kept.add((s, p, o))
    return kept


@pytest.fixture(scope="module")
def articles(examples_run: tuple[Path, RunReport]) -> list[Graph]:
    """Every example article's graph with the entities it references, as `ckg validate` does."""
    out, _ = examples_run
    graphs = [g for g in read_dataset(out / "graph.trig").graphs() if len(g)]
    entities = next(g for g in graphs if str(g.identifier).endswith(ENTITIES_GRAPH_SUFFIX))
    return [with_entities(g, entities, referenced_entities(g)) for g in graphs if g is not entities]


def test_every_constraint_of_the_shapes_runs_once_per_graph() -> None:
    # The speed-up depends on it: a constraint left to pySHACL runs once per focus node.
    shapes = load_shapes()
    split = split_shapes(shapes)
    assert len(split.constraints) == len(set(shapes.objects(None, SH.sparql))) == 8
    assert (None, SH.sparql, None) not in split.core


def test_example_articles(articles: list[Graph]) -> None:
    assert len(articles) >= 5
    for data in articles:
        assert_same(data)


def _largest(articles: list[Graph]) -> Graph:
    return max(articles, key=len)


def _first(data: Graph, cls: URIRef, *needs: URIRef) -> URIRef:
    nodes = sorted(
        str(s) for s in data.subjects(RDF.type, cls) if all(data.value(s, p) for p in needs)
    )
    assert nodes, cls
    return URIRef(nodes[0])


def _article(data: Graph) -> URIRef:
    return _first(data, CKG.Article)


def _quantity(data: Graph) -> URIRef:
    return _first(data, CKG.Quantity, CKG.value, CKG.minValue)


def _text_length(data: Graph) -> int:
    return len(str(data.value(_article(data), CKG.text)))


Corruption = Callable[[Graph], None]


def wrong_anchor(data: Graph) -> None:
    data.set((_first(data, CKG.Mention, CKG.anchorOf), CKG.anchorOf, Literal("not the slice")))


def mention_past_text(data: Graph) -> None:
    end = _text_length(data) + 5
    mention = _first(data, CKG.Mention, CKG.anchorOf)
    data.set((mention, CKG.beginIndex, Literal(end - 3)))
    data.set((mention, CKG.endIndex, Literal(end)))


def negative_mention_offset(data: Graph) -> None:
    data.set((_first(data, CKG.Mention, CKG.anchorOf), CKG.beginIndex, Literal(-2)))


def sentence_not_the_slice(data: Graph) -> None:
    data.set((_first(data, CKG.Sentence), CKG.sentence, Literal("Another sentence.")))


def sentence_past_text(data: Graph) -> None:
    data.set((_first(data, CKG.Sentence), CKG.endIndex, Literal(_text_length(data) + 1)))


def fact_anchor_wrong(data: Graph) -> None:
    data.set((_quantity(data), CKG.anchorOf, Literal("a figure")))


def fact_span_past_text(data: Graph) -> None:
    data.set((_quantity(data), CKG.endIndex, Literal(_text_length(data) + 9)))


def evidence_from_another_article(data: Graph) -> None:
    sentence = data.value(_quantity(data), CKG.evidence)
    assert sentence is not None
    data.set((sentence, CKG.inArticle, URIRef(f"{_article(data)}-other")))


def fact_span_outside_evidence(data: Graph) -> None:
    quantity = _quantity(data)
    data.set((quantity, CKG.beginIndex, Literal(0)))
    data.set((quantity, CKG.endIndex, Literal(1)))


def share_above_100(data: Graph) -> None:
    quantity = _quantity(data)
    data.set((quantity, CKG.measure, CKG.TerritoryShare))
    data.set((quantity, CKG.value, Literal("130", datatype=XSD.decimal)))


def share_interval_above_100(data: Graph) -> None:
    quantity = _quantity(data)
    data.set((quantity, CKG.measure, CKG.TerritoryShare))
    data.set((quantity, CKG.maxValue, Literal("104.5", datatype=XSD.decimal)))


def wrong_interval(data: Graph) -> None:
    quantity = _quantity(data)
    data.set((quantity, CKG.qualifier, CKG.Approximately))
    data.set((quantity, CKG.minValue, Literal("1", datatype=XSD.decimal)))
    data.set((quantity, CKG.maxValue, Literal("2", datatype=XSD.decimal)))


def value_not_decimal(data: Graph) -> None:
    data.set((_quantity(data), CKG.value, Literal("many")))


def no_reported_in(data: Graph) -> None:
    data.remove((_quantity(data), CKG.reportedIn, None))


def entity_without_label(data: Graph) -> None:
    data.remove((_first(data, CKG.Place), None, None))


def claimed_by_a_place(data: Graph) -> None:
    data.set((_first(data, CKG.Claim, CKG.claimedBy), CKG.claimedBy, _first(data, CKG.Place)))


def claim_asserts_a_sentence(data: Graph) -> None:
    data.add((_first(data, CKG.Claim), CKG.asserts, _first(data, CKG.Sentence)))


CORRUPTIONS: list[Corruption] = [
    wrong_anchor,
    mention_past_text,
    negative_mention_offset,
    sentence_not_the_slice,
    sentence_past_text,
    fact_anchor_wrong,
    fact_span_past_text,
    evidence_from_another_article,
    fact_span_outside_evidence,
    share_above_100,
    share_interval_above_100,
    wrong_interval,
    value_not_decimal,
    no_reported_in,
    entity_without_label,
    claimed_by_a_place,
    claim_asserts_a_sentence,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda c: c.__name__)
def test_corrupted_article(articles: list[Graph], corrupt: Corruption) -> None:
    data = Graph()
    for triple in _largest(articles):
        data.add(triple)
    before = validate_with_pyshacl(data).violations
    corrupt(data)
    assert validate_with_pyshacl(data).violations != before  # the corruption is seen
    assert_same(data)


SAMPLE_VARIANTS = [(n, e) for n, e, _ in BROKEN + WARNED] + VALID


@pytest.mark.parametrize(
    "edits", [e for _, e in SAMPLE_VARIANTS], ids=[n for n, _ in SAMPLE_VARIANTS]
)
def test_sample_variant(edits: list[Edit]) -> None:
    assert_same(_apply(*edits))


SHAPES_PREFIX = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""


def _one_constraint_shapes(shape_extra: str, select: str) -> Graph:
    return Graph().parse(
        data=SHAPES_PREFIX
        + f"""
ex:S a sh:NodeShape ; sh:targetClass ex:C ; {shape_extra}
    sh:sparql [ sh:message "bad {{?value}}" ; sh:select \"\"\"{select}\"\"\" ] .
""",
        format="turtle",
    )


PLAIN = "SELECT $this ?value WHERE { $this <http://example.org/p> ?value }"


@pytest.mark.parametrize(
    ("shape_extra", "select"),
    [
        ("", "SELECT ?value WHERE { $this <http://example.org/p> ?value }"),  # $this not selected
        ("", "SELECT $this WHERE { OPTIONAL { $this <http://example.org/p> ?value } }"),
        ("", PLAIN.replace("}", "} LIMIT 1")),
        ("", PLAIN.replace("WHERE {", "WHERE { { SELECT $this WHERE { $this ?p ?o } }")),
        ("", PLAIN.replace("?value }", "?value MINUS { $this a ?x } }")),
        ("sh:message 'shape message' ;", PLAIN),
        ("sh:deactivated true ;", PLAIN),
        ("sh:path ex:p ;", PLAIN),
        ("", PLAIN.replace("<http://example.org/p>", "ex:p")),  # prefix not declared
    ],
)
def test_constraints_that_cannot_run_once_stay_with_pyshacl(shape_extra: str, select: str) -> None:
    split = split_shapes(_one_constraint_shapes(shape_extra, select))
    assert split.constraints == ()
    assert (None, SH.sparql, None) in split.core


def test_a_plain_constraint_runs_once() -> None:
    split = split_shapes(_one_constraint_shapes("", PLAIN))
    assert len(split.constraints) == 1
    assert (None, SH.sparql, None) not in split.core


def test_shape_used_by_another_shape_stays_with_pyshacl() -> None:
    shapes = _one_constraint_shapes("", PLAIN)
    shapes.add((URIRef("http://example.org/T"), SH.node, URIRef("http://example.org/S")))
    assert split_shapes(shapes).constraints == ()


def test_a_graph_without_results_is_validated_once_and_one_with_results_again(
    articles: list[Graph], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick shapes' pass is final; any result sends the graph to the full shapes."""
    runs: list[Graph] = []
    pyshacl_run = validate._pyshacl

    def counted(data: Graph, shapes: Graph, inplace: bool = False) -> tuple[bool, Graph]:
        runs.append(shapes)
        return pyshacl_run(data, shapes, inplace)

    monkeypatch.setattr(validate, "_pyshacl", counted)
    data = Graph()
    for triple in _largest(articles):
        data.add(triple)
    assert validate_graph(data).conforms
    assert runs == [validate.quick_core()]
    # a node only the quick shapes look at: the object of ckg:place of something that is
    # no fact, so no shape asks it to be an entity; the full shapes find nothing wrong
    data.add((URIRef("urn:example:note"), CKG.place, URIRef("urn:example:nowhere")))
    runs.clear()
    assert_same(data)
    assert runs[:2] == [validate.quick_core(), validate.split_shapes().core]
    assert validate_graph(data).violations == ()
