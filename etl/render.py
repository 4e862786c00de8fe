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


# Rows a table shows unless told otherwise: past a screenful or two a table is not read,
# and Rich lays out every row it is given (minutes for the 200,000 rows of a listing on
# a large store). The rest are counted, and csv, tsv and json write them all.
TABLE_ROWS = 1_000


def render_result(
    result: Any,
    fmt: str,
    console: Console,
    hide: set[str] | None = None,
    table_rows: int = TABLE_ROWS,
) -> None:
    """Print `result` (Oxigraph's answer) to `console` in `fmt`; a table shows at most
    `table_rows` rows (0: all)."""
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
        if not table_rows or rows < table_rows:
            table.add_row(*(short(solution[name]) for name in names))
        rows += 1
    console.print(table)
    if table_rows and rows > table_rows:
        console.print(
            f"{rows:,} row(s), the first {table_rows:,} shown: --max-rows N shows more "
            "(0: all), -f csv or -f json writes every row",
            style="dim",
        )
    else:
        console.print(f"{rows:,} row(s)", style="dim")
