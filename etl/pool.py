"""Queries run in worker processes, so a query past its time limit can really be stopped.

Oxigraph has no way to interrupt a running query from Python, and a thread
cannot be killed, so each worker is a process with the store open read-only
(RocksDB lets several processes do that at once). The server hands a `Job` to
an idle worker over a pipe and waits for the `Answer`; when the time limit
passes it kills the worker and starts a fresh one, which frees the core at once.
A request that finds every worker busy waits briefly, then gets a 503.

With updates allowed, one extra worker holds the store open for writing; after
each update the readers are replaced so that they see the new data.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from .errors import CkgError, QueryError, RefusedError
from .results import Answer, Formats, NotAcceptable

# Spawned, not forked: forking a process that runs an event loop and threads is unsafe.
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Job:
    """One request for a worker: SPARQL text, or a named query and its parameter values."""

    kind: str  # "query", "named" or "update"
    text: str  # the SPARQL text, or the name of the query
    formats: Formats = field(default_factory=lambda: Formats(None, None))
    values: dict[str, str] = field(default_factory=dict)
    max_rows: int = 100_000
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """A refusal or error to report to the client with an HTTP status."""

    status: int
    message: str


class Busy(Exception):
    """Every worker stayed busy for longer than the request may wait."""


class Timeout(Exception):
    """The query ran past the time limit; its worker was stopped and replaced."""


# ---- inside a worker process ------------------------------------------------------------


def _run(store: Any, job: Job) -> Answer | None:
    from pyoxigraph import NamedNode

    from .guard import check_query, check_update
    from .queries import named_queries, run_query
    from .results import serialise

    if job.kind == "update":
        check_update(job.text)
        store.update(job.text)
        store.flush()
        return None
    if job.kind == "named":
        result = run_query(store, named_queries()[job.text], job.values)
    else:
        check_query(job.text)
        graphs: dict[str, Any] = {"use_default_graph_as_union": not job.default_graphs}
        if job.default_graphs:
            graphs["default_graph"] = [NamedNode(iri) for iri in job.default_graphs]
        if job.named_graphs:
            graphs["named_graphs"] = [NamedNode(iri) for iri in job.named_graphs]
        try:
            result = store.query(job.text, **graphs)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except ValueError as exc:
            raise QueryError(f"bad request: {exc}") from None
    return serialise(result, job.formats, job.max_rows)


def _answer(store: Any, job: Job) -> Answer | Failure | None:
    try:
        return _run(store, job)
    except RefusedError as exc:
        return Failure(403, str(exc))
    except NotAcceptable as exc:
        return Failure(406, str(exc))
    except CkgError as exc:
        return Failure(400, str(exc))
    except Exception:  # the client gets no trace; the server log does
        traceback.print_exc()
        return Failure(500, "the query failed inside the store; see the server log")


def serve_jobs(connection: Connection, store_dir: str, writable: bool) -> None:
    """The loop of a worker process: open the store, then answer jobs until the pipe closes."""
    from pyoxigraph import Store

    from .guard import check_query

    store = Store(store_dir) if writable else Store.read_only(store_dir)
    check_query("ASK {}")  # builds the grammar now rather than on the first request
    connection.send("ready")
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_answer(store, job))


# ---- in the server ---------------------------------------------------------------------


class Worker:
    """One worker process and our end of its pipe."""

    def __init__(self, store_dir: Path, writable: bool) -> None:
        self.connection, child = _CONTEXT.Pipe()
        self.process: BaseProcess = _CONTEXT.Process(
            target=serve_jobs, args=(child, str(store_dir), writable), daemon=True
        )
        self.process.start()
        child.close()
        self.writable = writable
        self.generation = 0

    def wait_ready(self) -> None:
        if self.connection.recv() != "ready":
            raise RuntimeError("a query worker did not start")

    def roundtrip(self, job: Job) -> Answer | Failure | None:
        self.connection.send(job)
        reply: Answer | Failure | None = self.connection.recv()
        return reply

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


@dataclass(frozen=True)
class Limits:
    """How much one request may take."""

    workers: int = 2
    timeout: float = 30.0  # seconds a query may run
    queue_wait: float = 2.0  # seconds a request may wait for a free worker
    max_rows: int = 100_000  # rows (or triples) in one answer
    max_body: int = 1_000_000  # bytes in a request body


class WorkerPool:
    """Readers (and with updates allowed, one writer) that answer jobs under a time limit."""

    def __init__(self, store_dir: Path, limits: Limits, allow_update: bool = False) -> None:
        self.store_dir = store_dir
        self.limits = limits
        self.allow_update = allow_update
        self.generation = 0  # bumped by each update; older readers are replaced
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._writer: asyncio.Queue[Worker] = asyncio.Queue()
        self._all: set[Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # replacements under way
        # Threads only wait on pipes; one per worker plus spares for workers being replaced.
        self._threads = ThreadPoolExecutor(max_workers=2 * limits.workers + 4)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.allow_update:
            # The writer opens the store first: RocksDB lets readers join a writer.
            self._writer.put_nowait(await loop.run_in_executor(self._threads, self._spawn, True))
        spawned = [
            loop.run_in_executor(self._threads, self._spawn, False)
            for _ in range(self.limits.workers)
        ]
        for worker in await asyncio.gather(*spawned):
            self._idle.put_nowait(worker)

    def _spawn(self, writable: bool) -> Worker:
        worker = Worker(self.store_dir, writable)
        worker.wait_ready()
        worker.generation = self.generation
        self._all.add(worker)
        return worker

    async def _replace(self, worker: Worker, queue: asyncio.Queue[Worker]) -> None:
        loop = asyncio.get_running_loop()
        self._all.discard(worker)
        await loop.run_in_executor(self._threads, worker.stop)
        fresh = await loop.run_in_executor(self._threads, self._spawn, worker.writable)
        queue.put_nowait(fresh)

    def _background(self, worker: Worker, queue: asyncio.Queue[Worker]) -> None:
        task = asyncio.ensure_future(self._replace(worker, queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, job: Job) -> Answer | Failure | None:
        """The worker's reply to `job`; raises Busy or Timeout."""
        queue = self._writer if job.kind == "update" else self._idle
        try:
            worker = await asyncio.wait_for(queue.get(), self.limits.queue_wait)
        except TimeoutError:
            raise Busy from None
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self._threads, worker.roundtrip, job)
        try:
            reply = await asyncio.wait_for(call, self.limits.timeout)
        except (TimeoutError, asyncio.CancelledError, EOFError, OSError) as exc:
            # Stopped, or the client went away mid-query: either way the worker is dropped.
            self._background(worker, queue)
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, TimeoutError):
                raise Timeout from None
            return Failure(500, "the query worker stopped unexpectedly")
        if job.kind == "update" and reply is None:
            self._updated()
        if worker.generation < self.generation and not worker.writable:
            self._background(worker, queue)
        else:
            queue.put_nowait(worker)
        return reply

    def _updated(self) -> None:
        """Readers opened before an update do not see it: replace the idle ones now and
        the busy ones when they finish."""
        self.generation += 1
        while not self._idle.empty():
            self._background(self._idle.get_nowait(), self._idle)

    async def close(self) -> None:
        for worker in list(self._all):
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)
