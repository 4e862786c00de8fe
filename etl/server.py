"""A SPARQL 1.1 Protocol endpoint over the store: `make_app(store_dir)` is an ASGI app.

    GET  /                  the query page (HTML, works offline)
    GET  /sparql            service description (RDF) when there is no `query`
    GET|POST /sparql        a query: `query=` in the URL or a form, or an
                            `application/sparql-query` body
    POST /sparql, /update   an update (`update=` or `application/sparql-update`),
                            refused with 403 unless updates were allowed with a token
    GET  /queries           the named queries as JSON
    GET  /queries/NAME      a named query; its parameters are URL parameters

Queries run in worker processes (see pool.py) under a time limit, with a cap on
the rows of an answer (the `X-CKG-Truncated` header then gives the cap) and on
the size of a request body. Errors are short plain-text messages, never a trace.
"""

from __future__ import annotations

import codecs
import hmac
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qsl

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .errors import CkgError, ConfigError, QueryError
from .pool import Busy, Failure, Job, Limits, Timeout, WorkerPool
from .queries import bindings, named_queries
from .results import GRAPH_TYPES, Answer, NotAcceptable, negotiate
from .store import open_store

TRUNCATED_HEADER = "X-CKG-Truncated"
# SPARQLWrapper names the format in all three, each maybe twice (short name, media types).
_FORMAT_PARAMS = ("format", "output", "results")
_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}


class Params:
    """The parameters of a request: name -> every value given."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in pairs:
            self.values.setdefault(name, []).append(value)

    def one(self, name: str) -> str | None:
        given = self.values.get(name, [])
        if len(given) > 1:
            raise QueryError(f"the parameter {name!r} is given {len(given)} times")
        return given[0] if given else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(self.values.get(name, []))

    def format_names(self) -> list[str]:
        """Every format the client named, in order; a value may list several by commas."""
        given = [value for name in _FORMAT_PARAMS for value in self.all(name)]
        return [part.strip() for value in given for part in value.split(",") if part.strip()]


def _decode_pairs(raw: bytes, encoding: str = "utf-8") -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw.decode("ascii"), keep_blank_values=True, encoding=encoding, errors="strict"
        )
    except UnicodeDecodeError:
        raise QueryError(f"the parameters are not valid percent-encoded {encoding}") from None


def _url_params(request: Request) -> Params:
    return Params(_decode_pairs(request.scope.get("query_string", b"")))


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"')
            try:
                return codecs.lookup(charset).name
            except LookupError:
                raise HTTPException(415, f"unknown charset {charset!r}; send UTF-8") from None
    return "utf-8"


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes, however it is sent."""
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding != "identity":
        raise HTTPException(415, f"Content-Encoding {encoding!r} is not supported; send it plain")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the request body is larger than {limit:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the request body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except UnicodeDecodeError:
        raise QueryError(f"the request body is not valid {charset}") from None


async def _request_params(request: Request, limit: int) -> Params:
    """URL parameters, plus the form fields or the query/update of a POST body."""
    params = _url_params(request)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    charset = _charset(content_type)
    body = await _body(request, limit)
    if media == "application/x-www-form-urlencoded":
        pairs = _decode_pairs(body, charset)
    elif media == "application/sparql-query":
        pairs = [("query", _text(body, charset))]
    elif media == "application/sparql-update":
        pairs = [("update", _text(body, charset))]
    else:
        raise HTTPException(
            415,
            "send a form (application/x-www-form-urlencoded), application/sparql-query "
            "or application/sparql-update",
        )
    for name, values in params.values.items():
        for value in values:
            pairs.append((name, value))
    return Params(pairs)


def _reply(answer: Answer | Failure | None) -> Response:
    if isinstance(answer, Failure):
        return PlainTextResponse(answer.message + "\n", answer.status)
    if answer is None:
        return Response(status_code=204)
    return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept"})


class Endpoint:
    """The request handlers, over one worker pool."""

    def __init__(self, pool: WorkerPool, update_token: str | None) -> None:
        self.pool = pool
        self.limits = pool.limits
        self.update_token = update_token

    async def _dispatch(self, job: Job) -> Response:
        try:
            reply = await self.pool.run(job)
        except Busy:
            return PlainTextResponse(
                "every query worker is busy; try again shortly\n", 503, {"Retry-After": "1"}
            )
        except Timeout:
            return PlainTextResponse(
                f"the query was stopped after the time limit of {self.limits.timeout:g} s\n",
                503,
            )
        response = _reply(reply)
        if isinstance(reply, Answer) and reply.truncated:
            response.headers[TRUNCATED_HEADER] = str(self.limits.max_rows)
        return response

    async def sparql(self, request: Request) -> Response:
        params = await _request_params(request, self.limits.max_body)
        update = params.one("update")
        if update is not None:
            return await self._update(request, update)
        query = params.one("query")
        if query is None:
            return self.description(request, params)
        if len(query.encode("utf-8")) > self.limits.max_body:
            raise HTTPException(413, f"the query is larger than {self.limits.max_body:,} bytes")
        formats = negotiate(request.headers.get("accept"), params.format_names())
        job = Job(
            "query",
            query,
            formats,
            max_rows=self.limits.max_rows,
            default_graphs=params.all("default-graph-uri"),
            named_graphs=params.all("named-graph-uri"),
        )
        return await self._dispatch(job)

    async def update(self, request: Request) -> Response:
        params = await _request_params(request, self.limits.max_body)
        update = params.one("update")
        if update is None:
            raise QueryError("no update given: send update=... or application/sparql-update")
        return await self._update(request, update)

    async def _update(self, request: Request, text: str) -> Response:
        if self.update_token is None:
            return PlainTextResponse("updates are refused: this endpoint is read-only\n", 403)
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return PlainTextResponse(
                "updates need 'Authorization: Bearer TOKEN'\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="ckg"'},
            )
        if not hmac.compare_digest(token.encode(), self.update_token.encode()):
            return PlainTextResponse("wrong update token\n", 403)
        return await self._dispatch(Job("update", text))

    async def named(self, request: Request) -> Response:
        name = request.path_params["name"]
        queries = named_queries()
        if name not in queries:
            known = ", ".join(sorted(queries))
            return PlainTextResponse(f"no named query {name!r}; named queries: {known}\n", 404)
        params = _url_params(request)
        values = {}
        for key in params.values:
            if key not in _FORMAT_PARAMS:
                values[key] = params.one(key) or ""
        bindings(queries[name], values)  # a bad parameter is a 400 here, before any worker
        formats = negotiate(request.headers.get("accept"), params.format_names())
        return await self._dispatch(
            Job("named", name, formats, values, max_rows=self.limits.max_rows)
        )

    async def catalogue(self, request: Request) -> Response:
        listing = [
            {
                "name": named.name,
                "title": named.title,
                "description": named.description,
                "form": named.form,
                "parameters": [
                    {"name": p.name, "description": p.description, "default": p.default}
                    for p in named.parameters
                ],
                "text": named.text,
            }
            for named in named_queries().values()
        ]
        return JSONResponse(listing)

    async def page(self, request: Request) -> Response:
        if _url_params(request).one("query") is not None:
            return await self.sparql(request)
        html = files("etl").joinpath("static/index.html").read_text(encoding="utf-8")
        # Everything the page needs is inline; the policy keeps it that way.
        policy = (
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; form-action 'self'"
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    def description(self, request: Request, params: Params) -> Response:
        """The SPARQL service description of this endpoint, in RDF."""
        formats = negotiate(request.headers.get("accept"), params.format_names())
        graph_format = formats.graph or "turtle"
        service = BlankNode()
        sd = _SD
        triples = [
            Triple(service, NamedNode(RDF_TYPE), NamedNode(sd + "Service")),
            Triple(service, NamedNode(sd + "endpoint"), NamedNode(str(request.url_for("sparql")))),
            Triple(service, NamedNode(sd + "supportedLanguage"), NamedNode(sd + "SPARQL11Query")),
            Triple(service, NamedNode(sd + "feature"), NamedNode(sd + "UnionDefaultGraph")),
            Triple(
                service,
                NamedNode("http://purl.org/dc/terms/title"),
                Literal("conflict-kg SPARQL endpoint"),
            ),
        ]
        if self.update_token is not None:
            triples.append(
                Triple(
                    service, NamedNode(sd + "supportedLanguage"), NamedNode(sd + "SPARQL11Update")
                )
            )
        for iri in _FORMAT_IRIS.values():
            triples.append(Triple(service, NamedNode(sd + "resultFormat"), NamedNode(iri)))
        writer = {
            "turtle": RdfFormat.TURTLE,
            "ntriples": RdfFormat.N_TRIPLES,
            "jsonld": RdfFormat.JSON_LD,
            "rdfxml": RdfFormat.RDF_XML,
        }[graph_format]
        data = serialize(triples, format=writer, prefixes={"sd": sd}) or b""
        return Response(data, media_type=GRAPH_TYPES[graph_format])


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


async def _client_error(request: Request, exc: Exception) -> Response:
    status = 406 if isinstance(exc, NotAcceptable) else 400
    return PlainTextResponse(f"{exc}\n", status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(f"{exc.detail}\n", exc.status_code, exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("internal error; see the server log\n", 500)


Handler = Callable[[Request], Awaitable[Response]]


def make_app(
    store_dir: Path | str,
    limits: Limits | None = None,
    update_token: str | None = None,
) -> Starlette:
    """The endpoint over the store at `store_dir` as an ASGI app (run it with uvicorn).

    With `update_token`, SPARQL updates are allowed to clients that send it as a
    bearer token; without it the endpoint is read-only.
    """
    store_path = Path(store_dir)
    open_store(store_path)  # a missing or broken store is a clear error now, not per query
    limits = limits or Limits()
    pool = WorkerPool(store_path, limits, allow_update=update_token is not None)
    endpoint = Endpoint(pool, update_token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        yield
        await pool.close()

    routes = [
        Route("/", endpoint.page, methods=["GET"]),
        Route("/sparql", endpoint.sparql, methods=["GET", "POST"], name="sparql"),
        Route("/update", endpoint.update, methods=["POST"]),
        Route("/queries", endpoint.catalogue, methods=["GET"]),
        Route("/queries/{name}", endpoint.named, methods=["GET"]),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Accept", "Authorization", "Content-Type"],
            expose_headers=[TRUNCATED_HEADER, "Retry-After"],
        )
    ]
    handlers: dict[type[Exception] | int, Callable[[Request, Exception], Awaitable[Response]]]
    handlers = {CkgError: _client_error, HTTPException: _http_error, 500: _server_error}
    return Starlette(
        routes=routes, middleware=middleware, exception_handlers=handlers, lifespan=lifespan
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """A clear error now rather than a log line from the server once it has started."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(
    store_dir: Path,
    host: str = "127.0.0.1",
    port: int = 7878,
    limits: Limits | None = None,
    update_token: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Answer SPARQL requests on host:port until interrupted; `announce` gets the address
    once the store and the port have been checked."""
    import uvicorn

    app = make_app(store_dir, limits, update_token)
    _check_port(host, port)
    if announce:
        announce(f"http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
