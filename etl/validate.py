"""SHACL validation with pySHACL: graph(s) -> ValidationResult.

Each article is validated on its own, together with the descriptions of the
entities it references, so the cost grows linearly with the corpus. The
report is an RDF graph (sh:ValidationReport) and a text summary.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import pyshacl
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize
from rdflib import RDF, XSD, Dataset, Graph, Literal, URIRef, plugin
from rdflib.namespace import SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor

from . import sparql_constraints
from .errors import InputError, ResourceError
from .rdf import CKG, referenced_entities
from .resources import shapes_files
from .shape_targets import with_own_targets, with_references_as_targets
from .sparql_constraints import SplitShapes


class PreparingSPARQLProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, but each query text is parsed and translated once.

    pySHACL runs a SHACL-SPARQL constraint once per focus node, and rdflib parses the
    query text every time: that parsing was about 85% of validation time. A translated
    query is what rdflib's own `prepareQuery` returns for reuse, so evaluating the
    cached one with new bindings gives the same answers.
    """

    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,  # rdflib names the parameters
        initBindings: Any = None,
        initNs: Any = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((initNs or {}).items()))
            strOrQuery = _prepared(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=1024)
def _prepared(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


# rdflib finds its SPARQL processor by the plugin name "sparql"; pySHACL asks for it so.
plugin.register("sparql", Processor, __name__, PreparingSPARQLProcessor.__name__)


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str


@dataclass(frozen=True)
class ValidationSummary:
    """Whether the data conforms, and every result (violations, warnings, infos)."""

    conforms: bool
    violations: tuple[Violation, ...] = field(default=())

    def text(self) -> str:
        if self.conforms:
            return "Conforms: the graph satisfies every shape."
        lines = [f"Does not conform: {len(self.violations)} violation(s)."]
        lines += [f"- {v.severity}: {v.focus} {v.path}: {v.message}" for v in self.violations]
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class ValidationResult(ValidationSummary):
    """A summary with its report graph (sh:ValidationReport)."""

    report: Graph


class ReportSpool:
    """The SHACL reports of a run's articles, kept on disk until validation.ttl is written.

    Held as rdflib graphs to the end of the run, each result cost about 20 KB, so a run's
    memory grew with its corpus; here it costs its N-Triples on disk and one `Violation`.
    """

    def __init__(self) -> None:
        # open for the whole run, closed by `close`; deleted by the OS however the run ends
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._parts: list[tuple[int, int]] = []  # offset, length of each report's N-Triples
        self.conforms = True
        self.violations: list[Violation] = []

    def add(self, conforms: bool, violations: Iterable[Violation], ntriples: bytes) -> None:
        self.conforms = self.conforms and conforms
        self.violations.extend(violations)
        if ntriples:
            self._parts.append((self._file.seek(0, os.SEEK_END), len(ntriples)))
            self._file.write(ntriples)

    def add_result(self, result: ValidationResult) -> None:
        if not result.violations:  # a report without results adds nothing to the merge
            self.add(result.conforms, (), b"")
            return
        ntriples = result.report.serialize(format="nt", encoding="utf-8")
        self.add(result.conforms, result.violations, ntriples)

    def summary(self) -> ValidationSummary:
        return ValidationSummary(conforms=self.conforms, violations=tuple(self.violations))

    def write_turtle(self, target: Path | BinaryIO) -> None:
        """Every report's results under one sh:ValidationReport, streamed to `target`."""
        prefixes = {"sh": str(SH), "rdf": str(RDF), "xsd": str(XSD), "ckg": str(CKG)}
        output = str(target) if isinstance(target, Path) else target
        serialize(self._merged(), output=output, format=RdfFormat.TURTLE, prefixes=prefixes)

    def _merged(self) -> Iterator[Triple]:
        root = NamedNode(RUN_REPORT_IRI)
        yield Triple(root, _RDF_TYPE, _SH_REPORT)
        yield Triple(root, _SH_CONFORMS, OxLiteral(str(self.conforms).lower(), datatype=_BOOLEAN))
        for offset, length in self._parts:
            self._file.seek(offset)
            data = self._file.read(length)
            # each report names its blank nodes afresh: renamed, two cannot meet
            for quad in parse(data, RdfFormat.N_TRIPLES, rename_blank_nodes=True):
                if quad.predicate == _SH_CONFORMS or (
                    quad.predicate == _RDF_TYPE and quad.object == _SH_REPORT
                ):
                    continue
                if quad.predicate == _SH_RESULT:
                    yield Triple(root, _SH_RESULT, quad.object)
                else:
                    yield quad.triple

    def close(self) -> None:
        self._file.close()


RUN_REPORT_IRI = "urn:conflict-kg:validation-report"
_RDF_TYPE = NamedNode(str(RDF.type))
_SH_REPORT = NamedNode(str(SH.ValidationReport))
_SH_CONFORMS = NamedNode(str(SH.conforms))
_SH_RESULT = NamedNode(str(SH.result))
_BOOLEAN = NamedNode(str(XSD.boolean))


@cache
def load_shapes() -> Graph:
    graph = Graph()
    files = shapes_files()
    if not files:
        raise ResourceError("no SHACL shapes found in the shapes folder")
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises parser-specific types
            raise ResourceError(f"{path}: cannot parse the shapes: {exc}") from None
    return graph


def _violations(report: Graph) -> tuple[Violation, ...]:
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):

        def value(predicate: URIRef, node: URIRef = result) -> str:  # type: ignore[assignment]
            term = report.value(node, predicate)
            return "" if term is None else str(term)

        severity = value(SH.resultSeverity).rsplit("#", 1)[-1]
        found.append(
            Violation(value(SH.focusNode), value(SH.resultPath), value(SH.resultMessage), severity)
        )
    return tuple(sorted(found, key=lambda v: (v.focus, v.path, v.message)))


@cache
def _split() -> SplitShapes:
    return sparql_constraints.split_shapes(load_shapes())


@cache
def split_shapes() -> SplitShapes:
    """The shapes pySHACL runs, and the SPARQL constraints run once per graph instead.

    The shapes pySHACL runs have their property shapes moved out to their node
    shapes' targets (see `etl.shape_targets`): the same results, about half the time.
    """
    return replace(_split(), core=with_own_targets(_split().core))


@cache
def quick_core() -> Graph:
    """The shapes pySHACL runs, with the nodes that facts and mentions refer to checked once
    each (see `etl.shape_targets.with_references_as_targets`): a test whose pass is final.

    The reusable shapes reached through `sh:node` were about 40% of validation time; a
    graph without results (nearly every article) is now validated in one run without them.
    """
    return with_own_targets(with_references_as_targets(_split().core))


def validate_graph(data: Graph, quick: bool = True) -> ValidationResult:
    """Validate one graph (an article with its entities, or any graph a user gives).

    The result is that of one pySHACL run with every shape: pySHACL checks SHACL
    Core and whatever it must, and the SHACL-SPARQL constraints that allow it are
    evaluated once over the graph (see `etl.sparql_constraints`). pySHACL first runs
    the quick shapes (`quick_core`, unless `quick` is false); only a graph they find
    any result in is run again with the shapes as written, for its report.
    """
    shapes = split_shapes()
    # pySHACL copies the data graph first unless told to work in place; with no
    # inference and no sh:rule nothing writes to it, so the copy is wasted time.
    inplace = (None, SH.rule, None) not in shapes.core
    conforms, report = _pyshacl(data, quick_core() if quick else shapes.core, inplace=inplace)
    if quick and (None, SH.result, None) in report:  # only a graph without results is done
        conforms, report = _pyshacl(data, shapes.core, inplace=inplace)
    if shapes.constraints:
        sparql_conforms = sparql_constraints.add_results(
            report, load_shapes(), data, shapes.constraints
        )
        if not sparql_conforms and conforms:
            conforms = False
            root = report.value(None, RDF.type, SH.ValidationReport)
            assert root is not None  # pySHACL always writes one
            report.set((root, SH.conforms, Literal(False)))
    return _result(conforms, report)


def validate_with_pyshacl(data: Graph) -> ValidationResult:
    """Validate with one plain pySHACL run over every shape: the reference for tests."""
    return _result(*_pyshacl(data, load_shapes()))


def _result(conforms: bool, report: Graph) -> ValidationResult:
    violations = _violations(report)
    serious = [v for v in violations if v.severity == "Violation"]
    return ValidationResult(conforms=conforms or not serious, report=report, violations=violations)


def _pyshacl(data: Graph, shapes: Graph, inplace: bool = False) -> tuple[bool, Graph]:
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inplace=inplace,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
    )
    assert isinstance(report, Graph)
    return bool(conforms), report


def with_entities(article: Graph, entities: Graph, referenced: Iterable[URIRef]) -> Graph:
    """An article's triples plus the entities graph's triples about what it references."""
    data = Graph()
    for triple in article:
        data.add(triple)
    return add_entities(data, entities, referenced)


def add_entities(data: Graph, entities: Graph, referenced: Iterable[URIRef]) -> Graph:
    """`data` itself, with the entities graph's triples about `referenced` added to it."""
    for entity in referenced:
        for triple in entities.triples((entity, None, None)):
            data.add(triple)
    return data


def merge_results(results: Iterable[ValidationResult]) -> ValidationResult:
    """One report for several graphs: every result under one sh:ValidationReport."""
    spool = ReportSpool()
    try:
        for result in results:
            spool.add_result(result)
        turtle = io.BytesIO()
        spool.write_turtle(turtle)
    finally:
        spool.close()
    report = Graph()
    report.parse(data=turtle.getvalue(), format="turtle")
    summary = spool.summary()
    return ValidationResult(conforms=summary.conforms, violations=summary.violations, report=report)


_FORMATS = {
    ".trig": RdfFormat.TRIG,
    ".nq": RdfFormat.N_QUADS,
    ".ttl": RdfFormat.TURTLE,
    ".nt": RdfFormat.N_TRIPLES,
    ".jsonld": RdfFormat.JSON_LD,
    ".rdf": RdfFormat.RDF_XML,
    ".owl": RdfFormat.RDF_XML,
}
ENTITIES_GRAPH_SUFFIX = "graph/entities"


def read_dataset(path: Path) -> Dataset:
    """An RDF file as an rdflib Dataset, parsed by Oxigraph, which never fetches anything.

    rdflib would download a JSON-LD document's remote `@context`; Oxigraph refuses
    remote contexts and external XML entities, so a file cannot make the tool
    reach out to the network (or read local files through an entity).
    """
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(str(path), f"cannot tell the RDF format; use one of {', '.join(_FORMATS)}")
    if not path.is_file():
        raise InputError(str(path), "no such file (run `ckg run` first, or name a graph file)")
    try:
        quads = parse(path=str(path), format=fmt)
        data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(str(path), f"not valid {fmt.name}: {exc}{_hint(str(exc))}") from None
    dataset = Dataset()
    dataset.parse(data=data.decode("utf-8"), format="nquads")
    return dataset


def _hint(message: str) -> str:
    if "remote context" in message:
        return " (remote JSON-LD contexts are never fetched: put the @context in the file)"
    if "ENTITY" in message:
        return " (XML entity declarations are not read: external entities are never fetched)"
    return ""


def validate_file(path: Path) -> ValidationResult:
    """Validate an RDF file: each named graph with the entities graph, or a plain graph whole."""
    dataset = read_dataset(path)
    graphs = [g for g in dataset.graphs() if len(g)]
    entities = next(
        (g for g in graphs if str(g.identifier).endswith(ENTITIES_GRAPH_SUFFIX)), Graph()
    )
    articles = [g for g in graphs if g is not entities]
    if not articles:
        return validate_graph(entities)
    return merge_results(
        validate_graph(with_entities(g, entities, referenced_entities(g))) for g in articles
    )
