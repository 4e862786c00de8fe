"""Query results as a table, CSV, TSV, SPARQL JSON or Turtle, for the CLI."""

from __future__ import annotations

from typing import Any

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    serialize,
)
from rich.console import Console
from rich.table import Table

from .errors import QueryError
from .export import PREFIX_MAP

_RESULT_FORMATS = {
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
}


def short(term: Any) -> str:
    """A term as a person reads it: literals by value, IRIs shortened by known prefixes."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, NamedNode):
        for prefix, namespace in PREFIX_MAP.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    return str(term)


def render_result(result: Any, fmt: str, console: Console, hide: set[str] | None = None) -> None:
    """Print `result` (Oxigraph's answer) to `console` in `fmt`."""
    if isinstance(result, QueryBoolean):
        console.print("true" if bool(result) else "false")
        return
    if isinstance(result, QueryTriples):
        if fmt not in {"ttl", "table"}:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result is written as ttl, not {fmt!r}")
        data = serialize(result, format=RdfFormat.TURTLE, prefixes=PREFIX_MAP) or b""
        console.file.write(data.decode("utf-8"))
        return
    assert isinstance(result, QuerySolutions)
    if fmt in _RESULT_FORMATS:
        data = result.serialize(format=_RESULT_FORMATS[fmt]) or b""
        console.file.write(data.decode("utf-8"))
        return
    if fmt != "table":
        raise QueryError(f"unknown format {fmt!r}: use table, csv, tsv, json or ttl")
    # Parameters are echoed as columns by the named queries; the table leaves them out.
    names = [v.value for v in result.variables if v.value not in (hide or set())]
    table = Table(show_lines=False)
    for name in names:
        table.add_column(name, overflow="fold")
    rows = 0
    for solution in result:
        table.add_row(*(short(solution[name]) for name in names))
        rows += 1
    console.print(table)
    console.print(f"{rows} row(s)", style="dim")
