"""Shapes rewritten so that pySHACL checks each once per graph, where the results allow.

Two rewrites: property shapes given their node shape's targets (`with_own_targets`,
the same results), and referenced node shapes given targets instead of `sh:node`
(`with_references_as_targets`, a quick test whose pass is final; see there).

pySHACL validates a property shape reached through `sh:property` once for every
focus node of its node shape, and every call repeats the same set-up (finding
the shape's constraint components, then its value nodes for one node). An
article has hundreds of mentions, sentences and spans, so that set-up was more
than half of its validation time. A property shape with targets of its own is
validated once, for all its focus nodes together.

SHACL gives both forms the same results: a property shape's results name it as
their source shape, with its own severity, however it was reached. The move is
made only where pySHACL could tell them apart in nothing else:

- the node shape is a plain `sh:NodeShape` with explicit targets (no implicit
  class target, no SPARQL-based `sh:target`), and no shape refers to it, so it
  is validated through its targets only;
- it is not deactivated, which would silence its property shapes too;
- its severity is `sh:Violation`: with warnings allowed, pySHACL lets a node
  shape of warning severity excuse the violations of its property shapes;
- the property shape has an `sh:path` (without one pySHACL stops with an error
  where it is nested, and would take it for a node shape once it had targets).

Two differences remain in the report. pySHACL copies the triples of a blank-node
source shape into it, and those now include the targets the shape was given. And
a node that two such node shapes target, through a property shape they share,
gets that shape's results once instead of twice (the graphs written here type no
node so).
"""

from __future__ import annotations

from rdflib import RDF, Graph
from rdflib.namespace import SH
from rdflib.term import Node, URIRef

TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def with_own_targets(shapes: Graph) -> Graph:
    """A copy of `shapes` where each movable node shape's property shapes carry its targets."""
    moved = Graph()
    moved.namespace_manager = shapes.namespace_manager
    for triple in shapes:
        moved.add(triple)
    for node_shape in set(shapes.subjects(SH.property, None)):
        targets = [(p, o) for p in TARGET_PREDICATES for o in shapes.objects(node_shape, p)]
        # a node shape of warning severity would excuse its property shapes' violations
        violation = set(shapes.objects(node_shape, SH.severity)) <= {SH.Violation}
        if not targets or not violation or not only_through_targets(shapes, node_shape):
            continue
        for property_shape in shapes.objects(node_shape, SH.property):
            if (property_shape, SH.path, None) not in shapes:
                continue
            for predicate, target in targets:
                moved.add((property_shape, predicate, target))
            moved.remove((node_shape, SH.property, property_shape))
    return moved


def only_through_targets(shapes: Graph, node_shape: Node) -> bool:
    """True when pySHACL validates the node shape through its own explicit targets alone.

    A shape another shape refers to (sh:node, sh:property, sh:or...) is also validated
    for that shape's value nodes; an implicit class target, a SPARQL-based sh:target
    and sh:deactivated are pySHACL's to handle.
    """
    return (
        set(shapes.objects(node_shape, RDF.type)) == {SH.NodeShape}
        and next(shapes.subjects(None, node_shape), None) is None
        and (node_shape, SH.target, None) not in shapes
        and (node_shape, SH.deactivated, None) not in shapes
    )


def with_references_as_targets(shapes: Graph) -> Graph:
    """A copy of `shapes` that checks each node a property shape refers to once: a quick test.

    `sh:node N` on a property shape whose path is a predicate `p` makes pySHACL validate N
    again for every value of every focus node: an article refers to about 38 entities,
    through about 130 mentions and facts. Here the `sh:node` is dropped and N is given
    the target `sh:targetObjectsOf p` instead, so it is validated once for each node that
    is an object of `p`, a superset of the values the property shape would check.

    The results are not those of `shapes`, and are not meant to be: if a graph has no
    result at all with these shapes, every object of every such `p` conforms to its N, so
    every dropped `sh:node` would have passed, and `shapes` give no result either (the
    rest of the shapes is the same). A graph with any result must be validated with
    `shapes` for its report (see `etl.validate.validate_graph`).
    """
    quick = Graph()
    quick.namespace_manager = shapes.namespace_manager
    for triple in shapes:
        quick.add(triple)
    for property_shape, node_shape in shapes.subject_objects(SH.node):
        path = shapes.value(property_shape, SH.path)
        if not isinstance(path, URIRef):  # a node shape's own sh:node, or a longer path
            continue
        quick.remove((property_shape, SH.node, node_shape))
        quick.add((node_shape, SH.targetObjectsOf, path))
    return quick
