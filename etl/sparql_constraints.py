"""SHACL-SPARQL constraints evaluated once per data graph instead of once per focus node.

pySHACL runs an `sh:sparql` constraint as one query per focus node with `$this`
pre-bound; on an article graph with hundreds of focus nodes that was two thirds
of validation time. Here the same SELECT runs once over the whole graph with
`$this` left free, and its rows are kept for the shape's focus nodes only.
Results are written as pySHACL writes them (same message substitution, same
de-duplication, same report triples), so merging them with pySHACL's report for
the remaining shapes gives the report of one pySHACL run over all shapes.

The queries run in Oxigraph, on an in-memory copy of the graph: about ten times
faster than rdflib's engine, which pySHACL uses. Both follow SPARQL 1.1; where
rdflib departs from it on ill-typed input (a negative SUBSTR start, say), the
results follow the standard. Non-canonical typed literals ("01"^^xsd:integer)
may be named in their canonical form in the report.

Free `$this` gives the rows pre-binding gives only when every solution binds
`$this` through a triple pattern of the query's top-level group; `rewritable`
checks that and the other conditions below. A constraint that fails any of them
stays in the shapes graph that pySHACL runs, so any shapes are still validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from pyshacl.rdfutil import clone_blank_node
from rdflib import RDF, BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDFS, SH, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from .shape_targets import only_through_targets

THIS = Variable("this")
# Severities that leave a graph conforming: validate_graph runs pySHACL with
# allow_warnings and allow_infos.
ALLOWED_SEVERITIES = frozenset({SH.Info, SH.Warning})
# Features whose meaning changes when `$this` is not pre-bound, or that pySHACL
# treats specially (pre-bound $currentShape, $PATH, ?failure, forbidden MINUS/VALUES).
_UNSAFE_WORDS = re.compile(
    r"\b(MINUS|VALUES|SERVICE|GRAPH|LIMIT|OFFSET|GROUP|HAVING|ORDER|REDUCED)\b|"
    r"\$PATH\b|[?$](currentShape|shapesGraph|failure)\b",
    re.IGNORECASE,
)
_SELECT = re.compile(r"\bSELECT\b", re.IGNORECASE)
# Algebra nodes through which a BGP binds `$this` in every solution.
_BINDING_PARENTS = {"Project", "Distinct", "Filter", "Extend", "Join"}
_ALLOWED_PARTS = _BINDING_PARENTS | {"LeftJoin", "Union", "BGP", "SelectQuery"}


@dataclass(frozen=True)
class Targets:
    nodes: frozenset[Node]
    classes: frozenset[Node]
    subjects_of: frozenset[Node]
    objects_of: frozenset[Node]

    def focus_nodes(self, data: Graph) -> set[Node]:
        """The focus nodes as pySHACL finds them: rdfs:subClassOf* read in the data graph."""
        found: set[Node] = set(self.nodes)
        for cls in self.classes:
            for sub in data.transitive_subjects(RDFS.subClassOf, cls):
                found.update(data.subjects(RDF.type, sub))
        for predicate in self.subjects_of:
            found.update(s for s, _ in data.subject_objects(predicate))
        for predicate in self.objects_of:
            found.update(o for _, o in data.subject_objects(predicate))
        return found


@dataclass(frozen=True)
class SparqlConstraint:
    """One `sh:sparql` constraint of a node shape, its query prepared with `$this` free."""

    shape: Node
    node: Node
    query: Query  # parsed by rdflib: `rewritable` checks its algebra
    text: str  # what Oxigraph runs: the SELECT with its sh:declare'd prefixes
    messages: tuple[Literal, ...]
    severity: Node
    targets: Targets


@dataclass(frozen=True)
class SplitShapes:
    """The shapes pySHACL still runs, and the constraints evaluated here."""

    core: Graph
    constraints: tuple[SparqlConstraint, ...]


def split_shapes(shapes: Graph) -> SplitShapes:
    """Take out of a copy of `shapes` every SPARQL constraint that can run once per graph."""
    constraints = []
    for shape, node in shapes.subject_objects(SH.sparql):
        constraint = rewritable(shapes, shape, node)
        if constraint is not None:
            constraints.append(constraint)
    core = Graph()
    core.namespace_manager = shapes.namespace_manager
    taken = {(c.shape, c.node) for c in constraints}
    for triple in shapes:
        if triple[1] != SH.sparql or (triple[0], triple[2]) not in taken:
            core.add(triple)
    return SplitShapes(core, tuple(constraints))


def rewritable(shapes: Graph, shape: Node, node: Node) -> SparqlConstraint | None:
    """The constraint, ready to run once per graph, or None when pySHACL must run it."""
    if not _simple_shape(shapes, shape) or not _simple_constraint(shapes, node):
        return None
    text = str(shapes.value(node, SH.select))
    if _UNSAFE_WORDS.search(text) or len(_SELECT.findall(text)) != 1:
        return None
    prefixes = _prefixes(shapes, node)
    if prefixes is None:
        return None
    try:
        query = prepareQuery(text, initNs=prefixes)
    except Exception:  # any parse or translation error: leave it to pySHACL
        return None
    if not _binds_this_everywhere(query.algebra):
        return None
    severities = list(shapes.objects(shape, SH.severity))
    return SparqlConstraint(
        shape=shape,
        node=node,
        query=query,
        text="".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items())) + text,
        messages=tuple(shapes.objects(node, SH.message)),  # type: ignore[arg-type]
        severity=severities[0] if severities else SH.Violation,
        targets=Targets(
            frozenset(shapes.objects(shape, SH.targetNode)),
            frozenset(shapes.objects(shape, SH.targetClass)),
            frozenset(shapes.objects(shape, SH.targetSubjectsOf)),
            frozenset(shapes.objects(shape, SH.targetObjectsOf)),
        ),
    )


def _simple_shape(shapes: Graph, shape: Node) -> bool:
    """A node shape validated only through its own targets, with nothing pySHACL adds.

    A shape's own sh:message would be added to every result, and its severity must
    be one.
    """
    return (
        only_through_targets(shapes, shape)
        and (shape, SH.path, None) not in shapes
        and (shape, SH.message, None) not in shapes
        and len(set(shapes.objects(shape, SH.severity))) <= 1
    )


def _simple_constraint(shapes: Graph, node: Node) -> bool:
    selects = list(shapes.objects(node, SH.select))
    messages = list(shapes.objects(node, SH.message))
    return (
        len(selects) == 1
        and isinstance(selects[0], Literal)
        and isinstance(selects[0].value, str)
        and bool(messages)  # without one pySHACL writes generic messages
        and all(isinstance(m, Literal) and isinstance(m.value, str) for m in messages)
        and next(shapes.objects(node, SH.deactivated), None) is None
    )


def _prefixes(shapes: Graph, node: Node) -> dict[str, str] | None:
    """The sh:declare'd prefixes of the constraint's sh:prefixes; None when they clash."""
    found: dict[str, str] = {}
    for holder in shapes.objects(node, SH.prefixes):
        for declaration in shapes.objects(holder, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                return None
            if found.setdefault(str(prefix), str(namespace)) != str(namespace):
                return None
    return found


def _binds_this_everywhere(algebra: Any) -> bool:
    """Only plain operators, `?this` projected and bound by a top-level triple pattern."""
    if algebra.name != "SelectQuery" or not _plain(algebra.p):
        return False
    project = algebra.p
    while project.name == "Distinct":
        project = project.p
    return project.name == "Project" and THIS in project.PV and _top_binds_this(project.p)


def _plain(part: Any) -> bool:
    if part.name not in _ALLOWED_PARTS:
        return False
    return all(_plain(part[key]) for key in ("p", "p1", "p2") if _is_part(part.get(key)))


def _top_binds_this(part: Any) -> bool:
    if part.name == "BGP":
        return any(THIS in triple for triple in part.triples)
    if part.name == "LeftJoin":  # the required side binds what every solution binds
        return _top_binds_this(part.p1)
    if part.name not in _BINDING_PARENTS:
        return False
    return any(_top_binds_this(part[key]) for key in ("p", "p1", "p2") if _is_part(part.get(key)))


def _is_part(value: Any) -> bool:
    return hasattr(value, "name") and hasattr(value, "get")


# -- evaluation and the report ------------------------------------------------------------

Row = tuple[Node, Node | None, Node, dict[str, Node]]  # this, path, value, other variables


class OxigraphCopy:
    """A graph copied into an in-memory Oxigraph store, and the way back to its own terms.

    Oxigraph answers the constraints' queries about ten times faster than rdflib's
    engine. Results are mapped back to the very rdflib terms of the data graph, so
    the report names the focus nodes and values that pySHACL would name.
    """

    def __init__(self, data: Graph) -> None:
        self.store = ox.Store()
        self._back: dict[Any, Node] = {}
        self.store.extend(
            ox.Quad(self._to_oxigraph(s), self._to_oxigraph(p), self._to_oxigraph(o))
            for s, p, o in data
        )

    def _to_oxigraph(self, node: Node) -> Any:
        term: Any
        if isinstance(node, URIRef):
            term = ox.NamedNode(str(node))
        elif isinstance(node, BNode):
            term = ox.BlankNode(str(node))
        elif isinstance(node, Literal) and node.language:
            term = ox.Literal(str(node), language=node.language)
        elif isinstance(node, Literal):
            term = ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD.string)))
        else:
            raise TypeError(f"not an RDF term: {node!r}")
        self._back.setdefault(term, node)
        return term

    def to_rdflib(self, term: Any) -> Node:
        """The data graph's own term, or for a computed value its rdflib equivalent."""
        if term in self._back:
            return self._back[term]
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == str(XSD.string) else datatype)


def rows(constraint: SparqlConstraint, data: Graph, copy: OxigraphCopy) -> Iterator[Row]:
    """The constraint's results on `data`, as pySHACL's per-focus-node loop yields them.

    pySHACL drops a row equal to an earlier one for the same focus node, and uses
    the focus node as the value when the query leaves ?value unbound.
    """
    focus = constraint.targets.focus_nodes(data)
    seen: set[tuple[Node, Node | None, Node | None, tuple[tuple[str, Node], ...]]] = set()
    solutions = copy.store.query(constraint.text)
    assert isinstance(solutions, ox.QuerySolutions)  # `rewritable` admits SELECT only
    names = [variable.value for variable in solutions.variables]
    for solution in solutions:
        bound = {n: copy.to_rdflib(solution[n]) for n in names if solution[n] is not None}
        this = bound.pop("this", None)
        if this is None or this not in focus:
            continue
        path, value = bound.pop("path", None), bound.pop("value", None)
        key = (this, path, value, tuple(sorted(bound.items())))
        if key in seen:
            continue
        seen.add(key)
        yield this, path, this if value is None else value, bound


def message(text: str, row: Row) -> str:
    """`{?var}` / `{$var}` replaced by the value's string, as pySHACL replaces them."""
    this, path, value, others = row
    values: dict[str, Node] = dict(others)
    values["this"] = this
    if path is not None:
        values["path"] = path
    values["value"] = value
    for name, term in values.items():
        # The term as a replacement string, backslashes and all, exactly as pySHACL does.
        text = re.sub(f"{{[?$]{name}}}", str(term), text)
    return text


def add_results(
    report: Graph, shapes: Graph, data: Graph, constraints: Iterable[SparqlConstraint]
) -> bool:
    """Add each constraint's results to pySHACL's `report`; true when none makes it fail."""
    root = report.value(None, RDF.type, SH.ValidationReport)
    assert root is not None  # pySHACL always writes one
    clones: dict[tuple[int, Node], Node] = {}

    def term(source: Graph, node: Node) -> Node:
        if not isinstance(node, BNode):
            return node
        key = (id(source), node)
        if key not in clones:
            clones[key] = clone_blank_node(source, node, report, keepid=True)
        return clones[key]

    conforms = True
    copy = OxigraphCopy(data)
    for constraint in constraints:
        for row in rows(constraint, data, copy):
            conforms = conforms and constraint.severity in ALLOWED_SEVERITIES
            result = BNode()
            report.add((root, SH.result, result))
            for predicate, obj in _result_triples(constraint, row):
                source = data if predicate in (SH.focusNode, SH.value) else shapes
                report.add((result, predicate, term(source, obj)))
    return conforms


def _result_triples(constraint: SparqlConstraint, row: Row) -> Iterator[tuple[URIRef, Node]]:
    this, path, value, _ = row
    yield RDF.type, SH.ValidationResult
    yield SH.sourceConstraintComponent, SH.SPARQLConstraintComponent
    yield SH.sourceShape, constraint.shape
    yield SH.resultSeverity, constraint.severity
    yield SH.focusNode, this
    yield SH.value, value
    if path is not None:
        yield SH.resultPath, path
    yield SH.sourceConstraint, constraint.node
    for text in constraint.messages:
        yield SH.resultMessage, Literal(message(str(text.value), row))
