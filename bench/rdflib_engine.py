"""rdflib's SPARQL engine on a run's data, as row 5 of the benchmarks compares it with Oxigraph.

Two bugs of rdflib's engine (7.x) stop it on valid SPARQL that the named queries
use. While a query runs here they are patched, so that both engines answer the
same questions and their rows can be compared:

- `ORDER BY` an expression that has no value in a solution (`STR(?x)` where an
  OPTIONAL left `?x` unbound) raises `TypeError`: rdflib's sort key is `None`
  there. SPARQL 1.1 (15.1) orders "no value" lowest, which the patch does.
- An aggregate with `DISTINCT` over a variable some solutions leave unbound
  (`GROUP_CONCAT(DISTINCT ?x)`) raises `NotBoundError` (rdflib issue #882);
  without `DISTINCT` rdflib already skips those solutions, and so does the patch.

The patches change how solutions are sorted and which ones an aggregate reads,
not how they are found, so the time measured is rdflib's own.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rdflib import Dataset, Literal, URIRef
from rdflib.plugins.sparql import aggregates, evaluate
from rdflib.plugins.sparql.sparql import NotBoundError

from etl.queries import NamedQuery, bindings

NO_VALUE_KEY = (-1, "")  # sorts before rdflib's keys, which start at 0


def load_dataset(trig: Path) -> Dataset:
    """A run's graph.trig in an rdflib Dataset whose default graph is the union, as in Oxigraph."""
    dataset = Dataset(default_union=True)
    dataset.parse(trig, format="trig")
    return dataset


def initial_bindings(query: NamedQuery, values: Mapping[str, str]) -> dict[str, Any]:
    """The parameters Oxigraph substitutes, as rdflib's `initBindings`."""
    init: dict[str, Any] = {}
    for variable, term in bindings(query, values).items():
        if hasattr(term, "datatype"):
            init[variable.value] = Literal(term.value, datatype=URIRef(term.datatype.value))
        else:
            init[variable.value] = URIRef(term.value)
    return init


@contextmanager
def sparql_fixes() -> Iterator[None]:
    """rdflib's engine with the two fixes of this module's docstring, undone on leaving."""
    sort_key, use_row = evaluate._val, aggregates.Accumulator.use_row

    def total_sort_key(value: Any) -> Any:
        key = sort_key(value)
        return NO_VALUE_KEY if key is None else key

    def unbound_skipped(self: aggregates.Accumulator, row: Any) -> bool:
        try:
            return bool(use_row(self, row))
        except NotBoundError:
            return False

    evaluate._val = total_sort_key  # type: ignore[assignment]
    aggregates.Accumulator.use_row = unbound_skipped  # type: ignore[method-assign]
    try:
        yield
    finally:
        evaluate._val = sort_key
        aggregates.Accumulator.use_row = use_row  # type: ignore[method-assign]


def answer(
    dataset: Dataset, query: NamedQuery, values: Mapping[str, str] | None = None
) -> list[tuple[str, ...]]:
    """rdflib's rows for a named query, each a tuple of lexical values ("" where unbound)."""
    with sparql_fixes(), warnings.catch_warnings():
        # rdflib's engine calls its own deprecated Dataset.default_context on every pattern
        warnings.filterwarnings("ignore", "Dataset.default_context", DeprecationWarning)
        result = dataset.query(query.text, initBindings=initial_bindings(query, values or {}))
        # every named query is a SELECT or a CONSTRUCT: rows or triples, never a boolean
        return [tuple("" if term is None else str(term) for term in row) for row in result]  # type: ignore[union-attr]


def oxigraph_rows(solutions: Iterable[Any]) -> Iterator[tuple[str, ...]]:
    """Oxigraph's QuerySolutions (or triples) in the form of `answer`, one at a time."""
    return (tuple("" if term is None else term.value for term in row) for row in solutions)


def rows_digest(rows: Iterable[tuple[str, ...]]) -> str:
    """A digest of the rows in any order, so two engines that break ties differently agree.

    The sum of each row's hash: the same rows give the same sum whatever their order,
    and millions of them are digested one at a time instead of sorted in memory.
    """
    total = 0
    for row in rows:
        row_hash = hashlib.sha256("\x1f".join(row).encode("utf-8")).digest()
        total = (total + int.from_bytes(row_hash[:8], "big")) % 2**64
    return f"{total:016x}"
