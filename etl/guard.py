"""What the endpoint may run: a SPARQL request is parsed, never searched for keywords.

Oxigraph executes `SERVICE` by calling the named endpoint over HTTP and `LOAD`
by fetching the address, so a public endpoint must refuse both before the query
reaches the store. A substring test would refuse a literal "service" and miss
nothing clever; instead the text is parsed with rdflib's SPARQL grammar and the
parse tree is searched for service patterns and LOAD operations. A request the
grammar cannot read is refused with the parser's message, so nothing unchecked
is ever executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from .errors import QueryError, RefusedError

# The name rdflib's grammar gives each query form, and the form it stands for.
_FORMS = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
    "AskQuery": "ASK",
}
_FORBIDDEN = {
    "ServiceGraphPattern": "SERVICE (federated queries) is refused: this endpoint never calls out",
    "Load": "LOAD is refused: this endpoint never fetches data from the network",
}


def _nodes(node: Any) -> Iterator[CompValue]:
    """Every grammar node below `node`, depth first."""
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, ParseResults | list | tuple):
        for value in node:
            yield from _nodes(value)


def _refuse_forbidden(tree: Any) -> None:
    for node in _nodes(tree):
        if node.name in _FORBIDDEN:
            raise RefusedError(_FORBIDDEN[node.name])


def _syntax_message(exc: ParseException) -> str:
    return f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}"


@lru_cache(maxsize=256)
def check_query(text: str) -> str:
    """The form of a read-only query (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Raises RefusedError for an update, SERVICE or LOAD and QueryError for a
    syntax error. Cached because clients repeat the same texts.
    """
    try:
        tree = parseQuery(text)
    except ParseException as exc:
        if _is_update(text):
            raise RefusedError("updates are refused: this endpoint is read-only") from None
        raise QueryError(_syntax_message(exc)) from None
    _refuse_forbidden(tree)
    return next(_FORMS[node.name] for node in _nodes(tree) if node.name in _FORMS)


def check_update(text: str) -> None:
    """Raise unless `text` is an update without LOAD or SERVICE."""
    try:
        tree = parseUpdate(text)
    except ParseException as exc:
        raise QueryError(_syntax_message(exc)) from None
    _refuse_forbidden(tree)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True
