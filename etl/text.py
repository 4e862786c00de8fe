"""Bytes -> clean article text, saying what was changed on the way.

Used by ingest. Every change to the text that is more than a change of
representation is reported in a note, so that nothing is altered silently:

- decoding: not UTF-8 (Windows-1252, Latin-1, UTF-16), or bytes that are not
  valid UTF-8 in an otherwise UTF-8 file (replaced by U+FFFD);
- control characters other than tab and line breaks, and lone surrogates
  (which no RDF serialisation can carry), replaced by U+FFFD one for one;
- Unicode NFC composition.

Line endings become LF without a note: that is how offsets are defined.
Binary files are refused with a ValueError naming what they look like.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata

REPLACEMENT = "\ufffd"

# Leading bytes of binary formats people find in scraped folders.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or an Office document)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"RIFF", "a RIFF media file"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)
_SNIFF = 8192
# C0 and C1 controls and DEL, except tab and line breaks; and lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Above this share of control characters in the first bytes, a file is not text.
_CONTROL_SHARE = 0.05


def _binary_kind(data: bytes) -> str | None:
    """What a binary file looks like, or None when it may be text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    head = data[:_SNIFF]
    if b"\x00" in head:
        return "contains NUL bytes"
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """The codec of UTF-16 text written without a byte-order mark, by where its NULs are."""
    head = data[: _SNIFF - _SNIFF % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """(text, bad bytes) when the data is UTF-8 with a few damaged bytes, else None.

    A file with valid multi-byte UTF-8 sequences is UTF-8 with damage, not
    Windows-1252: decoding it all as Windows-1252 would garble every good one.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count(REPLACEMENT) - data.count(REPLACEMENT.encode())
    good_multibyte = sum(1 for c in text if ord(c) > 0x7F and c != REPLACEMENT)
    if good_multibyte > bad:
        return text, bad
    return None


def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes -> (text, note). The note says when the text was not plain UTF-8.

    Raises ValueError for binary data, naming what it looks like.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            return text, None if encoding == "utf-8-sig" else "decoded as UTF-16"
    if codec := _utf16_without_bom(data):
        return data.decode(codec, errors="replace"), "decoded as UTF-16 (no byte-order mark)"
    if kind := _binary_kind(data):
        raise ValueError(f"binary file ({kind}), not text")
    try:
        text, note = data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text, note = _legacy_decode(data, exc)
    if _control_share(text[:_SNIFF]) > _CONTROL_SHARE:
        raise ValueError("binary file (mostly control characters), not text")
    return text, note


def _legacy_decode(data: bytes, error: UnicodeDecodeError) -> tuple[str, str]:
    damaged = _mostly_utf8(data)
    if damaged is not None:
        text, bad = damaged
        return text, (
            f"{bad} byte(s) not valid UTF-8 (first at byte {error.start}) replaced by U+FFFD"
        )
    # Windows-1252 is a superset of the printable Latin-1 range and what
    # mis-labelled Western European text almost always is.
    try:
        return data.decode("cp1252"), "not valid UTF-8; decoded as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not valid UTF-8; decoded as Latin-1"


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    return sum(1 for c in text if _UNSAFE.match(c) and c < "\ud800") / len(text)


def clean(text: str) -> tuple[str, tuple[str, ...]]:
    """The form offsets index into (LF line endings, NFC, no unsafe characters), with notes."""
    notes: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    unsafe = _UNSAFE.findall(text)
    if unsafe:
        shown = ", ".join(f"U+{ord(c):04X}" for c in sorted(set(unsafe))[:5])
        notes.append(
            f"{len(unsafe)} control character(s) or lone surrogate(s) ({shown}) replaced by U+FFFD"
        )
        text = _UNSAFE.sub(REPLACEMENT, text)
    composed = unicodedata.normalize("NFC", text)
    if composed != text:
        notes.append(f"Unicode normalised to NFC ({len(text) - len(composed)} character(s) fewer)")
    return composed, tuple(notes)


def normalise(text: str) -> str:
    """The form offsets index into: LF line endings, Unicode NFC, unsafe characters replaced."""
    return clean(text)[0]


def clean_name(name: str) -> str:
    """A file name or field fit for RDF and a terminal: undecodable bytes as \\x escapes."""
    if any("\udc80" <= c <= "\udcff" for c in name):
        # os.fsdecode keeps bytes that are not UTF-8 as these surrogates
        raw = name.encode("utf-8", "surrogateescape")
        name = raw.decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(REPLACEMENT, name)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
