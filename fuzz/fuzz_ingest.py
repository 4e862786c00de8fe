"""Fuzz target: bytes as a file of each supported type -> ingest -> Documents.

Any exception is a finding: ingest must turn every input into Documents or
Rejected records. Run by `make fuzz` (see fuzz/README.md).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["etl"]):
    from etl.ingest import SUFFIXES, Rejected, read_file
    from etl.model import Document

SUFFIX_LIST = sorted(SUFFIXES)
FOLDER = Path(tempfile.mkdtemp(prefix="ckg-fuzz-ingest-"))
UNSAFE = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]}


def check(document: Document) -> None:
    text = document.text
    assert "\r" not in text, "line endings not normalised"
    assert not UNSAFE & set(text), "control character left in the text"
    assert not any("\ud800" <= c <= "\udfff" for c in text), "lone surrogate left in the text"
    assert len(document.masked_text()) == len(text), "masked text has another length"
    for begin, end in document.regions:
        assert 0 <= begin < end <= len(text), f"region {begin}-{end} outside the text"
    text.encode("utf-8")  # every serialisation needs this to work


def test_one_input(data: bytes) -> None:
    if not data:
        return
    suffix = SUFFIX_LIST[data[0] % len(SUFFIX_LIST)]
    path = FOLDER / f"input{suffix}"
    path.write_bytes(data[1:])
    for item in read_file(path):
        if isinstance(item, Document):
            check(item)
        else:
            assert isinstance(item, Rejected) and item.reason


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
