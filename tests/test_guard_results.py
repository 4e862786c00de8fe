"""The request checks and result formats of the endpoint, without a server."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from etl.errors import QueryError, RefusedError
from etl.guard import check_query, check_update
from etl.queries import named_queries
from etl.results import Formats, NotAcceptable, negotiate, serialise


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_passes_the_check(name):
    named = named_queries()[name]
    assert check_query(named.text) == named.form


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
        "select * { Service\tSILENT ?endpoint { ?s ?p ?o } }",
        "ASK { OPTIONAL { GRAPH ?g { SERVICE <http://x/> { ?s ?p ?o } } } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <http://x/> { } } }",
    ],
)
def test_service_is_found_wherever_it_is(query):
    with pytest.raises(RefusedError, match="SERVICE"):
        check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?s ?p "SERVICE <http://x/> { }" }',
        "PREFIX service: <http://x/> SELECT ?service { ?service service:load ?o }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x/> { }",
    ],
)
def test_the_word_alone_is_allowed(query):
    assert check_query(query) == "SELECT"


@pytest.mark.parametrize("text", ["LOAD <http://x/>", "DROP ALL", "insert data { <a:b> <a:c> 1 }"])
def test_updates_sent_as_queries_are_refused(text):
    with pytest.raises(RefusedError, match="read-only"):
        check_query(text)


def test_load_is_refused_even_where_updates_are_allowed():
    check_update("INSERT DATA { <a:b> <a:c> 1 }")
    with pytest.raises(RefusedError, match="LOAD"):
        check_update("INSERT DATA { <a:b> <a:c> 1 } ; LOAD <http://x/> INTO GRAPH <a:g>")


def test_a_syntax_error_names_line_and_column():
    with pytest.raises(QueryError, match="line 2, column"):
        check_query("SELECT *\nWHERE { ?s ?p }")


@pytest.mark.parametrize(
    ("accept", "names", "expected"),
    [
        (None, None, Formats("json", "turtle")),
        ("text/csv", None, Formats("csv", None)),
        ("text/csv;q=0.5, application/sparql-results+xml", None, Formats("xml", None)),
        ("application/json", None, Formats("json", "jsonld")),
        ("text/turtle;q=0.9, */*;q=0.1", None, Formats("json", "turtle")),
        ("image/png", None, Formats(None, None)),
        ("text/csv", ["json", "application/sparql-results+json"], Formats("json", "jsonld")),
        ("application/rdf+xml", ["xml"], Formats("xml", "rdfxml")),
    ],
)
def test_negotiation(accept, names, expected):
    assert negotiate(accept, names) == expected


@pytest.mark.parametrize("accept", ["json", "text/csv;q=2", "text/csv;q=x", "a b/c"])
def test_a_malformed_accept_header_is_an_error(accept):
    with pytest.raises(QueryError, match="malformed Accept"):
        negotiate(accept, None)


def tricky_store() -> Store:
    store = Store()
    subject = NamedNode("http://example.org/s")
    values = [
        Literal('two\nlines, a "quote",\ta tab', language="en"),
        Literal("5", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        BlankNode("b1"),
        NamedNode("http://example.org/o?x=1&y=%3C2%3E"),
    ]
    for index, value in enumerate(values):
        store.add(Quad(subject, NamedNode(f"http://example.org/p{index}"), value))
    return store


def test_capped_answers_keep_every_term_intact():
    store = tricky_store()
    query = "SELECT ?p ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?p"
    answer = serialise(store.query(query), Formats("json", None), max_rows=10)
    data = json.loads(answer.body)
    assert not answer.truncated and data["head"]["vars"] == ["p", "o", "missing"]
    objects = [row["o"] for row in data["results"]["bindings"]]
    assert objects[0] == {
        "type": "literal",
        "value": 'two\nlines, a "quote",\ta tab',
        "xml:lang": "en",
    }
    assert objects[1]["datatype"].endswith("#integer")
    assert (
        objects[2]["type"] == "bnode"
        and objects[3]["value"] == "http://example.org/o?x=1&y=%3C2%3E"
    )
    assert all("missing" not in row for row in data["results"]["bindings"])


def test_the_cap_cuts_rows_and_triples():
    store = tricky_store()
    answer = serialise(store.query("SELECT * { ?s ?p ?o }"), Formats("csv", None), max_rows=2)
    assert answer.truncated and answer.body.count(b"http://example.org/s") == 2
    graph = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    answer = serialise(graph, Formats(None, "ntriples"), max_rows=3)
    assert answer.truncated and answer.body.count(b"\n") == 3
    with pytest.raises(NotAcceptable):
        serialise(store.query("ASK { ?s ?p ?o }"), Formats(None, "turtle"), max_rows=3)
