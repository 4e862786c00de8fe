"""Read articles from files and folders: paths -> Iterator[Document | Rejected].

Formats: `.txt`, `.md`, `.html`/`.htm` (visible text only) and `.jsonl` (one
article per line). Every input is accounted for: what cannot be read comes out
as a `Rejected` record with a reason a person understands, never an exception
that stops the batch.

Nothing is cut from an article's text, so offsets stay those of the article:
header lines that become metadata and lines of site boilerplate are simply
left out of `Document.regions`, the stretches extraction reads.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar, Literal

from .model import Document
from .text import clean, clean_name, decode, normalise, sha256

__all__ = ["Rejected", "decode", "expand", "normalise", "read_file", "read_sources", "sha256"]

SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
}
# One article is at most this large; spaCy would take minutes per megabyte beyond it, and
# a bigger single file is a dump, not an article. A .jsonl file holds many articles.
MAX_ARTICLE_BYTES = 10 * 2**20
MAX_BYTES = 50 * 2**20  # a .jsonl file


@dataclass(frozen=True)
class Rejected:
    """An input that produced no document: `skipped` (nothing to do) or `failed` (an error)."""

    identifier: str
    status: Literal["skipped", "failed"]
    reason: str
    path: str | None = None


# ---------------------------------------------------------------- header lines and boilerplate

_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y")
# "Author: …" always; "By …" only when a short run of capitalised name words follows,
# so "By Monday, Russian troops had …" stays reporting.
_AUTHOR = re.compile(
    r"^\s*(?:author\s*:\s*(?P<name>\S.{0,120}?)"
    r"|by\s+(?P<byline>(?:[A-Z][\w.'’-]*\s*){1,4}(?:(?:and|&)\s+(?:[A-Z][\w.'’-]*\s*){1,4})?))\s*$",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^\s*(?:original\s+)?source\s*:\s*(?P<src>\S.{0,300}?)\s*$", re.IGNORECASE)
# Prompts that news sites put around an article; they carry no reporting.
_BOILERPLATE = re.compile(
    r"\bsubscri(?:be|bed|ption)\b|reader mode|cancel any ?time"
    r"|(?:check|verify)(?:ing)? (?:the |your )?access|patience while we"
    r"|\b(?:log|sign) ?in(?: here| now)?\s*[.!?]?\s*$|\b(?:log|sign) ?in to (?:continue|read)"
    r"|already (?:a )?(?:subscriber|member|registered)"
    r"|(?:unlimited|digital) access|create a free account|^\s*advertisement\s*$"
    r"|this (?:article|content) is (?:for|only available to) subscribers"
    r"|enable javascript|accept (?:all )?cookies",
    re.IGNORECASE,
)
# Prompts are short; a long line that mentions subscribing is reporting.
_BOILERPLATE_MAX_CHARS = 200


# A publication date outside these years is a typo or a fabricated header; relative
# times ("yesterday", "last year") are resolved against it and would leave the calendar.
_PLAUSIBLE_YEARS = range(1800, 2200)


def parse_date(text: str) -> date | None:
    """A publication date in one of the usual forms, or None (also for implausible years)."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed if parsed.year in _PLAUSIBLE_YEARS else None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.+\-Z]+", text):
        return parse_date(text[:10])
    return None


def _lines(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each line, without its newline."""
    spans, start = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _looks_like_title(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= 160 and not stripped.endswith((".", "!", "?", "”", '"', ":"))


@dataclass
class _Header:
    title: str | None = None
    issued: date | None = None
    creator: str | None = None
    source: str | None = None


def split_header(text: str, lines: list[tuple[int, int]]) -> tuple[_Header, set[int]]:
    """Metadata from leading and trailing lines; returns the indexes of lines to leave out.

    The title line stays readable (headlines carry facts); date, author and
    source lines are metadata only.
    """
    header, metadata_lines = _Header(), set()
    content = [i for i, (b, e) in enumerate(lines) if text[b:e].strip()]
    for position, i in enumerate(content[:5]):
        line = text[lines[i][0] : lines[i][1]]
        if header.issued is None and (issued := parse_date(line)):
            header.issued = issued
            metadata_lines.add(i)
        elif header.creator is None and (author := _AUTHOR.match(line)) and _is_byline(author):
            header.creator = (author.group("name") or author.group("byline")).strip()
            metadata_lines.add(i)
        elif position == 0 and len(content) > 1 and _looks_like_title(line):
            header.title = line.strip()
    for i in content[-3:]:
        line = text[lines[i][0] : lines[i][1]]
        if source := _SOURCE.match(line):
            header.source = source.group("src")
            metadata_lines.add(i)
    return header, metadata_lines


def _is_byline(match: re.Match[str]) -> bool:
    if match.group("name"):
        return True
    words = match.group("byline").split()
    # IGNORECASE lets the pattern accept lower-case words; a byline has capitals only.
    return all(w[0].isupper() or w in {"and", "&"} for w in words)


def boilerplate_lines(text: str, lines: list[tuple[int, int]]) -> set[int]:
    return {
        i
        for i, (b, e) in enumerate(lines)
        if e - b <= _BOILERPLATE_MAX_CHARS and _BOILERPLATE.search(text[b:e])
    }


def _regions(lines: list[tuple[int, int]], left_out: set[int]) -> tuple[tuple[int, int], ...]:
    return tuple((b, e) for i, (b, e) in enumerate(lines) if i not in left_out and e > b)


# ---------------------------------------------------------------- formats


def _plain_document(identifier: str, text: str, path: str | None, **meta: object) -> Document:
    """A text article: header lines become metadata, boilerplate lines are left out."""
    text, notes = clean(text)
    lines = _lines(text)
    header, metadata_lines = split_header(text, lines)
    left_out = metadata_lines | boilerplate_lines(text, lines)
    fields: dict[str, object] = {
        "title": header.title,
        "issued": header.issued,
        "creator": header.creator,
        "source": header.source,
    }
    fields.update({k: v for k, v in meta.items() if v})
    for key, value in fields.items():
        if isinstance(value, str):
            fields[key] = normalise(value).strip() or None
    return Document(
        id=sha256(text),
        identifier=identifier,
        text=text,
        regions=_regions(lines, left_out),
        path=path,
        notes=notes,
        **fields,  # type: ignore[arg-type]
    )


_MARKDOWN_SYNTAX = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)"  # heading, quote and list markers
    r"|\*\*|__|`+|!?\[|\]\([^)\n]*\)",  # emphasis, code, link brackets and targets
    re.MULTILINE,
)


def _markdown_document(identifier: str, text: str, path: str | None) -> Document:
    plain = _plain_document(identifier, text, path)
    heading = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", plain.text, re.MULTILINE)
    # Markup is blanked out of the readable regions, so offsets stay the file's.
    regions: list[tuple[int, int]] = []
    for begin, end in plain.regions:
        cursor = begin
        for match in _MARKDOWN_SYNTAX.finditer(plain.text, begin, end):
            if match.start() > cursor:
                regions.append((cursor, match.start()))
            cursor = match.end()
        if cursor < end:
            regions.append((cursor, end))
    title = heading.group(1).strip() if heading else plain.title
    return Document(
        id=plain.id,
        identifier=identifier,
        text=plain.text,
        regions=tuple(regions),
        title=title,
        issued=plain.issued,
        creator=plain.creator,
        source=plain.source,
        path=path,
        notes=plain.notes,
    )


class _VisibleText(HTMLParser):
    """Collects the text a reader sees; drops scripts, styles, navigation and forms."""

    HIDDEN: ClassVar[set[str]] = {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "nav",
        "footer",
        "form",
        "button",
        "svg",
        "iframe",
        "aside",
    }
    BLOCK: ClassVar[set[str]] = {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "article",
        "section",
        "header",
        "blockquote",
        "figcaption",
        "pre",
        "table",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0
        self.meta: dict[str, str] = {}
        self._in_title = False
        self._in_svg = 0
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = attributes.get("name") or attributes.get("property") or ""
            self.meta[key.lower()] = attributes.get("content", "")
        elif tag == "time" and "datetime" in attributes:
            self.meta.setdefault("time", attributes["datetime"])
        if tag == "title" and not self.title and not self._in_svg:
            self._in_title = True
        if tag == "svg":
            self._in_svg += 1
        if tag == "body":
            self.hidden_depth = 0  # a page that never closes <head> still shows its body
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "svg":
            self._in_svg = max(0, self._in_svg - 1)
        if tag in self.HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if not self.hidden_depth:
            self.parts.append(data)

    def text(self) -> str:
        joined = re.sub(r"[ \t\r\f\v]+", " ", "".join(self.parts))
        lines = (line.strip() for line in joined.split("\n"))
        return "\n".join(line for line in lines if line)


def _html_document(identifier: str, markup: str, path: str | None) -> Document:
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    meta = parser.meta
    issued = parse_date(
        meta.get("article:published_time", "") or meta.get("date", "") or meta.get("time", "")
    )
    return _plain_document(
        identifier,
        parser.text(),
        path,
        title=" ".join(parser.title.split()) or None,
        issued=issued,
        creator=meta.get("author"),
        source=meta.get("og:site_name") or meta.get("og:url"),
    )


def _jsonl_documents(name: str, text: str, path: str | None) -> Iterator[Document | Rejected]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(where, "failed", f"line {number} is not valid JSON ({exc.msg})", path)
            continue
        except RecursionError:
            yield Rejected(where, "failed", f"line {number} is JSON nested too deeply", path)
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Rejected(where, "failed", f'line {number} has no "text" string', path)
            continue
        if not record["text"].strip():
            yield Rejected(where, "skipped", f"line {number} has an empty text", path)
            continue
        if len(record["text"]) > MAX_ARTICLE_BYTES:
            yield Rejected(where, "failed", f"line {number}: {_too_large(record['text'])}", path)
            continue
        identifier = clean_name(f"{name}/{record.get('id') or number}")
        yield _plain_document(
            identifier,
            record["text"],
            path,
            title=_str(record.get("title")),
            issued=parse_date(_str(record.get("date")) or ""),
            creator=_str(record.get("author")),
            source=_str(record.get("url")),
        )


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# ---------------------------------------------------------------- files and folders


def _too_large(size_or_text: int | str) -> str:
    size = size_or_text if isinstance(size_or_text, int) else len(size_or_text)
    return (
        f"{size / 2**20:.1f} MiB is more than the {MAX_ARTICLE_BYTES // 2**20} MiB one article "
        "may have; split it into articles (a .jsonl file holds one per line)"
    )


def _size_problem(path: Path, kind: str) -> str | None:
    """Why a file cannot be read as an article before reading it, or None."""
    if not path.is_file():
        return "not a regular file (a device, a pipe or a folder)"
    size = path.stat().st_size
    if kind == "jsonl" and size > MAX_BYTES:
        return f"larger than {MAX_BYTES // 2**20} MiB; split the .jsonl file"
    if kind != "jsonl" and size > MAX_ARTICLE_BYTES:
        return _too_large(size)
    return None


def read_file(path: Path, identifier: str | None = None) -> Iterator[Document | Rejected]:
    """One file -> its documents, or a Rejected record saying why there are none."""
    name = clean_name(identifier or path.name)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        yield Rejected(name, "skipped", _unsupported(path), str(path))
        return
    try:
        if problem := _size_problem(path, kind):
            yield Rejected(name, "failed", problem, str(path))
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield Rejected(name, "failed", f"cannot read: {exc.strerror or exc}", str(path))
        return
    try:
        text, note = decode(raw)
    except ValueError as exc:
        yield Rejected(name, "failed", str(exc), str(path))
        return
    if not text.strip():
        yield Rejected(name, "skipped", "empty file", str(path))
        return
    for item in _documents(kind, name, text, str(path)):
        if isinstance(item, Document) and not item.text.strip():
            yield Rejected(item.identifier, "skipped", "no visible text", str(path))
        elif isinstance(item, Document) and note:
            yield replace(item, notes=(note, *item.notes))
        else:
            yield item


def _unsupported(path: Path) -> str:
    readable = " ".join(sorted(SUFFIXES))
    if not path.suffix:
        return f"no file extension; conflict-kg reads {readable}"
    return f"unsupported file type {path.suffix!r}; conflict-kg reads {readable}"


def _documents(kind: str, name: str, text: str, path: str) -> Iterator[Document | Rejected]:
    if kind == "jsonl":
        yield from _jsonl_documents(name, text, path)
    elif kind == "html":
        yield _html_document(name, text, path)
    elif kind == "markdown":
        yield _markdown_document(name, text, path)
    else:
        yield _plain_document(name, text, path)


IGNORE_FILE = ".ckgignore"
Listed = tuple[Path, str]  # a file to read and the identifier it is known by


def _ignore_patterns(folder: Path) -> list[str]:
    """Glob patterns from the folder's `.ckgignore` (one a line, `#` comments, `dir/`)."""
    path = folder / IGNORE_FILE
    try:
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("/") and (relative + "/").startswith(pattern):
            return True
        if fnmatch.fnmatch(relative, pattern):
            return True
    return False


def _broken_link(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (the link leads back to itself)"
        return f"broken symbolic link (points to {os.readlink(path)!r}, which does not exist)"
    return "not a regular file"


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop; reported as a file that cannot be read
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


class _FolderWalk:
    """The files of one folder, recursively; a record for what cannot be walked or read.

    Symbolic links to folders are followed once: a link back to a folder already
    walked (a loop, or a second way to the same folder) is reported, not followed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.patterns = _ignore_patterns(root)
        self.walked: dict[tuple[int, int], str] = {}

    def items(self) -> list[Listed | Rejected]:
        found: list[tuple[tuple[str, ...], Listed | Rejected]] = []
        self._walk(self.root, found)
        return [item for _, item in sorted(found, key=lambda pair: pair[0])]

    def _walk(self, folder: Path, found: list[tuple[tuple[str, ...], Listed | Rejected]]) -> None:
        relative = folder.relative_to(self.root).as_posix()
        identity = (folder.stat().st_dev, folder.stat().st_ino)
        if identity in self.walked:
            reason = f"symbolic link to {self.walked[identity] or 'the top'} folder, already read"
            found.append((folder.relative_to(self.root).parts, self._rejected(folder, reason)))
            return
        self.walked[identity] = relative if relative != "." else ""
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            reason = f"cannot list folder: {exc.strerror or exc}"
            found.append((folder.relative_to(self.root).parts, self._rejected(folder, reason)))
            return
        for entry in entries:
            path = Path(entry.path)
            parts = path.relative_to(self.root).parts
            if entry.name.startswith(".") or _ignored("/".join(parts), self.patterns):
                continue
            if _is_dir(entry):
                self._walk(path, found)
            elif not _is_file(entry):
                found.append((parts, self._rejected(path, _broken_link(path), "failed")))
            elif path.suffix.lower() not in SUFFIXES:
                found.append((parts, self._rejected(path, _unsupported(path))))
            else:
                found.append((parts, (path, "/".join(parts))))

    def _rejected(
        self, path: Path, reason: str, status: Literal["skipped", "failed"] = "skipped"
    ) -> Rejected:
        relative = path.relative_to(self.root).as_posix()
        if path.is_dir() and not path.is_symlink():
            status = "failed"  # a folder that cannot be listed
        return Rejected(clean_name(relative), status, reason, str(path))


def expand(sources: Iterable[Path]) -> Iterator[Listed | Rejected]:
    """Files named or found (recursively, sorted) in folders, with the identifier to use.

    In a folder, hidden files and folders and what the folder's `.ckgignore` lists
    are passed over; files of other types, links that lead nowhere and folders that
    cannot be listed come out as Rejected records.

    A file is known by its name within the folder given (or its own name), unless an
    earlier source already gave that name: then by its path as given. Two folders
    holding `report.txt` would otherwise be two articles under one identifier, and
    the manifest, which keeps one article per identifier, would record one of their
    graphs and extract the other again at every run.
    """
    given: set[str] = set()
    for item in _expand(sources):
        if not isinstance(item, Rejected):
            path, identifier = item
            if identifier in given:
                item = path, path.as_posix()
            given.add(item[1])
        yield item


def _expand(sources: Iterable[Path]) -> Iterator[Listed | Rejected]:
    for source in sources:
        if source.is_dir():
            yield from _FolderWalk(source).items()
        elif source.is_symlink() and not source.exists():
            yield Rejected(clean_name(source.name), "failed", _broken_link(source), str(source))
        elif not source.exists():
            yield Rejected(clean_name(str(source)), "failed", "no such file or folder", str(source))
        else:
            yield source, source.name


def read_sources(sources: Iterable[Path]) -> Iterator[Document | Rejected]:
    """Every document of the given files and folders; what cannot be read comes out Rejected."""
    for item in expand(sources):
        if isinstance(item, Rejected):
            yield item
        else:
            yield from read_file(*item)
