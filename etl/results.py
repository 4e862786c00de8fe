"""Result formats of the endpoint: content negotiation and capped serialisation.

SELECT and ASK answers are SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT and
DESCRIBE answers are RDF (Turtle, N-Triples, JSON-LD, RDF/XML). A client names
the format by `Accept` or, as SPARQLWrapper and download links do, by a
`format` (or `output`) parameter, which wins where it applies.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse_query_results,
    serialize,
)

from .errors import QueryError
from .export import PREFIX_MAP


class NotAcceptable(QueryError):
    """No format the client accepts can carry this kind of answer."""


@dataclass(frozen=True)
class Formats:
    """The chosen format for each kind of answer; None where the client accepts none."""

    solutions: str | None
    graph: str | None


SOLUTION_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
_SOLUTION_WRITERS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
_GRAPH_WRITERS = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}

# Media types clients send, as (solutions format, graph format).
_MEDIA_TYPES: dict[str, tuple[str | None, str | None]] = {
    "application/sparql-results+json": ("json", None),
    "application/json": ("json", "jsonld"),
    "text/javascript": ("json", None),
    "application/javascript": ("json", None),
    "application/sparql-results+xml": ("xml", None),
    "application/xml": ("xml", "rdfxml"),
    "text/xml": ("xml", "rdfxml"),
    "text/csv": ("csv", None),
    "text/tab-separated-values": ("tsv", None),
    "text/turtle": (None, "turtle"),
    "application/turtle": (None, "turtle"),
    "application/x-turtle": (None, "turtle"),
    "text/n3": (None, "turtle"),  # Turtle is a subset of N3
    "text/rdf+n3": (None, "turtle"),
    "application/n-triples": (None, "ntriples"),
    "text/plain": (None, "ntriples"),
    "application/ld+json": (None, "jsonld"),
    "application/x-json+ld": (None, "jsonld"),
    "application/rdf+xml": (None, "rdfxml"),
}
# Names of the `format` / `output` parameter (SPARQLWrapper's and common short names).
_FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "n3": (None, "turtle"),
    "nt": (None, "ntriples"),
    "ntriples": (None, "ntriples"),
    "json-ld": (None, "jsonld"),
    "jsonld": (None, "jsonld"),
    "rdf": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdfxml": (None, "rdfxml"),
} | {media: pair for media, pair in _MEDIA_TYPES.items()}
DEFAULT = Formats("json", "turtle")


def _accepted(header: str) -> list[tuple[float, str]]:
    """The media ranges of an Accept header with their weights, best first."""
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        kind, slash, subtype = media.partition("/")
        if not slash or not kind or not subtype or " " in media:
            raise QueryError(f"malformed Accept header: {media!r} is not a media range")
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    raise QueryError(f"malformed Accept header: q={value!r}") from None
                if not 0.0 <= weight <= 1.0:
                    raise QueryError(f"malformed Accept header: q={value!r} is not in [0, 1]")
        ranges.append((-weight, position, media.lower()))
    return [(-negative, media) for negative, _, media in sorted(ranges)]


def _from_accept(header: str) -> Formats:
    solutions: str | None = None
    graph: str | None = None
    for weight, media in _accepted(header):
        if weight <= 0:
            continue
        if media in {"*/*", "application/*", "text/*"}:
            solutions = solutions or DEFAULT.solutions
            graph = graph or DEFAULT.graph
        pair = _MEDIA_TYPES.get(media, (None, None))
        solutions = solutions or pair[0]
        graph = graph or pair[1]
    return Formats(solutions, graph)


def negotiate(accept: str | None, format_names: list[str] | None = None) -> Formats:
    """The formats to answer in: the first known `format` name, then `Accept`."""
    from_accept = _from_accept(accept) if accept and accept.strip() else DEFAULT
    if not format_names:
        return from_accept
    known = [_FORMAT_NAMES[name.lower()] for name in format_names if name.lower() in _FORMAT_NAMES]
    if not known:
        names = ", ".join(sorted(name for name in _FORMAT_NAMES if "/" not in name))
        raise QueryError(f"unknown format {format_names[0]!r}; use one of {names}")
    solutions = next((pair[0] for pair in known if pair[0]), from_accept.solutions)
    graph = next((pair[1] for pair in known if pair[1]), from_accept.graph)
    return Formats(solutions, graph)


@dataclass(frozen=True)
class Answer:
    """A serialised result: the bytes, their media type, and whether rows were left out."""

    media_type: str
    body: bytes
    truncated: bool = False


def _capped_solutions(result: QuerySolutions, max_rows: int) -> tuple[QuerySolutions, bool]:
    """The first `max_rows` solutions, as solutions again.

    Oxigraph serialises only whole result sets, so the kept rows are written as
    TSV (whose cells are N-Triples terms, so nothing is lost) and read back.
    """
    variables = result.variables
    rows = list(itertools.islice(result, max_rows + 1))
    truncated = len(rows) > max_rows
    lines = ["\t".join(str(variable) for variable in variables)]
    for row in rows[:max_rows]:
        lines.append("\t".join("" if row[v] is None else str(row[v]) for v in variables))
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    return parse_query_results(tsv, format=QueryResultsFormat.TSV), truncated  # type: ignore[return-value]


def _not_acceptable(kind: str, types: dict[str, str]) -> NotAcceptable:
    offered = ", ".join(types.values())
    return NotAcceptable(f"{kind} answers are available as {offered}")


def serialise(result: Any, formats: Formats, max_rows: int) -> Answer:
    """Oxigraph's answer in the negotiated format, cut after `max_rows` rows or triples."""
    if isinstance(result, QueryTriples):
        if formats.graph is None:
            raise _not_acceptable("CONSTRUCT and DESCRIBE", GRAPH_TYPES)
        triples = list(itertools.islice(result, max_rows + 1))
        data = serialize(
            triples[:max_rows], format=_GRAPH_WRITERS[formats.graph], prefixes=PREFIX_MAP
        )
        return Answer(GRAPH_TYPES[formats.graph], data or b"", len(triples) > max_rows)
    if formats.solutions is None:
        raise _not_acceptable("SELECT and ASK", SOLUTION_TYPES)
    writer = _SOLUTION_WRITERS[formats.solutions]
    media_type = SOLUTION_TYPES[formats.solutions]
    if isinstance(result, QueryBoolean):
        return Answer(media_type, result.serialize(format=writer) or b"")
    capped, truncated = _capped_solutions(result, max_rows)
    return Answer(media_type, capped.serialize(format=writer) or b"", truncated)
