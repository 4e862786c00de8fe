"""The one place that composes the stages: sources -> outputs in a folder.

    ingest -> nlp/extract -> resolve -> rdf -> validate -> store -> export

`run_pipeline` writes, each atomically, `graph.trig`, `graph.ttl`,
`validation.ttl`, `report.html`, `run.json` and the store `store/`. Everything is built
beside the previous outputs and moved into place at the end, so a run that
stops half-way leaves the earlier outputs as they were.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, Store
from rdflib import Graph

from . import __version__
from .config import Settings
from .errors import CkgError
from .export import atomic_write, export_store
from .extract import extract_doc
from .gazetteer import load_gazetteer
from .ingest import Rejected, read_sources
from .lineage import article_lineage
from .model import Document, Extraction
from .nlp import build_pipeline, model_identity, pipe_documents
from .rdf import article_graph, entities_graph, referenced_entities
from .report import build_report
from .resolve import resolve_entities
from .store import STORE_DIR, load_nquads, swap_in
from .validate import ValidationResult, merge_results, validate_graph, with_entities

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class InputRecord:
    """What became of one input: `ok`, `skipped` or `failed`, with the reason."""

    identifier: str
    status: str
    reason: str = ""
    path: str | None = None
    sha256: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    violations: int = 0


@dataclass
class RunReport:
    out_dir: Path | None
    inputs: list[InputRecord]
    validation: ValidationResult
    timings: dict[str, float]
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[InputRecord]:
        return [r for r in self.inputs if r.status == "failed"]

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {"ok": 0, "skipped": 0, "failed": 0}
        for record in self.inputs:
            totals[record.status] += 1
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
                "fingerprint": settings.fingerprint(),
            },
            "totals": self.totals(),
            "conforms": self.validation.conforms,
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
            "outputs": self.outputs,
            "inputs": [record.__dict__ for record in self.inputs],
        }


def _nothing(stage: str, done: int, total: int) -> None:
    return None


def read_inputs(sources: Iterable[Path]) -> tuple[list[Document], list[InputRecord]]:
    """Documents to process, and a record for every input that yields none (or a duplicate)."""
    documents: list[Document] = []
    records: list[InputRecord] = []
    first_name: dict[str, str] = {}
    for item in read_sources(sources):
        if isinstance(item, Rejected):
            records.append(InputRecord(item.identifier, item.status, item.reason, item.path))
        elif item.id in first_name:
            records.append(
                InputRecord(
                    item.identifier,
                    "skipped",
                    f"same text as {first_name[item.id]}",
                    item.path,
                    item.id,
                )
            )
        else:
            first_name[item.id] = item.identifier
            documents.append(item)
    return documents, records


def extract_all(
    documents: Sequence[Document], settings: Settings, progress: Progress = _nothing
) -> Iterator[Extraction | InputRecord]:
    """Extractions in input order; a document whose extraction fails becomes a failed record."""
    if not documents:
        return
    nlp = build_pipeline(settings.model)
    gazetteer = load_gazetteer()
    model = model_identity(nlp)
    processed = pipe_documents(nlp, documents, settings.batch_size, settings.max_chars)
    for done, (doc, document) in enumerate(processed, start=1):
        try:
            yield extract_doc(doc, document, gazetteer, model)
        except Exception as exc:  # one bad article must not stop the batch
            where = traceback.extract_tb(exc.__traceback__)[-1]
            yield InputRecord(
                document.identifier,
                "failed",
                f"extraction failed: {type(exc).__name__}: {exc} "
                f"(at {Path(where.filename).name}:{where.lineno})",
                document.path,
                document.id,
            )
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


def ok_record(extraction: Extraction, violations: int = 0) -> InputRecord:
    document = extraction.document
    return InputRecord(
        document.identifier,
        "ok",
        "; ".join(document.notes),
        document.path,
        document.id,
        extraction.counts(),
        violations,
    )


def _nquad_lines(graph: Graph) -> list[bytes]:
    """N-Triples of one graph turned into N-Quads lines in that graph."""
    name = f" <{graph.identifier}> .".encode()
    data = graph.serialize(format="nt", encoding="utf-8")
    return [line[:-2].rstrip() + name + b"\n" for line in data.splitlines() if line.strip()]


def build_graphs(
    extractions: Sequence[Extraction], settings: Settings, progress: Progress = _nothing
) -> tuple[list[Graph], Graph, list[ValidationResult]]:
    """Article graphs, the entities graph, and each article's validation result."""
    entities = entities_graph(resolve_entities(extractions).values(), settings)
    graphs, results = [], []
    for done, extraction in enumerate(extractions, start=1):
        graph = article_graph(extraction, settings)
        graphs.append(graph)
        results.append(validate_graph(with_entities(graph, entities, referenced_entities(graph))))
        progress("validate", done, len(extractions))
    return graphs, entities, results


def run_pipeline(
    sources: Iterable[Path], out_dir: Path, settings: Settings, progress: Progress = _nothing
) -> RunReport:
    """The whole pipeline; see the module docstring for what is written."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    extractions, records = extract_inputs(sources, settings, progress)
    timings["ingest_and_extract"] = time.perf_counter() - clock

    clock = time.perf_counter()
    graphs, entities, results = build_graphs(extractions, settings, progress)
    for extraction, result in zip(extractions, results, strict=True):
        violations = sum(1 for v in result.violations if v.severity == "Violation")
        records.append(ok_record(extraction, violations))
    validation = merge_results(results)
    timings["rdf_and_validate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    report = RunReport(out_dir, sorted(records, key=lambda r: r.identifier), validation, timings)
    lineage = article_lineage(extractions, settings)
    _write_outputs(out_dir, [*graphs, entities, lineage], report, settings, extractions)
    timings["store_and_export"] = time.perf_counter() - clock
    return report


def _model(extractions: Sequence[Extraction]) -> tuple[str, str]:
    if extractions:
        return extractions[0].model_name, extractions[0].model_version
    try:
        return model_identity(build_pipeline(""))
    except Exception:  # no model needed when nothing was read
        return "", ""


def _violations(report: RunReport) -> dict[str, int]:
    return {r.identifier: r.violations for r in report.inputs if r.status == "ok"}


STAGING_PREFIX = ".run-"


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


def _write_outputs(
    out_dir: Path,
    graphs: Sequence[Graph],
    report: RunReport,
    settings: Settings,
    extractions: Sequence[Extraction],
) -> None:
    """Everything is written and synced in a staging folder first, then renamed into place:
    a run killed at any point leaves each output file and the store whole (old or new)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = out_dir / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:  # made inside the try, so an interrupt right after mkdir still removes it
        staging.mkdir()
        lines = sorted({line for graph in graphs for line in _nquad_lines(graph)})
        nquads = staging / "graph.nq"
        nquads.write_bytes(b"".join(lines))
        store = load_nquads(nquads, staging / STORE_DIR)
        files = {
            "graph.trig": export_store(store, "trig"),
            "graph.ttl": export_store(store, "ttl"),
            "validation.ttl": report.validation.report.serialize(format="turtle", encoding="utf-8"),
            "report.html": build_report(store, _violations(report)).encode("utf-8"),
        }
        del store  # release the store's lock before it is moved
        report.outputs = {name: str(out_dir / name) for name in [*files, "run.json"]}
        report.outputs["store"] = str(out_dir / STORE_DIR)
        run_json = json.dumps(report.as_json(settings, _model(extractions)), indent=2)
        files["run.json"] = run_json.encode("utf-8") + b"\n"  # last: it describes the rest
        for name, data in files.items():
            atomic_write(staging / name, data)
        swap_in(staging / STORE_DIR, out_dir / STORE_DIR)
        for name in files:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def extract_to_file(
    sources: Iterable[Path], out_file: Path, settings: Settings, progress: Progress = _nothing
) -> RunReport:
    """Text -> RDF without a store: TriG (.trig) or sorted N-Quads (.nq) in one file."""
    suffix = out_file.suffix.lower()
    if suffix not in {".trig", ".nq"}:
        raise CkgError(f"{out_file}: write .trig or .nq (got {suffix or 'no extension'!r})")
    extractions, records = extract_inputs(sources, settings, progress)
    entities = entities_graph(resolve_entities(extractions).values(), settings)
    graphs = [article_graph(extraction, settings) for extraction in extractions]
    records.extend(ok_record(extraction) for extraction in extractions)
    data = b"".join(sorted({line for g in [*graphs, entities] for line in _nquad_lines(g)}))
    if suffix == ".trig":
        store = Store()
        store.load(data, format=RdfFormat.N_QUADS)
        data = export_store(store, "trig")
    atomic_write(out_file, data)
    report = RunReport(out_file, sorted(records, key=lambda r: r.identifier), merge_results([]), {})
    report.outputs = {"graph": str(out_file)}
    return report
