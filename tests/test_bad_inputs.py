"""A messy folder of bad inputs among good ones, run through `ckg run` once.

The folder is generated here (nothing binary is committed): empty and blank
files, images and archives under their own names and disguised as text, legacy
encodings, UTF-16 and UTF-8 byte-order marks, mixed line endings, a 20 MB line,
a text longer than the piece spaCy is given, HTML with scripts and styles, a
.jsonl file with malformed lines, duplicates, awkward file names, an unreadable
file and folder, symbolic link loops, control characters, lone surrogates,
right-to-left marks, emoji and names full of RDF syntax characters.

Every good article must be in the graph with its text unaltered (or the change
reported), every bad input must be in run.json with a reason, the exit code
must be 3, and the outputs must parse and conform.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, parse
from typer.testing import CliRunner

from etl.cli import app
from etl.errors import EXIT_PARTIAL
from etl.store import open_store

ARTICLE_IRI = re.compile(r"^https://w3id\.org/conflict-kg/id/[A-Za-z0-9/_.:#-]+$")
CKG = "https://w3id.org/conflict-kg/ontology#"
DCTERMS = "http://purl.org/dc/terms/"


def dispatch(tag: str) -> str:
    """A short, distinct report with facts in it; `tag` keeps each one's text unique."""
    return (
        f"Fighting near Pokrovsk ({tag})\n"
        "Russian forces launched an attack on Kharkiv overnight, officials said.\n"
        f"About 1,200 troops were deployed near Pokrovsk, the ministry reported ({tag}).\n"
    )


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("article.txt", dispatch("zipped"))
    return buffer.getvalue()


NAMES_TEXT = (
    'Fighting near "Pokrovsk" <update> {live}\n'
    'The commander of the "Azov" <Brigade> said {quote} \\ back-slash: 300 troops left Kharkiv.\n'
    "Colonel O'Neil-{Smith} <ret.> said Russian forces attacked Sumy.\n"
)
RTL_TEXT = (
    "Update from Kharkiv \u200f\u202bمرحبا\u202c\u200e 🇺🇦🔥\n"
    "Russian forces attacked Kharkiv overnight, officials said 👍🏽.\n"
    "About 800 troops were deployed near Kupiansk, the ministry reported.\n"
)
# Text the graph must carry exactly as written (file name -> text).
GOOD_EXACT = {
    "good.txt": dispatch("plain"),
    "utf8 bom.md": dispatch("utf-8 with byte-order mark"),
    "rtl and emoji.txt": RTL_TEXT,
    'names <>"{}\\.txt': NAMES_TEXT,
    "spaces 'quotes' \"double\" ünïcödé Київ.txt": dispatch("odd name"),
    "new\nline.txt": dispatch("newline in the name"),
}


def _write_corpus(root: Path) -> dict[str, Any]:
    """Writes the messy folder; returns what a test needs to know about it."""
    root.mkdir()
    for name, text in GOOD_EXACT.items():
        data = text.encode("utf-8")
        (root / name).write_bytes(b"\xef\xbb\xbf" + data if "bom" in name else data)
    (root / "latin-1.txt").write_bytes(dispatch("déjà vu à Kharkiv").encode("latin-1"))
    (root / "windows-1252.txt").write_bytes(dispatch("“quoted” – dash").encode("cp1252"))
    (root / "utf-16.txt").write_bytes(dispatch("utf-16 Київ").encode("utf-16"))
    (root / "utf-16 no bom.txt").write_bytes(dispatch("utf-16-le Київ").encode("utf-16-le"))
    first, second, third, _ = dispatch("mixed line endings").split("\n")
    mixed = f"{first}\r\n{second}\r{third}\n"
    (root / "mixed endings.txt").write_bytes(mixed.encode())
    (root / "controls.txt").write_text(dispatch("bell\x07 and escape\x1b[31m"), encoding="utf-8")
    long_text = "".join(dispatch(f"paragraph {n}") + "\n" for n in range(40))
    (root / "long.txt").write_text(long_text, encoding="utf-8")
    (root / "page.html").write_text(
        "<html><head><title>Kharkiv</title><style>p { color: red }</style>"
        "<script>var secret = 'SCRIPT-TEXT';</script></head><body>"
        f"<p>{dispatch('html')}</p><script>alert('SCRIPT-TEXT')</script></body></html>",
        encoding="utf-8",
    )
    (root / "scripts only.html").write_text(
        "<html><script>document.write('x')</script><style>b{}</style></html>", encoding="utf-8"
    )
    feed = [
        json.dumps({"id": "good-1", "text": dispatch("jsonl one"), "title": 'A "title" <b>'}),
        "{not json",
        json.dumps({"id": "no-text", "title": "a record without text"}),
        json.dumps({"id": "surrogate", "text": dispatch("lone \ud800 surrogate")}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"id": "good-2", "text": dispatch("jsonl two"), "author": "A\nB {C} \\ D"}),
    ]
    (root / "feed.jsonl").write_text(
        "\n".join(feed) + "\n", encoding="utf-8", errors="surrogatepass"
    )
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\t\n \r\n", encoding="utf-8")
    (root / "image.png").write_bytes(png_bytes())
    (root / "image disguised.txt").write_bytes(png_bytes())
    (root / "archive.zip").write_bytes(zip_bytes())
    (root / "archive disguised.txt").write_bytes(zip_bytes())
    (root / "huge one line.txt").write_bytes(b"war " * (5 * 2**20))  # 20 MiB, no line break
    (root / "repeat of good.txt").write_text(dispatch("plain"), encoding="utf-8")
    (root / "locked.txt").write_text(dispatch("locked"), encoding="utf-8")
    (root / "locked folder").mkdir()
    (root / "locked folder" / "inside.txt").write_text(dispatch("inside"), encoding="utf-8")
    (root / "loop").symlink_to(".")
    (root / "ping.txt").symlink_to("pong.txt")
    (root / "pong.txt").symlink_to("ping.txt")
    (root / "dangling.txt").symlink_to("nowhere.txt")
    os.mkfifo(root / "pipe.txt")
    return {"long_chars": len(long_text)}


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`ckg run` over the messy folder, with pieces of 1,000 characters for spaCy."""
    base = tmp_path_factory.mktemp("messy")
    root, out = base / "corpus", base / "out"
    facts = _write_corpus(root)
    with pytest.MonkeyPatch.context() as patch:
        _lock(root / "locked.txt", root / "locked folder", patch)
        result = CliRunner().invoke(
            app, ["run", str(root), "--out", str(out), "--quiet"], env={"CKG_MAX_CHARS": "1000"}
        )
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    records = {record["identifier"]: record for record in run["inputs"]}
    yield {"result": result, "out": out, "run": run, "records": records, **facts}


def _lock(path: Path, folder: Path, patch: pytest.MonkeyPatch) -> None:
    """Unreadable file and folder; as root, where permissions do not bind, by the OS calls."""
    if os.geteuid() != 0:
        path.chmod(0)
        folder.chmod(0)
        return
    real_read_bytes, real_scandir = Path.read_bytes, os.scandir

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    def scandir(where: Any) -> Any:
        if isinstance(where, str | os.PathLike) and Path(where) == folder:
            raise PermissionError(13, "Permission denied", str(where))
        return real_scandir(where)

    patch.setattr(Path, "read_bytes", read_bytes)
    patch.setattr(os, "scandir", scandir)


def _record(messy_run: dict[str, Any], identifier: str) -> dict[str, Any]:
    records = messy_run["records"]
    assert identifier in records, f"{identifier!r} missing from run.json: {sorted(records)}"
    return dict(records[identifier])


def _article_texts(out: Path) -> dict[str, str]:
    """dcterms:identifier -> ckg:text of every article in the store."""
    store = open_store(out / "store")
    query = (
        f"SELECT ?id ?text WHERE {{ GRAPH ?g {{ ?a <{DCTERMS}identifier> ?id ; "
        f"<{CKG}text> ?text }} }}"
    )
    return {row["id"].value: row["text"].value for row in store.query(query)}  # type: ignore[union-attr]


GOOD = [
    *GOOD_EXACT,
    "latin-1.txt",
    "windows-1252.txt",
    "utf-16.txt",
    "utf-16 no bom.txt",
    "mixed endings.txt",
    "controls.txt",
    "long.txt",
    "page.html",
    "feed.jsonl/good-1",
    "feed.jsonl/surrogate",
    "feed.jsonl/good-2",
]
BAD = {
    # identifier: (status, words the reason must contain)
    "empty.txt": ("skipped", "empty file"),
    "blank.md": ("skipped", "empty file"),
    "scripts only.html": ("skipped", "no visible text"),
    "image.png": ("skipped", "unsupported file type '.png'"),
    "archive.zip": ("skipped", "unsupported file type '.zip'"),
    "image disguised.txt": ("failed", "binary file (a PNG image)"),
    "archive disguised.txt": ("failed", "binary file (a zip archive"),
    "huge one line.txt": ("failed", "20.0 MiB is more than the 10 MiB"),
    "repeat of good.txt": ("skipped", "same text as good.txt"),
    "locked.txt": ("failed", "cannot read: Permission denied"),
    "locked folder": ("failed", "cannot list folder: Permission denied"),
    "loop": ("skipped", "symbolic link to the top folder, already read"),
    "ping.txt": ("failed", "symbolic link loop"),
    "pong.txt": ("failed", "symbolic link loop"),
    "dangling.txt": ("failed", "broken symbolic link (points to 'nowhere.txt'"),
    "pipe.txt": ("failed", "not a regular file"),
    "feed.jsonl:2": ("failed", "line 2 is not valid JSON"),
    "feed.jsonl:3": ("failed", 'line 3 has no "text" string'),
    "feed.jsonl:5": ("failed", "line 5 is JSON nested too deeply"),
}


def test_exit_code_says_completed_with_failures(messy_run: dict[str, Any]) -> None:
    result = messy_run["result"]
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert messy_run["run"]["conforms"] is True


def test_every_input_is_accounted_for(messy_run: dict[str, Any]) -> None:
    assert sorted(messy_run["records"]) == sorted([*GOOD, *BAD])
    totals = messy_run["run"]["totals"]
    assert totals["ok"] == len(GOOD)
    assert totals["ok"] + totals["skipped"] + totals["failed"] == len(GOOD) + len(BAD)


@pytest.mark.parametrize("identifier", GOOD)
def test_good_article_is_processed_and_in_the_graph(
    messy_run: dict[str, Any], identifier: str
) -> None:
    record = _record(messy_run, identifier)
    assert record["status"] == "ok", record
    assert record["counts"]["quantities"] >= 1, record
    assert identifier in _article_texts(messy_run["out"])


@pytest.mark.parametrize(("identifier", "expected"), BAD.items())
def test_bad_input_is_explained(
    messy_run: dict[str, Any], identifier: str, expected: tuple[str, str]
) -> None:
    record = _record(messy_run, identifier)
    status, reason = expected
    assert record["status"] == status, record
    assert reason in record["reason"], record


@pytest.mark.parametrize("identifier", list(GOOD_EXACT))
def test_text_is_kept_exactly(messy_run: dict[str, Any], identifier: str) -> None:
    texts = _article_texts(messy_run["out"])
    assert texts[identifier] == GOOD_EXACT[identifier]
    assert _record(messy_run, identifier)["reason"] == ""  # nothing changed, nothing to report


@pytest.mark.parametrize(
    ("identifier", "note", "in_text"),
    [
        ("latin-1.txt", "decoded as Windows-1252", "déjà vu à Kharkiv"),
        ("windows-1252.txt", "decoded as Windows-1252", "“quoted” – dash"),
        ("utf-16.txt", "decoded as UTF-16", "utf-16 Київ"),
        ("utf-16 no bom.txt", "UTF-16 (no byte-order mark)", "utf-16-le Київ"),
        ("controls.txt", "(U+0007, U+001B) replaced by U+FFFD", "bell\ufffd and escape\ufffd[31m"),
        ("feed.jsonl/surrogate", "U+D800", "lone \ufffd surrogate"),
    ],
)
def test_changed_text_is_reported(
    messy_run: dict[str, Any], identifier: str, note: str, in_text: str
) -> None:
    assert note in _record(messy_run, identifier)["reason"]
    assert in_text in _article_texts(messy_run["out"])[identifier]


def test_line_endings_become_lf(messy_run: dict[str, Any]) -> None:
    text = _article_texts(messy_run["out"])["mixed endings.txt"]
    assert text == dispatch("mixed line endings")


def test_html_scripts_and_styles_are_not_text(messy_run: dict[str, Any]) -> None:
    text = _article_texts(messy_run["out"])["page.html"]
    assert "SCRIPT-TEXT" not in text and "color: red" not in text
    assert "About 1,200 troops" in text


def test_long_text_is_split_and_processed_whole(messy_run: dict[str, Any]) -> None:
    """40 paragraphs in pieces of at most 1,000 characters: facts from every piece."""
    assert messy_run["long_chars"] > 5_000
    record = _record(messy_run, "long.txt")
    assert record["counts"]["quantities"] >= 40
    store = open_store(messy_run["out"] / "store")
    query = (
        f"SELECT ?begin ?end ?anchor ?text WHERE {{ GRAPH ?g {{ ?a <{DCTERMS}identifier> "
        f'"long.txt" ; <{CKG}text> ?text . ?q a <{CKG}Quantity> ; <{CKG}reportedIn> ?a ; '
        f"<{CKG}beginIndex> ?begin ; <{CKG}endIndex> ?end ; <{CKG}anchorOf> ?anchor }} }}"
    )
    rows = list(store.query(query))  # type: ignore[arg-type]
    assert max(int(row["begin"].value) for row in rows) > messy_run["long_chars"] - 1_000
    for row in rows:  # offsets index the whole article, not the piece
        begin, end = int(row["begin"].value), int(row["end"].value)
        assert row["text"].value[begin:end] == row["anchor"].value


def test_outputs_parse_and_iris_are_safe(messy_run: dict[str, Any]) -> None:
    out = messy_run["out"]
    trig = list(parse(path=str(out / "graph.trig"), format=RdfFormat.TRIG))
    turtle = list(parse(path=str(out / "graph.ttl"), format=RdfFormat.TURTLE))
    assert trig and turtle
    store = Store()
    store.load(path=str(out / "graph.trig"), format=RdfFormat.TRIG)
    assert len(store) == len(open_store(out / "store"))
    for quad in store:
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, NamedNode) and "/conflict-kg/id/" in term.value:
                assert ARTICLE_IRI.match(term.value), term


def test_syntax_characters_survive_as_literals(messy_run: dict[str, Any]) -> None:
    store = open_store(messy_run["out"] / "store")
    values = {quad.object.value for quad in store if isinstance(quad.object, Literal)}
    assert 'A "title" <b>' in values
    assert "A\nB {C} \\ D" in values
    assert 'names <>"{}\\.txt' in values
    assert "new\nline.txt" in values


def test_validate_command_agrees(messy_run: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["validate", str(messy_run["out"] / "graph.trig")])
    assert result.exit_code == 0, result.output
    assert "Conforms" in result.output


# ---------------------------------------------------------------- texts longer than a piece


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("one line without any break " * 200, 1000),
        ("Para one.\n\nPara two is here.\n" * 300, 1000),
        ("x" * 5000, 1000),
        ("short", 1000),
    ],
    ids=["one-line", "paragraphs", "no-break-at-all", "short"],
)
def test_split_text_covers_the_text_in_bounded_pieces(text: str, limit: int) -> None:
    from etl.nlp import split_text

    pieces = split_text(text, limit)
    assert "".join(text[b:e] for b, e in pieces) == text
    assert all(0 < e - b <= limit for b, e in pieces)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))


def test_text_beyond_spacy_max_length_is_processed(
    nlp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """spaCy refuses texts over nlp.max_length (E088); pieces keep under it."""
    from etl.model import Document
    from etl.nlp import pipe_documents

    text = "".join(dispatch(f"part {n}") + "\n" for n in range(30))
    document = Document(id="x", identifier="long.txt", text=text, regions=((0, len(text)),))
    monkeypatch.setattr(nlp, "max_length", 2_000)
    with pytest.raises(ValueError, match="E088"):
        nlp(text)
    ((doc, same),) = list(pipe_documents(nlp, [document], batch_size=4, max_chars=200_000))
    assert same is document
    assert doc.text == text
    places = [ent for ent in doc.ents if ent.text == "Kharkiv"]
    assert len(places) == 30
    assert all(text[e.start_char : e.end_char] == "Kharkiv" for e in places)
