"""Validation: the preparing SPARQL processor gives the stock processor's answers."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, plugin
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor

from etl.validate import (
    RUN_REPORT_IRI,
    PreparingSPARQLProcessor,
    ReportSpool,
    ValidationResult,
    validate_graph,
)

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


# -- a run's report, spooled to disk ----------------------------------------------------

SH = "http://www.w3.org/ns/shacl#"


def _spooled(results: list[ValidationResult], tmp_path) -> pyoxigraph.Store:
    spool = ReportSpool()
    for result in results:
        spool.add_result(result)
    target = tmp_path / "validation.ttl"
    spool.write_turtle(target)
    spool.close()
    store = pyoxigraph.Store()
    store.load(path=str(target), format=pyoxigraph.RdfFormat.TURTLE)
    return store


def _count(store: pyoxigraph.Store, query: str) -> int:
    return int(
        next(iter(store.query(f"PREFIX sh: <{SH}> SELECT (COUNT(*) AS ?n) {query}")))[0].value
    )


def test_spooled_reports_merge_under_one_report(tmp_path):
    broken = validate_graph(_union(broken=True))
    clean = validate_graph(_union(broken=False))
    assert broken.violations and not clean.violations
    # the same report twice: the same blank node labels, which must not merge
    store = _spooled([broken, clean, broken], tmp_path)
    assert _count(store, "WHERE { ?r a sh:ValidationReport }") == 1
    assert bool(store.query(f"ASK {{ <{RUN_REPORT_IRI}> <{SH}conforms> false }}"))
    results = _count(store, f"WHERE {{ <{RUN_REPORT_IRI}> sh:result ?x }}")
    assert results == 2 * len(broken.violations)
    assert _count(store, "WHERE { ?x sh:focusNode ?f }") == results


def test_a_spool_of_conforming_reports_says_so(tmp_path):
    spool = ReportSpool()
    spool.add_result(validate_graph(_union(broken=False)))
    assert spool.summary().conforms and spool.summary().violations == ()
    store = _spooled([validate_graph(_union(broken=False))], tmp_path)
    assert bool(store.query(f"ASK {{ <{RUN_REPORT_IRI}> <{SH}conforms> true }}"))
    assert _count(store, "WHERE { ?r sh:result ?x }") == 0
