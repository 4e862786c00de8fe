"""Validation: the preparing SPARQL processor gives the stock processor's answers."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, plugin
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor

from etl.validate import PreparingSPARQLProcessor, ValidationResult, validate_graph

from .conftest import ROOT

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")
MINI = ROOT / "tests" / "data" / "mini.trig"


def _union(broken: bool) -> Graph:
    """Every triple of the hand-written fixture in one graph, one anchor broken if asked."""
    dataset = Dataset()
    dataset.parse(MINI, format="trig")
    union = Graph()
    for subject, predicate, obj, _graph in dataset.quads((None, None, None, None)):
        union.add((subject, predicate, obj))
    if broken:
        mention = sorted(union.subjects(CKG.anchorOf, None))[0]
        union.set((mention, CKG.anchorOf, Literal("not the slice")))
    return union


def _with_stock_processor(graph: Graph) -> ValidationResult:
    plugin.register("sparql", Processor, SPARQLProcessor.__module__, SPARQLProcessor.__name__)
    try:
        return validate_graph(graph)
    finally:
        plugin.register("sparql", Processor, "etl.validate", PreparingSPARQLProcessor.__name__)


def test_processor_is_registered():
    assert plugin.get("sparql", Processor) is PreparingSPARQLProcessor


@pytest.mark.parametrize("broken", [False, True])
def test_preparing_processor_answers_like_rdflib(broken):
    graph = _union(broken)
    assert len(graph) > 100
    prepared = validate_graph(graph)
    stock = _with_stock_processor(graph)
    assert prepared.conforms is (not broken)
    assert stock.violations == prepared.violations
    if broken:
        assert any(
            v.path.endswith("anchorOf") or "slice" in v.message
            for v in prepared.violations
            if v.severity == "Violation"
        )
