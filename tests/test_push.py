"""`ckg push` into a real Oxigraph server, twice; retries and count checks with a mock transport."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph
import pytest
from typer.testing import CliRunner

from etl.cli import app
from etl.errors import PushError
from etl.push import push_store, target

from .conftest import free_port

runner = CliRunner()
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).is_file():
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    return found


@pytest.fixture
def oxigraph_server(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(tmp_path / "target"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=2)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


def remote(url: str, query: str) -> list[dict]:
    response = httpx.post(
        url + "/query", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    return response.json()["results"]["bindings"]


def local_counts(store_dir: Path) -> dict[str, int]:
    store = pyoxigraph.Store.read_only(str(store_dir))
    return {row["g"].value: int(row["n"].value) for row in store.query(COUNTS)}


def test_push_twice_leaves_every_graph_once_with_its_count(examples_run, oxigraph_server):
    out, _ = examples_run
    expected = local_counts(out / "store")
    assert len(expected) >= 3
    for _ in range(2):
        result = runner.invoke(
            app,
            ["push", "--endpoint", oxigraph_server + "/store", "--store", str(out / "store")],
        )
        assert result.exit_code == 0, result.output
        assert f"pushed {len(expected)} graph(s)" in result.output
    rows = remote(oxigraph_server, COUNTS)
    assert {row["g"]["value"]: int(row["n"]["value"]) for row in rows} == expected
    total = remote(oxigraph_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(total[0]["n"]["value"]) == sum(expected.values())


def test_push_union_into_the_default_graph(examples_run, oxigraph_server):
    out, _ = examples_run
    store = pyoxigraph.Store.read_only(str(out / "store"))
    distinct = {(q.subject, q.predicate, q.object) for q in store}
    for _ in range(2):
        result = runner.invoke(
            app,
            [
                "push",
                "--union",
                "--endpoint",
                oxigraph_server + "/store",
                "--store",
                str(out / "store"),
            ],
        )
        assert result.exit_code == 0, result.output
    rows = remote(oxigraph_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(rows[0]["n"]["value"]) == len(distinct)
    assert remote(oxigraph_server, COUNTS) == []


def test_unreachable_endpoint_is_a_clear_error(examples_run):
    out, _ = examples_run
    result = runner.invoke(
        app,
        [
            "push",
            "--endpoint",
            f"http://127.0.0.1:{free_port()}/store",
            "--retries",
            "1",
            "--store",
            str(out / "store"),
        ],
    )
    assert result.exit_code == 2
    assert "cannot reach" in result.output and "gave up after 2 attempts" in result.output


def small_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for graph in ("urn:g1", "urn:g2"):
        store.add(
            pyoxigraph.Quad(
                pyoxigraph.NamedNode("urn:s"),
                pyoxigraph.NamedNode("urn:p"),
                pyoxigraph.Literal(graph),
                pyoxigraph.NamedNode(graph),
            )
        )
    return store


def counts_reply(counts: dict[str, int]) -> httpx.Response:
    bindings = [
        {"g": {"type": "uri", "value": g}, "n": {"type": "literal", "value": str(n)}}
        for g, n in counts.items()
    ]
    return httpx.Response(
        200, json={"head": {"vars": ["g", "n"]}, "results": {"bindings": bindings}}
    )


def test_transient_errors_are_retried_and_auth_is_sent(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    seen: list[httpx.Request] = []
    failures = iter([503, 502])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "PUT":
            return httpx.Response(next(failures, 204))
        return counts_reply({"urn:g1": 1, "urn:g2": 1})

    where = target("http://store.invalid/store", token="t0ken")
    report = push_store(small_store(), where, transport=httpx.MockTransport(handler))
    assert report.retries == 2 and report.graphs == {"urn:g1": 1, "urn:g2": 1}
    puts = [r for r in seen if r.method == "PUT"]
    assert [r.url.params["graph"] for r in puts] == ["urn:g1"] * 3 + ["urn:g2"]
    assert all(r.headers["authorization"] == "Bearer t0ken" for r in seen)
    assert puts[0].headers["content-type"] == "application/n-triples"
    assert b'"urn:g1"' in puts[0].content
    assert seen[-1].url.path == "/query"  # the count check went to the query URL


def test_a_client_error_is_not_retried_and_a_wrong_count_fails():
    calls = []

    def refusing(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401, text="who are you")

    where = target("http://store.invalid/ds/data", user="me", password="pw")
    assert where.query_endpoint == "http://store.invalid/ds/sparql"
    with pytest.raises(PushError, match="answered 401"):
        push_store(small_store(), where, transport=httpx.MockTransport(refusing))
    assert len(calls) == 1

    def short_count(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(201)
        return counts_reply({"urn:g1": 1, "urn:g2": 0})

    with pytest.raises(PushError, match="urn:g2: sent 1, found 0"):
        push_store(small_store(), where, transport=httpx.MockTransport(short_count))


def test_a_union_push_sends_the_whole_file_again_on_a_retry(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    bodies: list[bytes] = []
    failures = iter([503])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            bodies.append(request.read())  # the streamed body, read as the server would
            assert request.headers["content-length"] == str(len(bodies[-1]))
            return httpx.Response(next(failures, 204))
        return httpx.Response(
            200,
            json={"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"value": "2"}}]}},
        )

    store = small_store()
    store.add(  # the same triple in a second graph: sent once
        pyoxigraph.Quad(
            pyoxigraph.NamedNode("urn:s"),
            pyoxigraph.NamedNode("urn:p"),
            pyoxigraph.Literal("urn:g1"),
            pyoxigraph.NamedNode("urn:g2"),
        )
    )
    where = target("http://store.invalid/store")
    report = push_store(store, where, per_article=False, transport=httpx.MockTransport(handler))
    assert report.retries == 1 and report.graphs == {"": 2}
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert bodies[0].splitlines() == [
        b'<urn:s> <urn:p> "urn:g1" .',
        b'<urn:s> <urn:p> "urn:g2" .',
    ]
