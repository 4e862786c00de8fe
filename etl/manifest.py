"""The run manifest: what the last run into an output folder was made of, and its graphs.

Kept in `OUT/manifest.sqlite` (SQLite from the standard library: one file,
transactions, look-ups by key without reading everything into memory).

- `articles`: a cache of processed articles, addressed by content. The key
  hashes everything the article's graph depends on: the document (its sha256,
  file name and metadata), the settings fingerprint, the software version, a
  hash of the code, ontology, gazetteer and shapes, and the model's name and
  version. The row holds the article's N-Quads, compressed with zlib, and its
  run record, entity tally and SHACL results. A row is valid whatever state
  the outputs are in, so an interrupted run can only leave useful rows behind.
- `current`: which article (identifier -> key, graph IRI) is in the store now.
  It is replaced in the same transaction that records a finished run.
- `meta`: the settings fingerprint of the store, the hash of its entities graph and
  how the N-Quads are encoded.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings
from .errors import StoreError
from .model import Document
from .resources import graph_code_fingerprint
from .work import ArticleResult

MANIFEST_FILE = "manifest.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, meta TEXT NOT NULL, nquads BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS current (
    identifier TEXT PRIMARY KEY, key TEXT NOT NULL, graph TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS current_by_graph ON current (graph);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# An article's N-Quads repeat its long IRIs on every line: zlib at level 1 keeps them
# in a twentieth of the bytes (about 390 KB -> 17 KB per generated dispatch), which is
# what lets a 100k-article manifest fit on a disk, for about 0.5 ms per article.
_ENCODING = "zlib"
_COMPRESSION_LEVEL = 1
# How long a write waits for another connection to the manifest (a second run, a viewer).
_BUSY_SECONDS = 60


@dataclass(frozen=True)
class InStore:
    """An article the store holds now."""

    key: str
    graph: str


def article_key(document: Document, settings: Settings, model: tuple[str, str]) -> str:
    """A hash of everything an article's graph depends on."""
    described = {
        name: value for name, value in document.__dict__.items() if name not in {"text", "path"}
    }
    software = [__version__, graph_code_fingerprint(), *model]
    parts = [repr(sorted(described.items())), settings.fingerprint(), *software]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class Manifest:
    """The manifest of one output folder; open it, use it, `close` it."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST_FILE
        self.previous = False  # see `start_run`
        try:
            self.db = sqlite3.connect(self.path, timeout=_BUSY_SECONDS)
            # Write-ahead logging: a reader of the manifest (a viewer, a backup, a script)
            # never blocks the commit a run makes after each chunk; with SQLite's default
            # journal a long read made that commit fail and the run stop.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            self._encode_nquads()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the run manifest: {exc}") from None

    def _encode_nquads(self) -> None:
        """Compress the N-Quads of a manifest written before they were compressed."""
        encoding = self.meta("nquads_encoding")
        if encoding == _ENCODING:
            return
        if encoding is not None:
            self.db.close()
            raise StoreError(
                f"{self.path}: N-Quads encoded as {encoding!r}, which this version cannot read;"
                " delete the manifest to rebuild it from the inputs"
            )
        self.db.create_function("compress", 1, _compress, deterministic=True)
        with self.db:
            migrated = self.db.execute("UPDATE articles SET nquads = compress(nquads)").rowcount
            self.db.execute(
                "INSERT INTO meta (name, value) VALUES ('nquads_encoding', ?)", (_ENCODING,)
            )
        if migrated:  # give the space back: compressed, the rows fill a small part of the file
            self.db.execute("VACUUM")

    def close(self) -> None:
        self.db.close()

    def meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def cached(self, key: str, with_nquads: bool) -> ArticleResult | None:
        column = "nquads" if with_nquads else "x''"
        row = self.db.execute(f"SELECT meta, {column} FROM articles WHERE key = ?", (key,))
        found = row.fetchone()
        if found is None:
            return None
        try:
            nquads = zlib.decompress(found[1]) if with_nquads else b""
        except zlib.error:  # a damaged row is only a cache miss: the article is extracted again
            return None
        return ArticleResult.from_json(json.loads(found[0]), nquads)

    def remember(self, key: str, result: ArticleResult) -> None:
        meta = json.dumps(result.metadata_json(), separators=(",", ":"))
        with self._writing():
            self.db.execute(
                "INSERT OR REPLACE INTO articles (key, meta, nquads) VALUES (?, ?, ?)",
                (key, meta, _compress(result.nquads)),
            )

    def commit(self) -> None:
        with self._writing():
            self.db.commit()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write the run manifest: {exc}") from None

    # -- the articles of this run, beside those of the last ---------------------------
    # A run's articles go to a temporary table of this connection as they are accepted,
    # rather than a list: 100,000 identifiers, keys and graph IRIs took about 40 MB. The
    # last run's (`current`) are read one at a time for the same reason.
    def start_run(self, previous: bool) -> None:
        """Begin a run; `previous` says whether the store still holds the last run's articles."""
        self.previous = previous
        self.db.execute("DROP TABLE IF EXISTS temp.accepted")
        self.db.execute(
            "CREATE TEMP TABLE accepted"
            " (identifier TEXT PRIMARY KEY, key TEXT NOT NULL, graph TEXT NOT NULL)"
        )
        self.db.execute("DROP TABLE IF EXISTS temp.texts")
        self.db.execute("CREATE TEMP TABLE texts (id TEXT PRIMARY KEY, identifier TEXT NOT NULL)")

    def first_with_text(self, document_id: str, identifier: str) -> str | None:
        """The input that first had this text in the run, if another did; else remember it."""
        row = self.db.execute("SELECT identifier FROM texts WHERE id = ?", (document_id,))
        if (first := row.fetchone()) is not None:
            return str(first[0])
        self.db.execute("INSERT INTO texts VALUES (?, ?)", (document_id, identifier))
        return None

    def accept(self, identifier: str, key: str, graph: str) -> None:
        """The run's store holds `identifier`'s article as `graph`, extracted under `key`."""
        self.db.execute(
            "INSERT OR REPLACE INTO accepted VALUES (?, ?, ?)", (identifier, key, graph)
        )

    def in_store_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM current").fetchone()[0])

    def accepted(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM accepted").fetchone()[0])

    def in_last_run(self, identifier: str) -> InStore | None:
        if not self.previous:
            return None
        row = self.db.execute(
            "SELECT key, graph FROM current WHERE identifier = ?", (identifier,)
        ).fetchone()
        return None if row is None else InStore(*row)

    def graph_in_last_run(self, graph: str) -> bool:
        if not self.previous:
            return False
        row = self.db.execute("SELECT 1 FROM current WHERE graph = ? LIMIT 1", (graph,))
        return row.fetchone() is not None

    def changes(self) -> tuple[list[str], list[str], list[str]]:
        """Since the last run: identifiers removed, identifiers whose article changed, and
        graphs no article of this run holds (each sorted)."""
        if not self.previous:
            return [], [], []
        removed = self.db.execute(
            "SELECT identifier FROM current WHERE identifier NOT IN"
            " (SELECT identifier FROM accepted) ORDER BY identifier"
        )
        replaced = self.db.execute(
            "SELECT current.identifier FROM current JOIN accepted USING (identifier)"
            " WHERE current.key != accepted.key ORDER BY current.identifier"
        )
        gone = self.db.execute(
            "SELECT DISTINCT graph FROM current WHERE graph NOT IN"
            " (SELECT graph FROM accepted) ORDER BY graph"
        )
        return [r for (r,) in removed], [r for (r,) in replaced], [g for (g,) in gone]

    def record_run(self, meta: dict[str, Any]) -> None:
        """The store now holds the run's accepted articles; drop cache rows not among them."""
        with self._writing(), self.db:
            self.db.execute("DELETE FROM current")
            self.db.execute("INSERT INTO current SELECT identifier, key, graph FROM accepted")
            self.db.execute("DELETE FROM articles WHERE key NOT IN (SELECT key FROM current)")
            self.db.executemany(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                [(name, str(value)) for name, value in meta.items()],
            )


def _compress(nquads: bytes) -> bytes:
    return zlib.compress(nquads, _COMPRESSION_LEVEL)
