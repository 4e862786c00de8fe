"""Gold facts: hand-annotated entities, quantities, events and claims of articles.

A gold folder holds one `<article base name>.jsonl` per article, one JSON object a line,
in the format of `examples/gold/` (docs/evaluation.md describes it):

    {"kind": "entity", "type": "ArmedForce", "name": "Korean People's Army",
     "mentions": ["North Korean troops"]}
    {"kind": "quantity", "measure": "troop_count", "value": 11000, "qualifier": "approximately",
     "attributed_to": "Volodymyr Zelensky", "sentence": "About 11,000 North Korean ..."}
    {"kind": "event", "type": "Deployment", "sentence": "..."}
    {"kind": "claim", "speaker": "Volodymyr Zelensky", "sentence": "..."}

Reading checks every line and names the file and line of the first problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import EventType

# Gold vocabulary -> the local names the graph uses (docs/graph.md).
MEASURES = {
    "troop_count": "TroopCount",
    "killed": "Killed",
    "injured": "Wounded",
    "killed_or_wounded": "Casualties",
    "missing": "Missing",
    "captured": "Captured",
    "territory_share": "TerritoryShare",
    "territory_area": "TerritoryArea",
    "equipment_count": "EquipmentCount",
    "money": "MoneyAmount",
    "other": "OtherQuantity",
}
QUALIFIERS = {
    "exact": "Exact",
    "approximately": "Approximately",
    "at_least": "AtLeast",
    "more_than": "MoreThan",
    "up_to": "UpTo",
    "nearly": "Nearly",
}
VAGUE = "vague"  # "several thousand": no value, so no qualifier to score
ENTITY_TYPES = {
    "Person": "Person",
    "Organization": "Organization",
    "ArmedForce": "ArmedForce",
    "Country": "State",
    "Place": "Place",
}
SCORED_EVENT_TYPES = frozenset(event_type.value for event_type in EventType)
EVENT_TYPES = SCORED_EVENT_TYPES | {"Statement", "Other"}  # annotated, never scored


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: str  # a graph class local name: Person, Organization, ArmedForce, State, Place
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class GoldQuantity:
    measure: str  # a graph measure local name, e.g. TroopCount
    values: tuple[float, ...]  # the stated value first, then alternative units; () when vague
    qualifier: str | None  # a graph qualifier local name; None when vague
    speaker: str | None
    sentence: str


@dataclass(frozen=True)
class GoldEvent:
    type: str
    sentence: str


@dataclass(frozen=True)
class GoldClaim:
    speaker: str
    sentence: str


@dataclass(frozen=True)
class GoldArticle:
    """The gold facts of one article, in file order."""

    name: str  # the article's base name: its identifier without folder and extension
    entities: tuple[GoldEntity, ...]
    quantities: tuple[GoldQuantity, ...]
    events: tuple[GoldEvent, ...]
    claims: tuple[GoldClaim, ...]


class _BadLine(ValueError):
    """A gold line that does not follow the format; the reader adds file and line."""


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _BadLine(f"{key!r} must be a non-empty string")
    return value


def _choice(row: dict[str, Any], key: str, allowed: dict[str, str] | frozenset[str]) -> str:
    value = _text(row, key)
    if value not in allowed:
        raise _BadLine(f"{key} {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadLine(f"{key!r} must be a number")
    return float(value)


def _entity(row: dict[str, Any]) -> GoldEntity:
    mentions = row.get("mentions")
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        raise _BadLine("'mentions' must be a list of strings")
    kind = ENTITY_TYPES[_choice(row, "type", ENTITY_TYPES)]
    return GoldEntity(_text(row, "name"), kind, tuple(mentions))


def _quantity(row: dict[str, Any]) -> GoldQuantity:
    measure = MEASURES[_choice(row, "measure", MEASURES)]
    qualifier = _choice(row, "qualifier", {**QUALIFIERS, VAGUE: ""})
    values: tuple[float, ...] = ()
    if row.get("value") is not None:
        alternatives = row.get("alt_values") or []
        if not isinstance(alternatives, list):
            raise _BadLine("'alt_values' must be a list of objects with a 'value'")
        stated = _number(row["value"], "value")
        values = (
            stated,
            *(
                _number(alt["value"], "alt_values value")
                for alt in alternatives
                if isinstance(alt, dict) and "value" in alt
            ),
        )
    speaker = row.get("attributed_to")
    if speaker is not None and not isinstance(speaker, str):
        raise _BadLine("'attributed_to' must be a string or null")
    return GoldQuantity(
        measure, values, QUALIFIERS.get(qualifier), speaker or None, _text(row, "sentence")
    )


def _event(row: dict[str, Any]) -> GoldEvent:
    return GoldEvent(_choice(row, "type", EVENT_TYPES), _text(row, "sentence"))


def _claim(row: dict[str, Any]) -> GoldClaim:
    return GoldClaim(_text(row, "speaker"), _text(row, "sentence"))


GoldFact = GoldEntity | GoldQuantity | GoldEvent | GoldClaim
_READERS: dict[str, Callable[[dict[str, Any]], GoldFact]] = {
    "entity": _entity,
    "quantity": _quantity,
    "event": _event,
    "claim": _claim,
}


def _fact(line: str) -> GoldFact:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(row, dict):
        raise _BadLine("a gold line must be a JSON object")
    kind = row.get("kind")
    if kind not in _READERS:
        raise _BadLine(f"'kind' must be one of {', '.join(_READERS)}, not {kind!r}")
    return _READERS[kind](row)


def read_gold_file(path: Path) -> GoldArticle:
    """The gold facts of one article; InputError names the file and line of a bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the gold file: {exc}") from None
    facts = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            facts.append(_fact(line))
        except _BadLine as exc:
            raise InputError(f"{path}:{number}", str(exc)) from None
    return GoldArticle(
        name=path.stem,
        entities=tuple(f for f in facts if isinstance(f, GoldEntity)),
        quantities=tuple(f for f in facts if isinstance(f, GoldQuantity)),
        events=tuple(f for f in facts if isinstance(f, GoldEvent)),
        claims=tuple(f for f in facts if isinstance(f, GoldClaim)),
    )


def read_gold(folder: Path) -> list[GoldArticle]:
    """Every `*.jsonl` gold file of `folder`, sorted by name."""
    if not folder.is_dir():
        raise InputError(str(folder), "no such gold folder")
    paths = sorted(folder.glob("*.jsonl"))
    if not paths:
        raise InputError(str(folder), "the gold folder holds no .jsonl files")
    return [read_gold_file(path) for path in paths]
