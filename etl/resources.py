"""The only code that knows where the ontology, shapes, gazetteer and queries live.

In a checkout (or an editable install) they are the top-level folders of the
repository; in an installed wheel they travel as package data under `etl/_data`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .errors import ResourceError

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent)


@cache
def resource_dir(name: str) -> Path:
    """The folder `name` (ontology, shapes or queries), from the wheel or the checkout."""
    for root in _CANDIDATES:
        folder = root / name
        if folder.is_dir():
            return folder
    searched = ", ".join(str(root / name) for root in _CANDIDATES)
    raise ResourceError(
        f"cannot find the {name!r} folder (looked in {searched}); reinstall conflict-kg"
    )


def examples_dir() -> Path:
    """The example dispatches `ckg run` reads when given no sources."""
    return resource_dir("examples")


def ontology_file() -> Path:
    return resource_dir("ontology") / "conflict.ttl"


def gazetteer_file() -> Path:
    return resource_dir("ontology") / "gazetteer.ttl"


def shapes_files() -> list[Path]:
    return sorted(resource_dir("shapes").glob("*.ttl"))


def query_files() -> list[Path]:
    return sorted(resource_dir("queries").glob("*.rq"))


@cache
def graph_code_fingerprint() -> str:
    """A hash of everything besides the input and settings that an article's graph and its
    SHACL results depend on: the code, the ontology and gazetteer, and the shapes.

    The version number alone does not change when a checkout is edited (an editable
    install, as `make install` makes), so cached articles would outlive the rules that
    made them.
    """
    code = sorted(_PACKAGE.rglob("*.py"))
    ontology = sorted(resource_dir("ontology").glob("*.ttl"))
    return files_fingerprint([*code, *ontology, *shapes_files()])


def files_fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
