"""The only code that knows where the ontology, shapes, gazetteer and queries live.

In a checkout (or an editable install) they are the top-level folders of the
repository; in an installed wheel they travel as package data under `etl/_data`.
"""

from __future__ import annotations

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
