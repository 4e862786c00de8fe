"""The one place that composes the stages: sources -> outputs in a folder.

    ingest -> [nlp/extract -> rdf -> validate -> N-Quads] -> resolve -> store -> export
               (per article, in the engine's workers)

`run_pipeline` writes, each atomically, `graph.trig`, `graph.ttl`,
`validation.ttl`, `report.html`, `run.json`, the store `store/` and the run manifest
`manifest.sqlite`. It streams: documents are read lazily and sent to the
workers in chunks, and each chunk's N-Quads are bulk-loaded into the store as
they come back, so memory does not grow with the number of articles.

Runs are incremental. An article whose content, settings, software and model
are those of the article already in the store is not extracted again; a new
or changed article is extracted (or its N-Quads taken from the manifest) and
replaces its own named graph; a removed article's graph is removed. The new
store is built beside the old one (a cheap hard-linked copy) and swapped in at
the end, so a run that stops half-way leaves the earlier outputs as they were;
staging folders of runs that were killed are removed by the next run. One run at
a time writes to a folder (`.run.lock`); a second stops with an error. Lineage
between articles is found once the articles are in the store, and a store the run
loaded a tenth or more of is compacted before it is swapped in. When nothing changed, the store and
exports are left untouched.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, RdfFormat, Store

from . import __version__
from .config import Settings
from .engines import engine_for, run_in_process, worker_count
from .errors import CkgError, StoreError
from .export import atomic_write, export_store, write_exports
from .ingest import Rejected, expand, read_sources
from .lineage import lineage_from_store, lineage_graph_iri
from .manifest import InStore, Manifest, article_key
from .model import Document, Extraction
from .nlp import installed_model_identity
from .rdf import Minter, entities_graph
from .report import run_report
from .resolve import EntityTally, resolve_tally
from .store import STORE_DIR, compact, swap_in
from .validate import ReportSpool, ValidationSummary, validate_graph
from .work import (
    ArticleResult,
    InputRecord,
    extract_documents,
    nquad_lines,
    ok_record,
)

__all__ = [
    "InputRecord",
    "RunReport",
    "extract_all",
    "extract_inputs",
    "extract_to_file",
    "ok_record",
    "read_inputs",
    "run_pipeline",
]

# (stage, done, total). "articles" counts the inputs; the steps after it ("entities",
# "lineage", "exports") report (0, 1) when they start and (1, 1) when they end: at 10,000
# articles they take minutes, with nothing to count.
Progress = Callable[[str, int, int], None]

# Articles per task sent to a worker: a few seconds of work, so the pool stays
# balanced and each task's N-Quads are a few megabytes at most.
CHUNK_ARTICLES = 16
# N-Quads gathered before one bulk load into the store.
LOAD_BYTES = 16 * 2**20
# A run that loads at least this share of the store's articles compacts the store. A
# full compaction rewrites the whole store whatever changed: after one changed article
# of 10,000 it took 26 s and rewrote 2.4 GB the new store had shared with the last one
# (hard links); smaller changes are left to RocksDB's own merging.
COMPACT_SHARE = 0.1
EXPORTS = {"graph.trig": "trig", "graph.ttl": "ttl"}
REPORT = "report.html"
STAGING_PREFIX = ".run-"  # then the process id, so a later run can tell a dead run's folder
RUN_LOCK = ".run.lock"  # held by the run writing to the folder; it holds that run's pid


@dataclass
class RunReport:
    out_dir: Path | None
    inputs: list[InputRecord]
    validation: ValidationSummary  # the report itself is written to validation.ttl
    timings: dict[str, float]
    outputs: dict[str, str] = field(default_factory=dict)
    incremental: dict[str, Any] = field(default_factory=dict)
    words: int = 0

    @property
    def failed(self) -> list[InputRecord]:
        return [r for r in self.inputs if r.status == "failed"]

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {"ok": 0, "skipped": 0, "failed": 0, "reused": 0}
        for record in self.inputs:
            totals[record.status] += 1
            totals["reused"] += record.reused
            for key, value in record.counts.items():
                totals[key] = totals.get(key, 0) + value
        totals["violations"] = sum(
            1 for v in self.validation.violations if v.severity == "Violation"
        )
        return totals

    def as_json(self, settings: Settings, model: tuple[str, str]) -> dict[str, Any]:
        return {
            "conflict_kg": __version__,
            "python": platform.python_version(),
            "model": {"name": model[0], "version": model[1]},
            "settings": {
                "base_iri": settings.base_iri,
                "include_text": settings.include_text,
                "batch_size": settings.batch_size,
                "engine": settings.engine,
                "workers": worker_count(settings),
                "fingerprint": settings.fingerprint(),
            },
            "totals": self.totals(),
            "words": self.words,
            "incremental": self.incremental,
            "conforms": self.validation.conforms,
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
            "outputs": self.outputs,
            "inputs": [record.__dict__ for record in self.inputs],
        }


def _nothing(stage: str, done: int, total: int) -> None:
    return None


class RecordSpool:
    """A run's input records, kept on disk until run.json is written.

    A run accounts for every input, and each record (with its counts, path and key)
    took about 1 KB held in a list to the end: 100 MB over 100,000 articles, growing
    all through the run. Here each costs its pickle (about 350 bytes) in a temporary file.
    """

    def __init__(self) -> None:
        # open for the whole run, closed by `close`; deleted by the OS however the run ends
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._count = 0

    def append(self, record: InputRecord) -> None:
        pickle.dump(record, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def read(self) -> list[InputRecord]:
        """Every record so far, in the order they came."""
        self._file.seek(0)
        records = [pickle.load(self._file) for _ in range(self._count)]
        self._file.seek(0, os.SEEK_END)
        return records

    def close(self) -> None:
        self._file.close()


FirstWithText = Callable[[str, str], str | None]  # (document id, identifier) -> an earlier one


def unique_documents(
    sources: Iterable[Path],
    records: list[InputRecord] | RecordSpool,
    first_with_text: FirstWithText | None = None,
) -> Iterator[Document]:
    """Documents to process, lazily; inputs that yield none (or a duplicate) go to `records`.

    `first_with_text` remembers each text and names the input that had it first, if any;
    by default a dict, a run gives the manifest's (see `Manifest.first_with_text`).
    """
    first_with_text = first_with_text or _first_with_text_in({})
    for item in read_sources(sources):
        if isinstance(item, Rejected):
            records.append(InputRecord(item.identifier, item.status, item.reason, item.path))
        elif (first := first_with_text(item.id, item.identifier)) is not None:
            reason = f"same text as {first}"
            records.append(InputRecord(item.identifier, "skipped", reason, item.path, item.id))
        else:
            yield item


def _first_with_text_in(seen: dict[str, str]) -> FirstWithText:
    def first_with_text(document_id: str, identifier: str) -> str | None:
        if document_id in seen:
            return seen[document_id]
        seen[document_id] = identifier
        return None

    return first_with_text


def read_inputs(sources: Iterable[Path]) -> tuple[list[Document], list[InputRecord]]:
    """Documents to process, and a record for every input that yields none (or a duplicate)."""
    records: list[InputRecord] = []
    documents = list(unique_documents(sources, records))
    return documents, records


def extract_all(
    documents: Sequence[Document], settings: Settings, progress: Progress = _nothing
) -> Iterator[Extraction | InputRecord]:
    """Extractions in input order, in this process; a failed extraction becomes a record."""
    for done, item in enumerate(extract_documents(documents, settings), start=1):
        yield item
        progress("extract", done, len(documents))


def extract_inputs(
    sources: Iterable[Path], settings: Settings, progress: Progress = _nothing
) -> tuple[list[Extraction], list[InputRecord]]:
    """Read and extract every input: the extractions, and a record for each input without one."""
    documents, records = read_inputs(sources)
    extractions: list[Extraction] = []
    for item in extract_all(documents, settings, progress):
        if isinstance(item, Extraction):
            extractions.append(item)
        else:
            records.append(item)
    return extractions, records


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    for document in documents:
        chunk.append(document)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Run:
    """The state of one run while results stream in; see `run_pipeline`."""

    def __init__(self, out_dir: Path, settings: Settings, manifest: Manifest) -> None:
        self.out_dir = out_dir
        self.settings = settings
        self.manifest = manifest
        self.model = installed_model_identity(settings.model)
        self.mint = Minter(settings)
        same_settings = manifest.meta("fingerprint") == settings.fingerprint()
        has_store = (out_dir / STORE_DIR).is_dir()
        manifest.start_run(previous=same_settings and has_store)
        self.has_previous = manifest.previous and manifest.in_store_count() > 0
        self.records = RecordSpool()
        self.tally = EntityTally()
        self.reports = ReportSpool()
        self.pending_keys: dict[str, str] = {}  # document id -> key, while in a worker
        self.staging: Path | None = None
        self.store: Store | None = None
        self.buffer = bytearray()
        self.extracted = 0
        self.reused = 0
        self.words = 0
        self.validate_seconds = 0.0
        self.entity_hash = ""  # of the entities graph's N-Quads, set by finish_graphs

    # -- the staging store, created on the first change ------------------------------
    def _store(self) -> Store:
        if self.store is None:
            self.staging = _staging_folder(self.out_dir)
            target = self.staging / STORE_DIR
            if self.has_previous:
                # a hard-linked copy of the current store, changed below and swapped in
                Store.read_only(str(self.out_dir / STORE_DIR)).backup(str(target))
            self.store = Store(str(target))
        return self.store

    def _flush(self) -> None:
        if self.buffer:
            try:
                self._store().bulk_load(input=bytes(self.buffer), format=RdfFormat.N_QUADS)
            except (OSError, SyntaxError, ValueError) as exc:
                raise StoreError(f"{self.staging}: cannot load the N-Quads: {exc}") from None
            self.buffer.clear()

    def _replace_graph(self, graph: str, nquads: bytes) -> None:
        store = self._store()
        if self.manifest.graph_in_last_run(graph):
            store.remove_graph(NamedNode(graph))
        self.buffer += nquads
        if len(self.buffer) >= LOAD_BYTES:
            self._flush()

    # -- results, from the cache or from a worker -------------------------------------
    def _accept(self, result: ArticleResult, key: str, document: Document, load: bool) -> None:
        graph = str(self.mint.article(document.id))
        self.records.append(replace(result.record, path=document.path, reused=not load))
        self.tally.add(result.tally)
        if result.violations:
            serious = any(v.severity == "Violation" for v in result.violations)
            self.reports.add(not serious, result.violations, result.report)
        self.manifest.accept(document.identifier, key, graph)
        self.words += result.words
        if load:
            self._replace_graph(graph, result.nquads)

    def to_extract(self, documents: Iterable[Document]) -> Iterator[Document]:
        """The documents that need a worker; the others are taken from the manifest."""
        for document in documents:
            key = article_key(document, self.settings, self.model)
            graph = str(self.mint.article(document.id))
            unchanged = self.manifest.in_last_run(document.identifier) == InStore(key, graph)
            cached = self.manifest.cached(key, with_nquads=not unchanged)
            if cached is None:
                self.pending_keys[document.id] = key
                yield document
                continue
            self.reused += unchanged
            self._accept(cached, key, document, load=not unchanged)

    def take(
        self, results: Sequence[ArticleResult | InputRecord], documents: dict[str, Document]
    ) -> None:
        for item in results:
            if isinstance(item, InputRecord):
                self.records.append(item)
                if item.sha256:
                    self.pending_keys.pop(item.sha256, None)
                continue
            key = self.pending_keys.pop(item.record.sha256 or "")
            self.manifest.remember(key, item)
            self.extracted += 1
            self.validate_seconds += item.validate_seconds
            self._accept(item, key, documents[item.record.sha256 or ""], load=True)
        self.manifest.commit()

    # -- the end of the run -----------------------------------------------------------
    def finish_graphs(
        self, progress: Progress = _nothing
    ) -> tuple[ValidationSummary, dict[str, Any]]:
        """Remove what is gone, replace the entities graph; the run's SHACL result."""
        progress("entities", 0, 1)
        removed, replaced, gone = self.manifest.changes()
        for graph in gone:
            self._store().remove_graph(NamedNode(graph))
        entities = entities_graph(resolve_tally(self.tally).values(), self.settings)
        entity_nquads = b"".join(sorted(nquad_lines(entities)))
        entity_hash = hashlib.sha256(entity_nquads).hexdigest()
        if self.store is not None or entity_hash != self.manifest.meta("entities"):
            self._store().remove_graph(NamedNode(str(entities.identifier)))
            self.buffer += entity_nquads
        self._flush()
        progress("entities", 1, 1)
        if self.store is not None:  # articles changed: lineage reads them all from the store
            progress("lineage", 0, 1)
            self._replace_lineage()
            self._flush()
            progress("lineage", 1, 1)
        # constraints across articles (one label per entity, ...) are checked once, here
        entities_result = validate_graph(entities)
        self.reports.add_result(entities_result)
        validation = self.reports.summary()
        incremental = {
            "extracted": self.extracted,
            "reused": self.reused,
            "reloaded_from_manifest": self.manifest.accepted() - self.extracted - self.reused,
            "replaced": replaced,
            "removed": removed,
            "store_changed": self.store is not None,
        }
        self.entity_hash = entity_hash
        return validation, incremental

    def worth_compacting(self) -> bool:
        """Whether this run loaded enough of the store for a full compaction to pay."""
        accepted = self.manifest.accepted()
        loaded = accepted - self.reused  # extracted, or taken from the manifest
        return self.store is not None and loaded >= COMPACT_SHARE * accepted

    def _replace_lineage(self) -> None:
        """Articles changed: find the lineage among all stored articles again."""
        store = self._store()
        store.remove_graph(NamedNode(str(lineage_graph_iri(self.settings))))
        for part in lineage_from_store(store, self.settings, workdir=self.staging):
            self.buffer += b"".join(nquad_lines(part))
            if len(self.buffer) >= LOAD_BYTES:
                self._flush()

    def discard(self) -> None:
        self.store = None
        self.reports.close()
        self.records.close()
        # every staging folder of this process: an interrupt that lands between creating
        # one and naming it in `self.staging` must not leave it behind either
        for folder in self.out_dir.glob(f"{STAGING_PREFIX}{os.getpid()}-*"):
            shutil.rmtree(folder, ignore_errors=True)


def run_pipeline(
    sources: Iterable[Path], out_dir: Path, settings: Settings, progress: Progress = _nothing
) -> RunReport:
    """The whole pipeline; see the module docstring for what is written."""
    sources = list(sources)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _only_run_in(out_dir):
        return _run_pipeline(sources, out_dir, settings, progress)


@contextmanager
def _only_run_in(out_dir: Path) -> Iterator[None]:
    """One run at a time per output folder.

    Two runs into one folder would interleave their writes to the manifest, and the
    one to finish last would replace the other's store and outputs. The lock is the
    operating system's (flock): a run that is killed releases it.
    """
    try:
        lock = open(out_dir / RUN_LOCK, "a+", encoding="utf-8")  # noqa: SIM115 (with, below)
    except OSError as exc:
        raise StoreError(f"{out_dir}: cannot write to the output folder: {exc}") from None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise StoreError(
                f"{out_dir}: another ckg run (process {holder}) is writing to this folder;"
                " wait for it to end, or give another --out"
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield


def _run_pipeline(
    sources: list[Path], out_dir: Path, settings: Settings, progress: Progress
) -> RunReport:
    remove_stale_staging(out_dir)
    timings: dict[str, float] = {}
    manifest = Manifest(out_dir)
    run = _Run(out_dir, settings, manifest)
    try:
        clock = time.perf_counter()
        _process(sources, run, settings, progress)
        timings["extract_rdf_validate"] = time.perf_counter() - clock
        timings["shacl_in_workers"] = run.validate_seconds  # summed over articles and workers

        clock = time.perf_counter()
        validation, incremental = run.finish_graphs(progress)
        timings["resolve_and_load"] = time.perf_counter() - clock

        clock = time.perf_counter()
        records = sorted(run.records.read(), key=lambda r: r.identifier)
        report = RunReport(out_dir, records, validation, timings, incremental=incremental)
        report.words = run.words
        _write_outputs(run, report, progress)
        timings["store_and_export"] = time.perf_counter() - clock
        run_json = json.dumps(report.as_json(settings, run.model), indent=2)
        atomic_write(out_dir / "run.json", run_json.encode("utf-8") + b"\n")
    finally:
        run.discard()
        manifest.close()
    return report


def _process(sources: list[Path], run: _Run, settings: Settings, progress: Progress) -> None:
    """Stream every input through the engine (or the manifest) into the run."""
    total = sum(1 for _ in expand(sources))
    in_flight: dict[str, Document] = {}

    def chunks() -> Iterator[list[Document]]:
        for chunk in _chunks(
            run.to_extract(unique_documents(sources, run.records, run.manifest.first_with_text)),
            CHUNK_ARTICLES,
        ):
            in_flight.update((document.id, document) for document in chunk)
            yield chunk

    engine = engine_for(settings)
    progress("articles", 0, total)
    for results in engine(chunks(), settings):
        run.take(results, in_flight)
        for item in results:
            sha = item.sha256 if isinstance(item, InputRecord) else item.record.sha256
            in_flight.pop(sha or "", None)
        progress("articles", len(run.records), max(total, len(run.records)))
    progress("articles", len(run.records), max(total, len(run.records)))


def _write_outputs(run: _Run, report: RunReport, progress: Progress = _nothing) -> None:
    """Exports and validation report beside the new store, then everything moved into place."""
    out_dir = run.out_dir
    names = [*EXPORTS, "validation.ttl", REPORT, "run.json"]
    report.outputs = {name: str(out_dir / name) for name in names}
    report.outputs["store"] = str(out_dir / STORE_DIR)
    report.outputs["manifest"] = str(run.manifest.path)
    if run.store is None and all((out_dir / name).is_file() for name in [*EXPORTS, REPORT]):
        return  # nothing changed: the store and its exports are those of the last run
    progress("exports", 0, 1)
    staging = run.staging or _staging_folder(out_dir)
    run.staging = staging
    store = run.store if run.store is not None else _open(out_dir / STORE_DIR)
    with ThreadPoolExecutor(max_workers=1) as background:
        # a store this run filled is compacted beside the exports, before it is swapped in
        compacted = background.submit(compact, store) if run.worth_compacting() else None
        write_exports(store, {staging / name: fmt for name, fmt in EXPORTS.items()})
        run.reports.write_turtle(staging / "validation.ttl")  # moved into place below
        violations = {r.identifier: r.violations for r in report.inputs if r.status == "ok"}
        atomic_write(staging / REPORT, run_report(store, violations).encode("utf-8"))
        if compacted is not None:
            compacted.result()  # its error, if any, raised here
    del store  # release the store's lock before it is moved
    if run.store is not None:
        run.store = None
        swap_in(staging / STORE_DIR, out_dir / STORE_DIR)
    for name in [*EXPORTS, "validation.ttl", REPORT]:
        os.replace(staging / name, out_dir / name)
    meta = {"fingerprint": run.settings.fingerprint(), "entities": run.entity_hash}
    run.manifest.record_run(meta)
    progress("exports", 1, 1)


def _open(store_dir: Path) -> Store:
    try:
        return Store.read_only(str(store_dir))
    except OSError as exc:
        raise StoreError(f"{store_dir}: cannot open the store: {exc}") from None


def extract_to_file(
    sources: Iterable[Path], out_file: Path, settings: Settings, progress: Progress = _nothing
) -> RunReport:
    """Text -> RDF without a store: TriG (.trig) or sorted N-Quads (.nq) in one file."""
    suffix = out_file.suffix.lower()
    if suffix not in {".trig", ".nq"}:
        raise CkgError(f"{out_file}: write .trig or .nq (got {suffix or 'no extension'!r})")
    records: list[InputRecord] = []
    tally = EntityTally()
    lines: list[bytes] = []
    chunks = _chunks(unique_documents(sources, records), CHUNK_ARTICLES)
    for results in run_in_process(chunks, settings, validate=False):  # as before: no SHACL
        for item in results:
            if isinstance(item, InputRecord):
                records.append(item)
                continue
            records.append(item.record)
            tally.add(item.tally)
            lines.extend(item.nquads.splitlines(keepends=True))
        progress("extract", len(records), len(records))
    entities = entities_graph(resolve_tally(tally).values(), settings)
    data = b"".join(sorted({*lines, *nquad_lines(entities)}))
    if suffix == ".trig":
        store = Store()
        store.load(data, format=RdfFormat.N_QUADS)
        data = export_store(store, "trig")
    atomic_write(out_file, data)
    report = RunReport(
        out_file, sorted(records, key=lambda r: r.identifier), ValidationSummary(conforms=True), {}
    )
    report.outputs = {"graph": str(out_file)}
    return report


def _staging_folder(out_dir: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=out_dir, prefix=f"{STAGING_PREFIX}{os.getpid()}-"))


def remove_stale_staging(out_dir: Path) -> None:
    """Remove staging folders left by runs that were killed (their process is gone)."""
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else
        return True
    return True
