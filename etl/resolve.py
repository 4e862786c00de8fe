"""Canonical entities across documents.

Every mention already carries a stable key: the gazetteer entry it matched,
or the kind and normalised name the statistical model found (so "Anna
Kuzmenko" in two articles is one key). Resolution merges what the articles
know about each key: the preferred label (the gazetteer's, else the most
frequent surface form among those that spell the name the key was minted from,
so "Emily Carter" and not the "Carter" of later turns) and every other surface
form as an alternative label.

Resolution is the one global pass of a run. It is split so that it stays
cheap and can follow extraction done anywhere: each article is summarised
on its own (`EntityTally.of`, in the worker that extracted it, and kept with
the article's cached graph), tallies are added up in any order, and
`resolve_tally` turns the total into entities. The result does not depend on
the order in which articles arrive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .extract.entities import slug
from .model import Entity, EntityKind, Extraction


def _surface(text: str) -> str:
    """A surface form as a label: no leading article, single spaces."""
    words = text.split()
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    return " ".join(words)


def _first(*values: str | None) -> str | None:
    present = [v for v in values if v]
    return min(present) if present else None


def _combine(old: Entity, new: Entity) -> Entity:
    """Two descriptions of one key as one; the same whichever comes first."""
    if old.from_gazetteer or new.from_gazetteer:
        return old if old.from_gazetteer else new  # gazetteer entries are identical everywhere
    return replace(
        old,
        label=min(old.label, new.label),
        alt_labels=old.alt_labels | new.alt_labels,
        force_of=_first(old.force_of, new.force_of),
        capital_of=_first(old.capital_of, new.capital_of),
    )


@dataclass
class EntityTally:
    """What a set of articles says about each entity key: descriptions and surface forms."""

    entities: dict[str, Entity] = field(default_factory=dict)
    forms: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def of(cls, extraction: Extraction) -> EntityTally:
        tally = cls()
        for entity in extraction.entities:
            tally._describe(entity)
            if not entity.from_gazetteer:
                tally.forms[entity.key][entity.label] += 1
        for mention in extraction.mentions:
            tally.forms[mention.entity][_surface(mention.text)] += 1
        return tally

    def _describe(self, entity: Entity) -> None:
        known = self.entities.get(entity.key)
        self.entities[entity.key] = entity if known is None else _combine(known, entity)

    def add(self, other: EntityTally) -> None:
        for entity in other.entities.values():
            self._describe(entity)
        for key, counts in other.forms.items():
            self.forms[key].update(counts)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values, for the run manifest."""
        return {
            "entities": [
                {
                    **entity.__dict__,
                    "kind": entity.kind.value,
                    "alt_labels": sorted(entity.alt_labels),
                }
                for entity in self.entities.values()
            ],
            "forms": {key: dict(counts) for key, counts in self.forms.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntityTally:
        tally = cls()
        for item in data["entities"]:
            fields = {**item, "kind": EntityKind(item["kind"])}
            fields["alt_labels"] = frozenset(item["alt_labels"])
            tally.entities[item["key"]] = Entity(**fields)
        for key, counts in data["forms"].items():
            tally.forms[key].update(counts)
        return tally


def resolve_tally(tally: EntityTally) -> dict[str, Entity]:
    """One Entity per key, with labels merged over the tally, sorted by key."""
    resolved: dict[str, Entity] = {}
    for key in sorted(tally.entities):
        entity = tally.entities[key]
        seen = tally.forms.get(key, Counter())
        label = entity.label
        if not entity.from_gazetteer and seen:
            full = [form for form in seen if slug(form) == key.split("/", 1)[-1]]
            # the most frequent form; ties broken alphabetically so the result is stable
            label = min(full or seen, key=lambda form: (-seen[form], form))
        alternatives = (set(entity.alt_labels) | set(seen)) - {label}
        resolved[key] = replace(entity, label=label, alt_labels=frozenset(alternatives))
    return resolved


def resolve_entities(extractions: Iterable[Extraction]) -> dict[str, Entity]:
    """One Entity per key, with labels merged over all extractions, sorted by key."""
    total = EntityTally()
    for extraction in extractions:
        total.add(EntityTally.of(extraction))
    return resolve_tally(total)
