"""Named SPARQL queries: `queries/*.rq`, each with a header comment.

    # title: Troop figures per source
    # description: What the query answers; may continue on lines
    #   that start with "#   ".
    # param subject: what the parameter means (default: "")

Parameters are bound as RDF terms through Oxigraph's substitutions (SEP-0007),
never pasted into the query text, so a value can only ever match data. Each
file is read and checked once per process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, Store, Variable

from .errors import QueryError, ResourceError
from .resources import query_files

CKG = "https://w3id.org/conflict-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_PARAM = re.compile(
    r"^param\s+(?P<name>\w+)\s*:\s*(?P<text>.*?)\s*\(default:\s*(?P<default>.+)\)\s*$"
)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    default: str  # a SPARQL term as written in the header

    @property
    def kind(self) -> str:
        if self.default.startswith("<"):
            return "iri"
        if self.default.startswith('"'):
            return "string"
        return "number"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE."""
        body = re.sub(r"#[^\n]*", "", self.text)
        match = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
        return match.group(1).upper() if match else "SELECT"


def parse_header(path: Path, text: str) -> tuple[str, str, tuple[Parameter, ...]]:
    fields: dict[str, str] = {}
    parameters: list[Parameter] = []
    last: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if param := _PARAM.match(body):
            parameters.append(Parameter(param["name"], param["text"], param["default"].strip()))
            last = None
        elif (key := body.split(":", 1)[0]) in {"title", "description"} and ":" in body:
            fields[key] = body.split(":", 1)[1].strip()
            last = key
        elif last and line.startswith("#   "):
            fields[last] += " " + body
    if "title" not in fields or "description" not in fields:
        raise ResourceError(f"{path}: the header needs '# title:' and '# description:' lines")
    return fields["title"], fields["description"], tuple(parameters)


def load_query(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read the query: {exc.strerror}") from None
    title, description, parameters = parse_header(path, text)
    return NamedQuery(path.stem, title, description, parameters, text, path)


@cache
def named_queries() -> dict[str, NamedQuery]:
    """Every packaged query by name."""
    return {path.stem: load_query(path) for path in query_files()}


def resolve_query(name_or_file_or_text: str) -> NamedQuery:
    """A packaged query by name, a .rq file, or SPARQL text given inline."""
    queries = named_queries()
    if name_or_file_or_text in queries:
        return queries[name_or_file_or_text]
    candidate = Path(name_or_file_or_text)
    if candidate.suffix in {".rq", ".sparql"}:
        if not candidate.is_file():
            raise QueryError(f"{candidate}: no such query file")
        text = candidate.read_text(encoding="utf-8")
        try:
            return load_query(candidate)
        except ResourceError:
            return NamedQuery(candidate.stem, candidate.stem, "", (), text, candidate)
    if re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", name_or_file_or_text, re.IGNORECASE):
        return NamedQuery("inline", "inline query", "", (), name_or_file_or_text, Path("-"))
    known = ", ".join(sorted(queries))
    raise QueryError(f"unknown query {name_or_file_or_text!r}; named queries: {known}")


def _term(parameter: Parameter, value: str) -> NamedNode | Literal:
    """A user's value as the RDF term the parameter expects."""
    kind = parameter.kind
    if kind == "iri":
        iri = value.strip().removeprefix("<").removesuffix(">")
        if iri.startswith("ckg:"):
            iri = CKG + iri[4:]
        elif re.fullmatch(r"[A-Za-z][\w-]*", iri):
            iri = CKG + iri  # a bare local name of the ontology, e.g. TroopCount
        if not re.fullmatch(r"[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]*", iri, re.IGNORECASE):
            raise QueryError(f"parameter {parameter.name}: {value!r} is not an IRI")
        return NamedNode(iri)
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise QueryError(f"parameter {parameter.name}: {value!r} is not a number") from None
        if number == number.to_integral_value() and "." not in value:
            return Literal(str(int(number)), datatype=NamedNode(XSD + "integer"))
        return Literal(str(number), datatype=NamedNode(XSD + "decimal"))
    return Literal(value)


def _default(parameter: Parameter) -> str:
    default = parameter.default
    if parameter.kind == "string":
        return default[1:-1] if len(default) >= 2 else ""
    return default


def bindings(query: NamedQuery, values: Mapping[str, str]) -> dict[Variable, Any]:
    """Substitutions for every declared parameter: the given value, else the default."""
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)} (parameters: {allowed})"
        )
    return {
        Variable(name): _term(parameter, values.get(name, _default(parameter)))
        for name, parameter in declared.items()
    }


def run_query(store: Store, query: NamedQuery, values: Mapping[str, str] | None = None) -> Any:
    """Oxigraph's answer: QuerySolutions, QueryBoolean or QueryTriples."""
    try:
        return store.query(
            query.text,
            use_default_graph_as_union=True,
            substitutions=bindings(query, values or {}) or None,
        )
    except SyntaxError as exc:
        raise QueryError(f"{query.path}: SPARQL syntax error: {exc}") from None
    except (OSError, RuntimeError) as exc:
        raise QueryError(f"query {query.name!r} failed: {exc}") from None
