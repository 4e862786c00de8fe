"""Upload the store's graphs to another triple store (SPARQL 1.1 Graph Store HTTP Protocol).

Each graph goes up as one `PUT ?graph=IRI` with an N-Triples body, so pushing
again replaces the graph rather than adding a second copy. Connection errors,
429 and 5xx answers are retried with a growing pause. At the end the target is
asked, by SPARQL, how many triples each graph holds, and those counts must equal
what was sent.

Oxigraph server, Jena Fuseki, GraphDB and Virtuoso all speak the protocol; the
Graph Store URL differs (`/store`, `/DATASET/data`, `/repositories/ID/rdf-graphs/service`,
`/sparql-graph-crud`), and so does the query URL, which `query_endpoint` names.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from pyoxigraph import NamedNode, RdfFormat, Store, serialize

from .errors import PushError
from .export import graph_triples, write_export

Progress = Callable[[str, int, int], None]
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Target:
    """Where to push: the Graph Store URL, the SPARQL query URL, and credentials."""

    graph_store: str
    query_endpoint: str
    auth: httpx.Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PushReport:
    graphs: dict[str, int]  # graph IRI ("" for the default graph) -> triples sent
    retries: int


def target(
    endpoint: str,
    query_endpoint: str | None = None,
    user: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> Target:
    """A Target from command-line style options.

    Without `query_endpoint`, the query URL is guessed from the Graph Store URL:
    Oxigraph's `/store` answers queries at `/query`, Fuseki's `/data` at `/sparql`,
    and other stores at the same URL.
    """
    if not urlsplit(endpoint).scheme.startswith("http"):
        raise PushError(f"--endpoint {endpoint!r} is not an http(s) URL")
    if token and user:
        raise PushError("give either --token or --user/--password, not both")
    auth = httpx.BasicAuth(user, password or "") if user else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Target(endpoint, query_endpoint or _guess_query_url(endpoint), auth, headers)


def _guess_query_url(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    for graph_store, query in (("/store", "/query"), ("/data", "/sparql")):
        if path.endswith(graph_store):
            path = path[: -len(graph_store)] + query
            return urlunsplit(parts._replace(path=path))
    return endpoint


def _union_file(store: Store, folder: Path) -> tuple[Path, int]:
    """The union of the named graphs as sorted N-Triples without repeats, and its line count.

    Written to a file by the nt export, which sorts on disk, so a store of any size is
    sent in bounded memory; a set of every triple in Python grew with the store.
    """
    path = folder / "union.nt"
    write_export(store, "nt", path)
    with path.open("rb") as lines:
        return path, sum(1 for _ in lines)


def _body(graph: Path | bytes) -> tuple[Iterable[bytes] | bytes, dict[str, str]]:
    """What to PUT: bytes as they are, a file read as it is sent (opened anew per attempt)."""
    if isinstance(graph, bytes):
        return graph, {}
    return _chunks(graph), {"Content-Length": str(graph.stat().st_size)}


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            yield chunk


def _send(
    client: httpx.Client, target: Target, params: dict[str, str], graph: Path | bytes, retries: int
) -> int:
    """PUT one graph (its N-Triples, or a file of them); returns how many retries it took."""
    for attempt in range(retries + 1):
        body, length = _body(graph)
        headers = {"Content-Type": "application/n-triples", **length}
        try:
            response = client.put(target.graph_store, params=params, content=body, headers=headers)
        except httpx.TransportError as exc:
            problem = f"cannot reach {target.graph_store}: {exc}"
        else:
            if response.status_code < 300:
                return attempt
            problem = f"{target.graph_store} answered {response.status_code}: {response.text[:300]}"
            if response.status_code not in RETRY_STATUSES:
                raise PushError(problem)
        if attempt < retries:
            time.sleep(min(0.25 * 2**attempt, 8.0))
    raise PushError(f"{problem} (gave up after {retries + 1} attempts)")


def _remote_counts(client: httpx.Client, target: Target, union: bool) -> dict[str, int]:
    if union:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    else:
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    try:
        response = client.post(
            target.query_endpoint,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        response.raise_for_status()
        rows = response.json()["results"]["bindings"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise PushError(f"cannot count the triples at {target.query_endpoint}: {exc}") from None
    return {row.get("g", {}).get("value", ""): int(row["n"]["value"]) for row in rows}


def push_store(
    store: Store,
    target: Target,
    per_article: bool = True,
    progress: Progress | None = None,
    retries: int = 4,
    transport: httpx.BaseTransport | None = None,
) -> PushReport:
    """Upload the named graphs of `store` to `target` (or, with per_article=False, their
    union into the target's default graph) and check the counts there."""
    progress = progress or (lambda stage, done, total: None)
    sent: dict[str, int] = {}
    retried = 0
    timeout = httpx.Timeout(60.0, connect=10.0)
    client = httpx.Client(
        auth=target.auth, headers=target.headers, timeout=timeout, transport=transport
    )
    with client as http, tempfile.TemporaryDirectory(prefix="ckg-push-") as folder:
        if per_article:
            # one graph's triples in memory at a time
            graphs = sorted((g for g in store.named_graphs() if isinstance(g, NamedNode)), key=str)
            for done, graph in enumerate(graphs):
                triples = list(graph_triples(store, graph))
                body = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
                retried += _send(http, target, {"graph": graph.value}, body, retries)
                sent[graph.value] = len(triples)
                progress("push", done + 1, len(graphs))
        else:
            union, count = _union_file(store, Path(folder))
            retried += _send(http, target, {"default": ""}, union, retries)
            sent[""] = count
            progress("push", 1, 1)
        remote = _remote_counts(http, target, union=not per_article)
    wrong = {g: (n, remote.get(g, 0)) for g, n in sent.items() if remote.get(g, 0) != n}
    if wrong:
        listing = "; ".join(
            f"{g or 'default graph'}: sent {a}, found {b}" for g, (a, b) in wrong.items()
        )
        raise PushError(f"the target holds other counts than were sent: {listing}")
    return PushReport(sent, retried)
