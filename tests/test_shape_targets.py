"""Property shapes moved out to their node shape's targets validate as they did nested."""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from etl.shape_targets import TARGET_PREDICATES, with_own_targets, with_references_as_targets
from etl.validate import load_shapes

EX = "http://example.org/"
PREFIXES = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <{EX}> .
"""
# Two things, one with a label that is not a string and one without any.
DATA = (
    PREFIXES
    + """
ex:a a ex:Thing ; ex:label 5 .
ex:b a ex:Thing .
"""
)
LABEL = "sh:property [ sh:path ex:label ; sh:minCount 1 ; sh:datatype xsd:string ]"


def _graph(turtle: str) -> Graph:
    return Graph().parse(data=PREFIXES + turtle, format="turtle")


def _nested(shapes: Graph) -> set[tuple[str, str]]:
    return {(str(s), str(o)) for s, o in shapes.subject_objects(SH.property)}


def _validate(shapes: Graph) -> tuple[bool, set[tuple[str, str, str]]]:
    conforms, report, _ = pyshacl.validate(
        Graph().parse(data=DATA, format="turtle"),
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
    )
    assert isinstance(report, Graph)
    results = {
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.sourceConstraintComponent)),
            str(report.value(r, SH.resultSeverity)),
        )
        for r in report.subjects(SH.focusNode, None)
    }
    return bool(conforms), results


def test_a_plain_node_shape_lends_its_targets_and_validates_the_same() -> None:
    shapes = _graph(f"ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {LABEL} .")
    moved = with_own_targets(shapes)
    assert _nested(moved) == set()
    (property_shape,) = moved.subjects(SH.path, URIRef(EX + "label"))
    assert set(moved.objects(property_shape, SH.targetClass)) == {URIRef(EX + "Thing")}
    before, after = _validate(shapes), _validate(moved)
    assert before == after
    assert before[0] is False
    assert {focus for focus, _, _ in before[1]} == {EX + "a", EX + "b"}


@pytest.mark.parametrize(
    "extra",
    [
        "sh:severity sh:Warning",  # with warnings allowed it excuses its property shapes
        "sh:deactivated true",  # which silences its property shapes too
    ],
)
def test_a_node_shape_that_changes_its_property_shapes_keeps_them(extra: str) -> None:
    shapes = _graph(f"ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {extra} ; {LABEL} .")
    moved = with_own_targets(shapes)
    assert _nested(moved) == _nested(shapes) != set()
    assert _validate(moved) == _validate(shapes)


def test_a_node_shape_other_shapes_refer_to_keeps_its_property_shapes() -> None:
    shapes = _graph(
        f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {LABEL} .
        ex:Other a sh:NodeShape ; sh:targetNode ex:c ;
            sh:property [ sh:path ex:part ; sh:node ex:S ] .
        """
    )
    moved = with_own_targets(shapes)
    nested_in_s = {(s, o) for s, o in _nested(shapes) if s == EX + "S"}
    assert nested_in_s and nested_in_s <= _nested(moved)


def test_a_property_shape_without_a_path_stays_nested() -> None:
    shapes = _graph("ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property ex:P .")
    assert _nested(with_own_targets(shapes)) == {(EX + "S", EX + "P")}


def test_the_project_shapes_keep_nested_only_what_is_referred_to() -> None:
    shapes = load_shapes()
    moved = with_own_targets(shapes)
    # the reusable shapes reached through sh:node have no targets to lend
    assert {s for s, _ in _nested(moved)} == {
        "https://w3id.org/conflict-kg/shapes#EntityReference",
        "https://w3id.org/conflict-kg/shapes#ActorReference",
        "https://w3id.org/conflict-kg/shapes#AssertableFact",
    }
    shared = URIRef("https://w3id.org/conflict-kg/shapes#InArticle")  # sentences and mentions
    assert {str(o) for o in moved.objects(shared, SH.targetClass)} == {
        "https://w3id.org/conflict-kg/ontology#Sentence",
        "https://w3id.org/conflict-kg/ontology#Mention",
    }
    # nothing else changed: the moved triples are the only difference
    added = {t for t in moved if t not in shapes}
    removed = {t for t in shapes if t not in moved}
    assert {p for _, p, _ in added} <= set(TARGET_PREDICATES)
    assert {p for _, p, _ in removed} == {SH.property}


def test_a_reference_through_a_predicate_becomes_a_target_of_the_shape_it_names() -> None:
    shapes = _graph(
        """
        ex:Ref a sh:NodeShape ; sh:property [ sh:path ex:label ; sh:minCount 1 ] .
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:property [ sh:path ex:knows ; sh:node ex:Ref ; sh:maxCount 3 ] ;
            sh:property [ sh:path ( ex:knows ex:knows ) ; sh:node ex:Ref ] .
        ex:T a sh:NodeShape ; sh:targetClass ex:Other ; sh:node ex:Ref .
        """
    )
    quick = with_references_as_targets(shapes)
    knows = URIRef(EX + "knows")
    assert set(quick.objects(URIRef(EX + "Ref"), SH.targetObjectsOf)) == {knows}
    # the predicate's property shape keeps its other constraints and loses its sh:node
    (simple,) = quick.subjects(SH.path, knows)
    assert (simple, SH.maxCount, None) in quick and (simple, SH.node, None) not in quick
    # a longer path, and a node shape's own sh:node, stay as they were
    assert len(list(quick.subject_objects(SH.node))) == 2
    assert (URIRef(EX + "T"), SH.node, URIRef(EX + "Ref")) in quick
