"""What one worker does with a chunk of documents: text in, N-Quads and records out.

    Documents -> nlp.pipe -> extract -> rdf -> per-article SHACL -> N-Quads

The same function runs in this process, in a pool of local processes and on a
Dask cluster, so every engine produces the same bytes. Its results are plain
picklable values (bytes, strings, small dataclasses): no spaCy or rdflib object
crosses a process boundary. Each article is validated here, with the entities
it references, so validation grows linearly with the corpus; constraints
across articles are checked once on the entities graph by the pipeline.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from .config import Settings
from .extract import extract_doc
from .gazetteer import load_gazetteer
from .model import Document, Extraction
from .nlp import build_pipeline, model_identity, pipe_documents
from .rdf import article_graph, entities_graph, referenced_entities
from .resolve import EntityTally, resolve_entities
from .validate import ValidationResult, Violation, add_entities, validate_graph


@dataclass
class InputRecord:
    """What became of one input: `ok`, `skipped` or `failed`, with the reason.

    `reused` is true when the article was unchanged since the last run into the
    same folder, so its graph was taken from there instead of extracted again.
    """

    identifier: str
    status: str
    reason: str = ""
    path: str | None = None
    sha256: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    violations: int = 0
    reused: bool = False


@dataclass
class ArticleResult:
    """One article, processed: its named graph as N-Quads and what the run must know of it."""

    record: InputRecord
    nquads: bytes  # sorted N-Quads lines of the article's named graph
    tally: EntityTally  # what it says about entities, for the global resolution
    words: int = 0
    validate_seconds: float = 0.0  # time spent in SHACL for this article
    report: bytes = b""  # the SHACL report as N-Triples when it has results, else empty
    violations: tuple[Violation, ...] = ()

    def metadata_json(self) -> dict[str, Any]:
        """Everything but the N-Quads, as JSON values (kept in the run manifest)."""
        return {
            "record": self.record.__dict__,
            "tally": self.tally.as_json(),
            "words": self.words,
            "validate_seconds": self.validate_seconds,
            "report": self.report.decode("utf-8"),
            "violations": [v.__dict__ for v in self.violations],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], nquads: bytes) -> ArticleResult:
        return cls(
            record=InputRecord(**data["record"]),
            nquads=nquads,
            tally=EntityTally.from_json(data["tally"]),
            words=data["words"],
            validate_seconds=data["validate_seconds"],
            report=data["report"].encode("utf-8"),
            violations=tuple(Violation(**v) for v in data["violations"]),
        )


NOT_VALIDATED = ValidationResult(conforms=True, report=Graph())


def nquad_lines(graph: Graph) -> list[bytes]:
    """N-Triples of one graph turned into N-Quads lines in that graph."""
    name = f" <{graph.identifier}> .".encode()
    data = graph.serialize(format="nt", encoding="utf-8")
    return [line[:-2].rstrip() + name + b"\n" for line in data.splitlines() if line.strip()]


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


def failed_record(document: Document, exc: Exception) -> InputRecord:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return InputRecord(
        document.identifier,
        "failed",
        f"extraction failed: {type(exc).__name__}: {exc} "
        f"(at {Path(where.filename).name}:{where.lineno})",
        document.path,
        document.id,
    )


def extract_documents(
    documents: Sequence[Document], settings: Settings
) -> Iterator[Extraction | InputRecord]:
    """Extractions in input order; a document whose extraction fails becomes a failed record."""
    if not documents:
        return
    nlp = build_pipeline(settings.model)  # cached: loaded once per process
    gazetteer = load_gazetteer()
    model = model_identity(nlp)
    # Every new word, name and number would stay in spaCy's vocabulary for the life of
    # the process, so a worker would grow with the corpus's vocabulary. Inside a memory
    # zone they are freed when the documents are done; an extraction holds plain
    # Python data, nothing of the Doc.
    with nlp.memory_zone():
        processed = pipe_documents(nlp, documents, settings.batch_size, settings.max_chars)
        for doc, document in processed:
            try:
                yield extract_doc(doc, document, gazetteer, model)
            except Exception as exc:  # one bad article must not stop the batch
                yield failed_record(document, exc)


def article_result(extraction: Extraction, settings: Settings, validate: bool) -> ArticleResult:
    """Graph, validation (unless `validate` is false) and N-Quads of one extracted article."""
    graph = article_graph(extraction, settings)
    nquads = b"".join(sorted(nquad_lines(graph)))
    clock = time.perf_counter()
    validation = NOT_VALIDATED
    if validate:
        # the graph is written out above, so it can take its entities for validation
        # in place instead of being copied
        own_entities = entities_graph(resolve_entities([extraction]).values(), settings)
        data = add_entities(graph, own_entities, referenced_entities(graph))
        validation = validate_graph(data)
    validate_seconds = time.perf_counter() - clock
    serious = sum(1 for v in validation.violations if v.severity == "Violation")
    return ArticleResult(
        record=ok_record(extraction, serious),
        nquads=nquads,
        tally=EntityTally.of(extraction),
        words=len(extraction.document.text.split()),
        validate_seconds=validate_seconds,
        report=_report_bytes(validation),
        violations=validation.violations,
    )


def _report_bytes(validation: ValidationResult) -> bytes:
    if not validation.violations:
        return b""
    return validation.report.serialize(format="nt", encoding="utf-8")


def process_chunk(
    documents: Sequence[Document], settings: Settings, validate: bool = True
) -> list[ArticleResult | InputRecord]:
    """The whole per-article work for a chunk; runs in whichever process the engine chose."""
    results: list[ArticleResult | InputRecord] = []
    for item in extract_documents(documents, settings):
        if isinstance(item, InputRecord):
            results.append(item)
            continue
        try:
            results.append(article_result(item, settings, validate))
        except Exception as exc:  # a graph that cannot be built fails its article only
            results.append(failed_record(item.document, exc))
    return results
