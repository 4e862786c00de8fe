"""Canonical entities across documents.

Every mention already carries a stable key: the gazetteer entry it matched,
or the kind and normalised name the statistical model found (so "Michael
Bohnert" in two articles is one key). Resolution merges what the articles
know about each key: the preferred label (the gazetteer's, else the most
frequent surface form among those that spell the name the key was minted from,
so "Emily Carter" and not the "Carter" of later turns) and every other surface
form as an alternative label.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from .extract.entities import slug
from .model import Entity, Extraction


def _surface(text: str) -> str:
    """A surface form as a label: no leading article, single spaces."""
    words = text.split()
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    return " ".join(words)


def resolve_entities(extractions: Iterable[Extraction]) -> dict[str, Entity]:
    """One Entity per key, with labels merged over all extractions, sorted by key."""
    known: dict[str, Entity] = {}
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for extraction in extractions:
        for entity in extraction.entities:
            known.setdefault(entity.key, entity)
            if not entity.from_gazetteer:
                forms[entity.key][entity.label] += 1
        for mention in extraction.mentions:
            forms[mention.entity][_surface(mention.text)] += 1
    resolved: dict[str, Entity] = {}
    for key in sorted(known):
        entity = known[key]
        seen = forms.get(key, Counter())
        label = entity.label
        if not entity.from_gazetteer and seen:
            full = [form for form in seen if slug(form) == key.split("/", 1)[-1]]
            # the most frequent form; ties broken alphabetically so the result is stable
            label = min(full or seen, key=lambda form: (-seen[form], form))
        alternatives = (set(entity.alt_labels) | set(seen)) - {label}
        resolved[key] = replace(entity, label=label, alt_labels=frozenset(alternatives))
    return resolved
