"""`ckg serve` queried by real clients over HTTP: SPARQLWrapper, httpx, a raw socket.

One read-only server (the `server` fixture, 2 workers, 3 s time limit, 500 rows)
serves most tests; a second one with a single worker and updates allowed covers
the busy and update paths on a copy of the store.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph
import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from etl.errors import StoreError
from etl.queries import named_queries, run_query
from etl.server import make_app

from .conftest import RunningServer

PREFIXES = """PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
ARTICLES = PREFIXES + "SELECT ?id WHERE { ?a a ckg:Article ; dcterms:identifier ?id } ORDER BY ?id"
ARTICLE_GRAPH = PREFIXES + (
    "CONSTRUCT { ?a dcterms:identifier ?id } WHERE { ?a a ckg:Article ; dcterms:identifier ?id }"
)
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def local_store(examples_run):
    out, _ = examples_run
    return pyoxigraph.Store.read_only(str(out / "store"))


@pytest.fixture(scope="module")
def article_ids(local_store):
    return [row["id"].value for row in local_store.query(ARTICLES, use_default_graph_as_union=True)]


@pytest.fixture(scope="module")
def guarded(examples_run, tmp_path_factory):
    """One worker, a short wait for it, updates allowed with a token, on a copy of the store."""
    out, _ = examples_run
    copy = tmp_path_factory.mktemp("guarded") / "store"
    shutil.copytree(out / "store", copy)
    running = RunningServer(
        copy,
        "--workers",
        "1",
        "--queue-wait",
        "0.3",
        "--timeout",
        "3",
        "--allow-update",
        "--update-token",
        "s3cret",
    )
    yield running
    running.stop()


def client(server, fmt, method=None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(POST)
        sparql.setRequestMethod(method)
    return sparql


def assert_clean_error(response: httpx.Response, status: int) -> None:
    """A short message for people: no trace, no file path."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and ".py" not in response.text
    assert "/tmp" not in response.text and "/home" not in response.text
    assert response.text.strip()


# ---- formats, with SPARQLWrapper ------------------------------------------------------


@pytest.mark.parametrize("method", [None, "urlencoded", POSTDIRECTLY])
def test_select_as_json_by_every_request_method(server, article_ids, method):
    sparql = client(server, JSON, method)
    sparql.setQuery(ARTICLES)
    data = sparql.query().convert()
    assert [row["id"]["value"] for row in data["results"]["bindings"]] == article_ids


def test_select_as_xml(server, article_ids):
    sparql = client(server, XML)
    sparql.setQuery(ARTICLES)
    document = sparql.query().convert()  # a minidom Document
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == article_ids


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_select_as_csv_and_tsv(server, article_ids, fmt, delimiter):
    sparql = client(server, fmt)
    sparql.setQuery(ARTICLES)
    text = sparql.query().convert().decode("utf-8")
    quoting = csv.QUOTE_MINIMAL if fmt == CSV else csv.QUOTE_NONE  # TSV cells are RDF terms
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, quoting=quoting))
    assert rows[0] == (["id"] if fmt == CSV else ["?id"])
    values = [row[0] for row in rows[1:]]
    expected = article_ids if fmt == CSV else [json.dumps(i) for i in article_ids]
    assert values == expected


def test_ask(server):
    sparql = client(server, JSON)
    sparql.setQuery(PREFIXES + "ASK { ?a a ckg:Article }")
    assert sparql.query().convert()["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, XML, JSONLD, N3])
def test_construct_in_every_rdf_format(server, local_store, fmt):
    sparql = client(server, fmt)
    sparql.setQuery(ARTICLE_GRAPH)
    result = sparql.query().convert()
    if not isinstance(result, rdflib.Graph):  # Turtle, N3 and JSON-LD arrive as bytes
        rdf_format = {TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[fmt]
        result = rdflib.Graph().parse(data=result, format=rdf_format)
    expected = {
        (triple.subject.value, triple.object.value)
        for triple in local_store.query(ARTICLE_GRAPH, use_default_graph_as_union=True)
    }
    assert {(str(s), str(o)) for s, _, o in result} == expected
    assert len(expected) >= 3


def test_syntax_error_is_a_readable_400(server):
    sparql = client(server, JSON)
    sparql.setQuery("SELECT ?x WHERE { ?x ?y }")
    with pytest.raises(QueryBadFormed):
        sparql.query()
    response = httpx.get(server.url + "/sparql", params={"query": "SELEC ?x WHERE {}"})
    assert_clean_error(response, 400)
    assert "syntax error at line 1, column 1" in response.text


def test_service_description_on_a_plain_get(server):
    response = httpx.get(server.url + "/sparql")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/turtle"
    )
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    services = list(graph.subjects(rdflib.RDF.type, sd.Service))
    assert len(services) == 1
    assert graph.value(services[0], sd.endpoint) == rdflib.URIRef(server.url + "/sparql")
    assert (services[0], sd.supportedLanguage, sd.SPARQL11Update) not in graph


# ---- named queries by URL ---------------------------------------------------------------


def test_named_query_with_a_parameter_matches_the_library(server, local_store):
    response = httpx.get(
        server.url + "/queries/troop-figures",
        params={"subject": "korean"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    expected = list(run_query(local_store, named_queries()["troop-figures"], {"subject": "korean"}))
    assert len(rows) == len(expected) > 0
    assert {row["value"]["value"] for row in rows} == {str(s["value"].value) for s in expected}
    assert all(row["subject"]["value"] == "korean" for row in rows)


def test_named_query_download_link_and_catalogue(server):
    listing = httpx.get(server.url + "/queries").json()
    assert {entry["name"] for entry in listing} == set(named_queries())
    assert all(entry["description"] for entry in listing)
    response = httpx.get(server.url + "/queries/figure-evidence", params={"format": "ntriples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert len(rdflib.Graph().parse(data=response.text, format="nt")) > 0


def test_unknown_named_query_or_parameter(server):
    assert httpx.get(server.url + "/queries/nope").status_code == 404
    response = httpx.get(server.url + "/queries/troop-figures", params={"colour": "red"})
    assert_clean_error(response, 400)
    assert "no parameter colour" in response.text


# ---- hardening ------------------------------------------------------------------------


INJECTIONS = [
    '") } UNION { ?s ?p ?o } #',
    '" . } DELETE WHERE { ?s ?p ?o } #',
    "\\u0022) } UNION { ?q ?w ?e } #",
    'korean" } ; DROP ALL ; SELECT * { "',
    "}}}} SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_through_a_parameter_only_ever_matches_text(server, local_store, value):
    response = httpx.get(
        server.url + "/queries/troop-figures", params={"subject": value, "format": "json"}
    )
    assert response.status_code == 200, response.text
    # the value is a literal: no label contains it, so nothing matches, and the store is whole
    assert response.json()["results"]["bindings"] == []
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    answer = httpx.post(server.url + "/sparql", data={"query": count, "format": "json"})
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == len(local_store)


@pytest.mark.parametrize("value", ["> } ; DROP ALL #", "x> <y", '"quoted"'])
def test_injection_through_an_iri_parameter_is_a_400(server, value):
    response = httpx.get(server.url + "/queries/troop-figures", params={"measure": value})
    assert_clean_error(response, 400)
    assert "is not an IRI" in response.text


def test_a_literal_parameter_still_matches_its_text(server):
    response = httpx.get(
        server.url + "/queries/troop-figures", params={"subject": "KOREAN", "format": "json"}
    )
    assert response.json()["results"]["bindings"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {"update": "DROP ALL"}},
        {"content": "DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"data": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"data": {"query": "clear   ALL"}},
    ],
)
def test_updates_are_refused_when_read_only(server, local_store, request_kwargs):
    before = len(local_store)
    response = httpx.post(server.url + "/sparql", **request_kwargs)
    assert_clean_error(response, 403)
    assert httpx.post(server.url + "/update", data={"update": "DROP ALL"}).status_code == 403
    assert len(local_store) == before


def test_service_and_load_are_refused_and_never_call_out(server, guarded, listener):
    remote = f"<http://127.0.0.1:{listener.port}/sparql>"
    queries = [
        f"SELECT * WHERE {{ SERVICE {remote} {{ ?s ?p ?o }} }}",
        f"select * where {{ sErViCe   silent\n {remote} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {remote} {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE {remote} {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE {remote} {{ ?s ?p ?o }} }} }}",
    ]
    for query in queries:
        response = httpx.post(server.url + "/sparql", data={"query": query})
        assert_clean_error(response, 403)
        assert "SERVICE" in response.text
    loads = [f"LOAD {remote}", f"load silent {remote} into graph <urn:g>"]
    for load in loads:
        assert httpx.post(server.url + "/sparql", data={"query": load}).status_code == 403
        # even with updates allowed and the right token, LOAD stays refused
        response = httpx.post(
            guarded.url + "/update",
            data={"update": load},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert_clean_error(response, 403)
        assert "LOAD is refused" in response.text
    insert_from_service = f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE {remote} {{ ?s ?p ?o }} }}"
    response = httpx.post(
        guarded.url + "/update",
        data={"update": insert_from_service},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert response.status_code == 403
    time.sleep(0.5)
    assert listener.connections == 0


def test_the_word_service_inside_a_string_is_allowed(server):
    query = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/> { LOAD }" AS ?x) }'
    response = httpx.post(server.url + "/sparql", data={"query": query, "format": "json"})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


def test_a_runaway_query_is_stopped_while_others_are_served(server, article_ids):
    def run(query: str) -> tuple[int, float]:
        start = time.monotonic()
        response = httpx.post(server.url + "/sparql", data={"query": query}, timeout=30)
        return response.status_code, time.monotonic() - start

    with ThreadPoolExecutor(4) as pool:
        runaway = pool.submit(run, CARTESIAN)
        time.sleep(0.3)
        quick = [pool.submit(run, ARTICLES) for _ in range(6)]
        answers = [future.result() for future in quick]
        status, seconds = runaway.result()
    assert all(code == 200 and took < 2.5 for code, took in answers), answers
    assert status == 503 and 2.9 < seconds < 8
    # the stopped worker was replaced: two queries at once are both answered
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(run, [ARTICLES, ARTICLES]))
    assert [code for code, _ in again] == [200, 200]


def test_all_workers_busy_is_a_503(guarded):
    def runaway() -> int:
        return httpx.post(
            guarded.url + "/sparql", data={"query": CARTESIAN}, timeout=30
        ).status_code

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(runaway)
        time.sleep(0.5)
        response = httpx.post(guarded.url + "/sparql", data={"query": ARTICLES})
        assert_clean_error(response, 503)
        assert response.headers["retry-after"] == "1"
        assert slow.result() == 503
    deadline = time.monotonic() + 20  # the replacement worker starts
    while time.monotonic() < deadline:
        response = httpx.post(guarded.url + "/sparql", data={"query": ARTICLES})
        if response.status_code == 200:
            break
        time.sleep(0.3)
    assert response.status_code == 200


def test_rows_past_the_cap_are_cut_and_said_so(server, local_store):
    query = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert len(local_store) > 500
    response = httpx.post(server.url + "/sparql", data={"query": query, "format": "json"})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 500
    assert response.headers["x-ckg-truncated"] == "500"
    small = httpx.post(server.url + "/sparql", data={"query": ARTICLES, "format": "json"})
    assert "x-ckg-truncated" not in small.headers


def test_a_body_over_the_cap_is_a_413(server):
    padding = "#" + "x" * 25_000 + "\n"
    response = httpx.post(server.url + "/sparql", data={"query": padding + ARTICLES})
    assert_clean_error(response, 413)

    def chunks():  # no Content-Length: the cap must hold while reading
        for _ in range(30):
            yield b"#" + b"x" * 1000 + b"\n"

    response = httpx.post(
        server.url + "/sparql",
        content=chunks(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert_clean_error(response, 413)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Accept": "text"}, None, 400),
        ({"Accept": "application/json;q=high"}, None, 400),
        ({"Accept": "image/png"}, None, 406),
        ({"Content-Type": "application/sparql-query; charset=klingon"}, b"ASK {}", 415),
        ({"Content-Type": "application/sparql-query"}, b"ASK { \xff\xfe }", 400),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK%20%7B%FF%7D", 400),
        ({"Content-Type": "application/json"}, b'{"query": "ASK {}"}', 415),
        ({"Content-Type": "application/sparql-query", "Content-Encoding": "gzip"}, b"x", 415),
    ],
)
def test_malformed_requests_get_a_clear_4xx(server, headers, body, status):
    if body is None:
        response = httpx.get(server.url + "/sparql", params={"query": ARTICLES}, headers=headers)
    else:
        response = httpx.post(server.url + "/sparql", content=body, headers=headers)
    assert_clean_error(response, status)


def test_bad_percent_encoding_and_unknown_format(server):
    response = httpx.get(server.url + "/sparql?query=ASK%20%7B%C3%28%7D")
    assert_clean_error(response, 400)
    response = httpx.get(server.url + "/sparql", params={"query": ARTICLES, "format": "docx"})
    assert_clean_error(response, 400)
    assert "unknown format" in response.text


def test_cors_headers(server):
    origin = {"Origin": "https://yasgui.example.org"}
    preflight = httpx.options(
        server.url + "/sparql",
        headers=origin
        | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in {"*", origin["Origin"]}
    response = httpx.get(server.url + "/sparql", params={"query": ARTICLES}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-ckg-truncated" in response.headers["access-control-expose-headers"].lower()


def test_the_page_needs_nothing_from_the_internet(server):
    response = httpx.get(server.url + "/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert "<textarea" in html and "queries" in html
    assert not [ref for ref in ('src="http', 'href="http', "@import", "url(http") if ref in html]
    assert "default-src 'none'" in response.headers["content-security-policy"]


# ---- updates, when allowed ------------------------------------------------------------


def test_updates_need_the_token_and_are_then_seen(guarded):
    update = {"update": "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 'added' } }"}
    assert httpx.post(guarded.url + "/update", data=update).status_code == 401
    wrong = httpx.post(
        guarded.url + "/update", data=update, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403
    right = httpx.post(
        guarded.url + "/sparql", data=update, headers={"Authorization": "Bearer s3cret"}
    )
    assert right.status_code == 204, right.text
    ask = {"query": "ASK { GRAPH <urn:g> { <urn:a> <urn:b> 'added' } }", "format": "json"}
    deadline = time.monotonic() + 20  # readers are replaced to see the update
    while time.monotonic() < deadline:
        response = httpx.post(guarded.url + "/sparql", data=ask)
        if response.status_code == 200 and response.json()["boolean"]:
            break
        time.sleep(0.3)
    assert response.json()["boolean"] is True


def test_make_app_names_a_missing_store(tmp_path: Path):
    with pytest.raises(StoreError, match="no store at"):
        make_app(tmp_path / "missing")


def test_unknown_paths_and_methods_are_short_plain_errors(server):
    assert_clean_error(httpx.get(server.url + "/etc/passwd"), 404)
    assert_clean_error(httpx.put(server.url + "/sparql", content=b"x"), 405)
    assert_clean_error(httpx.get(server.url + "/queries/..%2F..%2Fsetup"), 404)
