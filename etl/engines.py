"""Where the per-article work runs: this process, local worker processes, or a Dask cluster.

Every engine maps `work.process_chunk` over chunks of documents and yields the
results chunk by chunk, in the order the chunks were given. Only a bounded
number of chunks is in flight at once, so memory stays flat however long the
stream of documents is.

Why processes with one math-library thread each: spaCy's small model runs
faster with one BLAS thread per process than with several threads fighting
over the same cores (etl/__init__.py pins them before numpy is imported; Dask's
nanny does the same for its workers). Each process loads the model once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import Any

from .config import Settings
from .errors import CkgError, ConfigError
from .model import Document
from .nlp import build_pipeline
from .work import ArticleResult, InputRecord, process_chunk

ChunkResult = list[ArticleResult | InputRecord]
Engine = Callable[[Iterable[Sequence[Document]], Settings], Iterator[ChunkResult]]

# Chunks waiting or running per worker: enough to keep every worker busy while
# the collector catches up, few enough that memory does not grow with the corpus.
IN_FLIGHT_PER_WORKER = 2


def worker_count(settings: Settings) -> int:
    """The number of worker processes: the setting, or one per core this process may use."""
    if settings.workers:
        return settings.workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_in_process(
    chunks: Iterable[Sequence[Document]], settings: Settings, validate: bool = True
) -> Iterator[ChunkResult]:
    """One worker: everything in this process (no start-up cost, easiest to debug)."""
    for chunk in chunks:
        yield process_chunk(chunk, settings, validate)


def _load_model(model: str) -> None:
    build_pipeline(model)


def _bounded(
    submit: Callable[[Sequence[Document]], Any],
    chunks: Iterable[Sequence[Document]],
    limit: int,
) -> Iterator[ChunkResult]:
    """Submit chunks keeping at most `limit` pending; yield results in submission order."""
    pending: deque[Any] = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def run_on_processes(
    chunks: Iterable[Sequence[Document]], settings: Settings
) -> Iterator[ChunkResult]:
    """Worker processes on this machine, started fresh (not forked from a loaded model)."""
    workers = worker_count(settings)
    chunks = iter(chunks)
    first = list(islice(chunks, 2))
    if workers == 1 or len(first) < 2:  # one chunk: starting processes would cost more
        yield from run_in_process(chain(first, chunks), settings)
        return
    chunks = chain(first, chunks)
    # forkserver/spawn: a child never inherits threads or a half-initialised model
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_load_model,
        initargs=(settings.model,),
    )

    def submit(chunk: Sequence[Document]) -> Future[ChunkResult]:
        return pool.submit(process_chunk, chunk, settings)

    try:
        yield from _bounded(submit, chunks, workers * IN_FLIGHT_PER_WORKER)
    except BrokenProcessPool:
        # A script that calls the library without a `__main__` guard is run again by
        # each worker as it starts (forkserver and spawn import the main module), and
        # the worker dies there: that looks the same from here as running out of memory.
        raise CkgError(
            "a worker process stopped unexpectedly (out of memory?): "
            "try fewer --workers or a smaller --batch-size; a Python script that runs "
            'the pipeline must do so under `if __name__ == "__main__":`'
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, waiting chunks are dropped


def run_on_dask(chunks: Iterable[Sequence[Document]], settings: Settings) -> Iterator[ChunkResult]:
    """A Dask cluster: the one at `settings.scheduler`, else a LocalCluster on this machine."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("the dask engine needs Dask: pip install 'conflict-kg[dask]'") from None
    if settings.scheduler:
        client = Client(settings.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=worker_count(settings),
            threads_per_worker=1,  # one model per process, one BLAS thread per core
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(chunk: Sequence[Document]) -> Any:
            return client.submit(process_chunk, list(chunk), settings, pure=False)

        yield from _bounded(submit, chunks, workers * IN_FLIGHT_PER_WORKER)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


ENGINES: dict[str, Engine] = {"local": run_on_processes, "dask": run_on_dask}


def engine_for(settings: Settings) -> Engine:
    try:
        return ENGINES[settings.engine]
    except KeyError:
        raise ConfigError(
            f"unknown engine {settings.engine!r}; use one of {', '.join(ENGINES)}"
        ) from None
