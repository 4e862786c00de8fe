"""Unit tests for etl/ingest.py: paths -> Document | Rejected.

Every input is built in tmp_path; no spaCy model is loaded.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from etl.ingest import Rejected, decode, parse_date, read_file, read_sources
from etl.model import Document

# ---------------------------------------------------------------- helpers


def only_document(path: Path) -> Document:
    results = list(read_file(path))
    assert len(results) == 1, results
    assert isinstance(results[0], Document), results[0]
    return results[0]


def span_of(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    begin = text.index(needle, start)
    return begin, begin + len(needle)


def inside_a_region(doc: Document, begin: int, end: int) -> bool:
    return any(b <= begin and end <= e for b, e in doc.regions)


def touches_a_region(doc: Document, begin: int, end: int) -> bool:
    return any(b < end and begin < e for b, e in doc.regions)


def check_regions(doc: Document) -> None:
    """Regions are non-empty, in order, do not overlap and slice real text."""
    previous_end = 0
    for begin, end in doc.regions:
        assert 0 <= previous_end <= begin < end <= len(doc.text), doc.regions
        assert doc.text[begin:end] in doc.text
        previous_end = end


def check_mask(doc: Document) -> None:
    """masked_text keeps region characters and newlines, blanks everything else."""
    masked = doc.masked_text()
    assert len(masked) == len(doc.text)
    for i, (original, shown) in enumerate(zip(doc.text, masked, strict=True)):
        if inside_a_region(doc, i, i + 1) or original == "\n":
            assert shown == original, (i, original, shown)
        else:
            assert shown == " ", (i, original, shown)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- plain text

TITLE = "Zelensky says 11,000 North Korean troops are in Kursk"
BODY_1 = "President Volodymyr Zelensky said about 11,000 North Korean troops were in Kursk."
BODY_2 = "The deployment began in October, officials said."
PLAIN = (
    f"{TITLE}\n2024-11-12\nAuthor: Jane Doe\n\n{BODY_1}\n{BODY_2}\n\nOriginal Source: example.org\n"
)


def test_txt_header_lines_become_metadata(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.txt"
    path.write_text(PLAIN, encoding="utf-8")
    doc = only_document(path)

    assert doc.identifier == "dispatch.txt"
    assert doc.path == str(path)
    assert doc.title == TITLE
    assert doc.issued == date(2024, 11, 12)
    assert doc.creator == "Jane Doe"
    assert doc.source == "example.org"
    assert doc.text == PLAIN  # nothing cut
    assert doc.id == sha(PLAIN)


def test_txt_regions_leave_out_metadata_but_keep_title_and_body(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.txt"
    path.write_text(PLAIN, encoding="utf-8")
    doc = only_document(path)
    check_regions(doc)

    for metadata in ("2024-11-12", "Author: Jane Doe", "Original Source: example.org"):
        assert not touches_a_region(doc, *span_of(doc.text, metadata)), metadata
    for readable in (TITLE, BODY_1, BODY_2):
        assert inside_a_region(doc, *span_of(doc.text, readable)), readable
    # regions are exactly the three readable lines
    assert [doc.text[b:e] for b, e in doc.regions] == [TITLE, BODY_1, BODY_2]


def test_masked_text_blanks_exactly_what_is_outside_regions(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.txt"
    path.write_text(PLAIN, encoding="utf-8")
    doc = only_document(path)
    check_mask(doc)
    masked = doc.masked_text()
    assert "Jane Doe" not in masked
    assert "example.org" not in masked
    assert "2024-11-12" not in masked
    assert masked.count("\n") == PLAIN.count("\n")
    begin, end = span_of(doc.text, BODY_1)
    assert masked[begin:end] == BODY_1


def test_masked_text_with_no_regions_is_blank() -> None:
    doc = Document(id="x", identifier="x", text="ab\ncd", regions=())
    assert doc.masked_text() == "  \n  "
    doc = Document(id="x", identifier="x", text="ab\ncd", regions=((3, 4),))
    assert doc.masked_text() == "  \nc "


def test_paywall_lines_left_out_and_offsets_unchanged(tmp_path: Path) -> None:
    paywall = [
        "Subscribe to continue reading.",
        "Already a subscriber? Log in.",
        "Thank you for your patience while we verify access.",
    ]
    first = "Russian forces advanced near Pokrovsk on Monday, the General Staff said."
    second = "At least 40 soldiers were killed in the fighting, officials reported."
    text = "\n".join([first, paywall[0], paywall[1], second, paywall[2], ""])
    path = tmp_path / "paywalled.txt"
    path.write_text(text, encoding="utf-8")
    doc = only_document(path)
    check_regions(doc)
    check_mask(doc)

    assert doc.text == text
    for line in paywall:
        assert not touches_a_region(doc, *span_of(text, line)), line
    for line in (first, second):
        begin, end = span_of(text, line)
        assert inside_a_region(doc, begin, end), line
        assert doc.text[begin:end] == line
    # the regions are the two article lines at their offsets in the file
    assert doc.regions == (span_of(text, first), span_of(text, second))


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_endings_normalised_and_id_is_sha256(tmp_path: Path, newline: str) -> None:
    lines = [TITLE, "2024-11-12", BODY_1, BODY_2, ""]
    lf_text = "\n".join(lines)
    (tmp_path / "lf.txt").write_bytes(lf_text.encode("utf-8"))
    (tmp_path / "other.txt").write_bytes(newline.join(lines).encode("utf-8"))
    lf = only_document(tmp_path / "lf.txt")
    other = only_document(tmp_path / "other.txt")

    assert "\r" not in other.text
    assert other.text == lf_text
    assert other.id == hashlib.sha256(lf_text.encode("utf-8")).hexdigest()
    assert other.id == lf.id
    assert other.regions == lf.regions
    assert other.issued == date(2024, 11, 12)


def test_text_is_nfc_normalised(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301 owners in Kharkiv said 3 shells hit the market."
    path = tmp_path / "nfc.txt"
    path.write_text(decomposed, encoding="utf-8")
    doc = only_document(path)
    assert doc.text == "Café owners in Kharkiv said 3 shells hit the market."
    assert doc.id == sha(doc.text)


def test_sentence_starting_with_by_is_not_a_byline(tmp_path: Path) -> None:
    sentence = "By Monday, Russian troops had entered the outskirts of Kupiansk."
    text = f"Russian forces press on Kupiansk\n{sentence}\nHeavy fighting was reported.\n"
    path = tmp_path / "by.txt"
    path.write_text(text, encoding="utf-8")
    doc = only_document(path)
    assert doc.creator is None
    assert inside_a_region(doc, *span_of(text, sentence))


def test_by_line_byline_is_creator(tmp_path: Path) -> None:
    text = f"{TITLE}\nBy Jane Doe\n{BODY_1}\n"
    path = tmp_path / "byline.txt"
    path.write_text(text, encoding="utf-8")
    doc = only_document(path)
    assert doc.creator == "Jane Doe"
    assert not touches_a_region(doc, *span_of(text, "By Jane Doe"))


# ---------------------------------------------------------------- markdown

MARKDOWN = (
    "# Kursk deployment grows\n\nOfficials called it a **bold** move, see the [report](http://x).\n"
)


def test_markdown_heading_is_title_and_markup_is_blanked(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = only_document(path)
    check_regions(doc)
    check_mask(doc)

    assert doc.title == "Kursk deployment grows"
    assert doc.text == MARKDOWN  # markup kept in text
    assert "**bold**" in doc.text
    assert "[report](http://x)" in doc.text

    masked = doc.masked_text()
    assert "**" not in masked
    assert "[" not in masked and "]" not in masked
    assert "http://x" not in masked
    assert "#" not in masked
    begin, end = span_of(doc.text, "bold")
    assert masked[begin:end] == "bold"
    begin, end = span_of(doc.text, "report")
    assert masked[begin:end] == "report"
    begin, end = span_of(doc.text, "Kursk deployment grows")
    assert masked[begin:end] == "Kursk deployment grows"
    assert masked.startswith("  Kursk deployment grows\n")


def test_markdown_suffix_variant(tmp_path: Path) -> None:
    path = tmp_path / "story.markdown"
    path.write_text(MARKDOWN, encoding="utf-8")
    assert only_document(path).title == "Kursk deployment grows"


# ---------------------------------------------------------------- html

HTML = """<!doctype html>
<html>
<head>
  <title>Kursk
     deployment grows</title>
  <meta name="author" content="Jane Doe">
  <meta property="og:site_name" content="Example News">
</head>
<body>
  <nav>Home | World | SECRETNAV</nav>
  <style>.lead { color: SECRETSTYLE; }</style>
  <article>
    <time datetime="2024-11-12">Tuesday</time>
    <p>About 11,000 North Korean troops are in Kursk, Zelensky said.</p>
    <script>var tracker = "SECRETSCRIPT";</script>
    <p>Fighting continued &amp; intensified near Sudzha.</p>
  </article>
  <footer>Copyright SECRETFOOTER</footer>
</body>
</html>
"""


def test_html_visible_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    doc = only_document(path)
    check_regions(doc)

    assert doc.title == "Kursk deployment grows"
    assert doc.creator == "Jane Doe"
    assert doc.issued == date(2024, 11, 12)
    assert doc.source == "Example News"
    for hidden in ("SECRETNAV", "SECRETSTYLE", "SECRETSCRIPT", "SECRETFOOTER", "tracker", "<p>"):
        assert hidden not in doc.text, hidden
    assert "About 11,000 North Korean troops are in Kursk, Zelensky said." in doc.text
    assert "Fighting continued & intensified near Sudzha." in doc.text
    assert inside_a_region(doc, *span_of(doc.text, "About 11,000 North Korean troops"))
    assert doc.id == sha(doc.text)


def test_html_published_time_meta_gives_issued(tmp_path: Path) -> None:
    markup = (
        "<html><head><title>T</title>"
        '<meta property="article:published_time" content="2024-03-05T08:30:00Z">'
        "</head><body><p>Troops advanced near Avdiivka.</p></body></html>"
    )
    path = tmp_path / "page.htm"
    path.write_text(markup, encoding="utf-8")
    doc = only_document(path)
    assert doc.issued == date(2024, 3, 5)
    assert doc.text == "Troops advanced near Avdiivka."


def test_html_svg_title_does_not_pollute_page_title(tmp_path: Path) -> None:
    markup = (
        "<html><head><title>Kursk deployment</title></head><body>"
        "<p>Troops are in Kursk.</p>"
        "<a><svg><title>Share on X</title></svg></a></body></html>"
    )
    path = tmp_path / "svg.html"
    path.write_text(markup, encoding="utf-8")
    assert only_document(path).title == "Kursk deployment"


def test_html_without_head_end_tag_keeps_body(tmp_path: Path) -> None:
    markup = (
        "<html><head><title>Kursk</title>"
        "<body><p>About 11,000 troops are in Kursk.</p></body></html>"
    )
    path = tmp_path / "nohead.html"
    path.write_text(markup, encoding="utf-8")
    doc = only_document(path)
    assert "About 11,000 troops are in Kursk." in doc.text


# ---------------------------------------------------------------- jsonl


def test_jsonl_lines(tmp_path: Path) -> None:
    lines = [
        '{"id": "a1", "text": "Troops advanced near Pokrovsk.", "title": "Pokrovsk",'
        ' "date": "2024-11-12", "url": "https://example.org/a", "author": "Jane Doe"}',
        "{not json",
        '{"title": "no text here"}',
        '{"id": "a4", "text": "   "}',
        "",
        '{"text": "Shelling hit Kharkiv overnight."}',
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(read_file(path))

    assert len(results) == 5
    first, bad_json, no_text, empty, no_id = results

    assert isinstance(first, Document)
    assert first.identifier == "feed.jsonl/a1"
    assert first.text == "Troops advanced near Pokrovsk."
    assert first.title == "Pokrovsk"
    assert first.issued == date(2024, 11, 12)
    assert first.source == "https://example.org/a"
    assert first.creator == "Jane Doe"
    assert first.id == sha(first.text)
    assert first.path == str(path)

    assert isinstance(bad_json, Rejected)
    assert bad_json.status == "failed"
    assert "line 2" in bad_json.reason
    assert "2" in bad_json.identifier

    assert isinstance(no_text, Rejected)
    assert no_text.status == "failed"
    assert "line 3" in no_text.reason
    assert "text" in no_text.reason

    assert isinstance(empty, Rejected)
    assert empty.status == "skipped"
    assert "line 4" in empty.reason

    # processed although earlier lines were bad; identifier falls back to the line number
    assert isinstance(no_id, Document)
    assert no_id.identifier == "feed.jsonl/6"
    assert no_id.text == "Shelling hit Kharkiv overnight."
    assert no_id.title is None and no_id.issued is None


def test_jsonl_text_with_crlf_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"id": 7, "text": "Line one.\\r\\nLine two."}\r\n')
    (doc,) = list(read_file(path))
    assert isinstance(doc, Document)
    assert doc.identifier == "feed.jsonl/7"
    assert doc.text == "Line one.\nLine two."


def test_jsonl_non_object_line_fails(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('["text", "a list"]\n', encoding="utf-8")
    (rejected,) = list(read_file(path))
    assert isinstance(rejected, Rejected)
    assert rejected.status == "failed"
    assert "line 1" in rejected.reason


# ---------------------------------------------------------------- decode


def test_decode_strips_utf8_bom() -> None:
    text, note = decode(codecs.BOM_UTF8 + "café".encode())
    assert text == "café"
    assert note is None


def test_decode_plain_utf8_has_no_note() -> None:
    assert decode("Київ".encode()) == ("Київ", None)


@pytest.mark.parametrize(
    "data",
    [
        "Київ café".encode("utf-16"),  # with the platform's BOM
        codecs.BOM_UTF16_LE + "Київ café".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Київ café".encode("utf-16-be"),
    ],
    ids=["native", "le", "be"],
)
def test_decode_utf16_with_bom(data: bytes) -> None:
    text, note = decode(data)
    assert text == "Київ café"
    assert note is not None and "UTF-16" in note


def test_decode_windows_1252() -> None:
    text, note = decode(b"caf\xe9 \x93quoted\x94")
    assert text == "café “quoted”"
    assert note is not None and "Windows-1252" in note


def test_decode_binary_raises() -> None:
    with pytest.raises(ValueError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_binary_file_is_rejected_as_failed(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"abc\x00def")
    (rejected,) = list(read_file(path))
    assert isinstance(rejected, Rejected)
    assert rejected.status == "failed"
    assert "binary" in rejected.reason


def test_windows_1252_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"Troops in Kursk\n\x93About 11,000\x94 troops, officials said.\n")
    doc = only_document(path)
    assert doc.text == "Troops in Kursk\n“About 11,000” troops, officials said.\n"


# ---------------------------------------------------------------- read_sources


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_folder_walked_recursively_sorted_hidden_ignored_unsupported_reported(
    tmp_path: Path,
) -> None:
    root = tmp_path / "corpus"
    _write(root / "b.txt", "Shelling hit Kharkiv.\n")
    _write(root / "a.md", "# Heading\n\nTroops advanced.\n")
    _write(root / "sub" / "c.html", "<p>Drones struck Odesa.</p>")
    _write(root / "sub" / "deeper" / "d.jsonl", '{"id": "x", "text": "Fighting in Kupiansk."}\n')
    _write(root / ".hidden.txt", "should not be read\n")
    _write(root / ".git" / "e.txt", "should not be read\n")
    _write(root / "sub" / ".cache" / "f.txt", "should not be read\n")
    _write(root / "notes.pdf", "not an article\n")
    _write(root / "README", "no suffix\n")

    everything = list(read_sources([root]))
    unsupported = [r for r in everything if isinstance(r, Rejected)]
    assert [(r.identifier, r.status) for r in unsupported] == [
        ("README", "skipped"),
        ("notes.pdf", "skipped"),
    ]
    assert "no file extension" in unsupported[0].reason
    assert "'.pdf'" in unsupported[1].reason
    results = [r for r in everything if isinstance(r, Document)]
    assert [r.identifier for r in results] == [
        "a.md",
        "b.txt",
        "sub/c.html",
        "sub/deeper/d.jsonl/x",
    ]
    assert results[2].text == "Drones struck Odesa."
    assert results[1].path == str(root / "b.txt")


def test_ckgignore_in_folder(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write(root / ".ckgignore", "# not articles\ngold/\nREADME.md\n*.draft.txt\n")
    _write(root / "README.md", "# About this folder\n\nNot an article.\n")
    _write(root / "gold" / "facts.jsonl", '{"text": "gold"}\n')
    _write(root / "one.draft.txt", "Draft.\n")
    _write(root / "one.txt", "Shelling hit Kharkiv.\n")
    _write(root / "sub" / "two.md", "# Heading\n\nDrones struck Odesa.\n")
    results = list(read_sources([root]))
    assert [r.identifier for r in results] == ["one.txt", "sub/two.md"]


def test_named_unsupported_file_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.pdf", "not an article\n")
    (rejected,) = list(read_sources([path]))
    assert isinstance(rejected, Rejected)
    assert rejected.status == "skipped"
    assert rejected.identifier == "notes.pdf"
    assert ".pdf" in rejected.reason


def test_empty_file_is_skipped(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = _write(tmp_path / "blank.md", " \n\n\t\n")
    results = list(read_sources([empty, blank]))
    assert all(isinstance(r, Rejected) for r in results), results
    assert [(r.identifier, r.status) for r in results if isinstance(r, Rejected)] == [
        ("empty.txt", "skipped"),
        ("blank.md", "skipped"),
    ]
    assert all(isinstance(r, Rejected) and "empty" in r.reason for r in results)


def test_missing_path_fails(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    good = _write(tmp_path / "good.txt", "Shelling hit Kharkiv.\n")
    results = list(read_sources([missing, good]))
    assert len(results) == 2
    rejected, doc = results
    assert isinstance(rejected, Rejected)
    assert rejected.status == "failed"
    assert "no such file" in rejected.reason
    assert isinstance(doc, Document)  # the batch goes on


def test_unreadable_file_fails(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: root can read a chmod 000 file")
    path = _write(tmp_path / "locked.txt", "Shelling hit Kharkiv.\n")
    path.chmod(0)
    try:
        (rejected,) = list(read_sources([path]))
    finally:
        path.chmod(0o644)
    assert isinstance(rejected, Rejected)
    assert rejected.status == "failed"
    assert rejected.identifier == "locked.txt"


def test_read_error_becomes_failed_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as the chmod test, reachable as root: read_bytes raises an OSError."""
    path = _write(tmp_path / "locked.txt", "Shelling hit Kharkiv.\n")
    good = _write(tmp_path / "good.txt", "Drones struck Odesa.\n")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    rejected, doc = list(read_sources([path, good]))
    assert isinstance(rejected, Rejected)
    assert rejected.status == "failed"
    assert "Permission denied" in rejected.reason
    assert isinstance(doc, Document) and doc.text == "Drones struck Odesa.\n"


# ---------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2024-11-12",
        "November 12, 2024",
        "12 November 2024",
        "Nov 12, 2024",
        "  2024-11-12  ",
        "2024-11-12T08:30:00Z",
    ],
)
def test_parse_date_accepts(text: str) -> None:
    assert parse_date(text) == date(2024, 11, 12)


@pytest.mark.parametrize("text", ["yesterday", "", "2024-13-01", "November 2024", "12/11/2024"])
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


def test_a_name_two_folders_share_is_kept_by_the_first_the_second_by_its_path(
    tmp_path: Path,
) -> None:
    for folder, text in (("a", "About 300 soldiers were killed."), ("b", "Kursk was shelled.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(text)
    documents = list(read_sources([tmp_path / "a", tmp_path / "b"]))
    identifiers = [d.identifier for d in documents if isinstance(d, Document)]
    assert identifiers == ["report.txt", (tmp_path / "b" / "report.txt").as_posix()]
