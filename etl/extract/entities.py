"""Entity mentions: gazetteer matches plus the statistical model's PERSON/ORG/GPE/LOC.

Names the gazetteer does not know get a key from their normalised name, so the
same name in two articles is one entity. Within an article, a bare surname
("Kuzmenko") is linked to the full name it abbreviates ("Anna Kuzmenko").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from ..gazetteer import Gazetteer
from ..model import Entity, EntityKind, Mention
from ..nlp import GAZETTEER_LABEL_PREFIX
from .quantities import EQUIPMENT_NOUNS

NER_KINDS = {
    "PERSON": EntityKind.PERSON,
    "ORG": EntityKind.ORGANIZATION,
    "GPE": EntityKind.PLACE,
    "LOC": EntityKind.PLACE,
}
# Words that precede a name without being part of it.
TITLES = {
    "president",
    "prime",
    "minister",
    "general",
    "gen.",
    "gen",
    "colonel",
    "col.",
    "lt.",
    "lieutenant",
    "major",
    "captain",
    "commander",
    "chief",
    "dr.",
    "dr",
    "mr.",
    "mr",
    "mrs.",
    "mrs",
    "ms.",
    "ms",
    "sir",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "secretary",
    "chancellor",
    "foreign",
    "defence",
    "defense",
    "ukrainian",
    "russian",
    "american",
    "u.s.",
    "us",
    "former",
    "deputy",
    "supreme",
    "leader",
    "king",
    "queen",
    "senator",
    "sen.",
    "rep.",
    "ambassador",
    "analyst",
    "expert",
    "the",
    "editor",
    "professor",
    "prof.",
}
_KIND_OF_LABEL = {GAZETTEER_LABEL_PREFIX + k.rdf_class: k for k in EntityKind}
# Nouns that, in apposition to a name, say the name is a person's ("Petrenko, the commander").
ROLE_NOUNS = {
    "commander",
    "president",
    "minister",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "defector",
    "analyst",
    "expert",
    "official",
    "officer",
    "soldier",
    "general",
    "governor",
    "researcher",
    "director",
    "head",
    "chief",
    "leader",
    "adviser",
    "advisor",
    "colonel",
    "journalist",
    "correspondent",
    "professor",
    "fellow",
    "editor",
    "lawmaker",
    "mayor",
}
SPEECH_VERBS = {"say", "tell", "report", "announce", "confirm", "add", "write", "warn", "note"}


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-'; a hash when nothing ASCII is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’]", "", ascii_text.lower())
    words = re.findall(r"[a-z0-9]+", ascii_text)
    if words:
        return "-".join(words)[:80]
    return "x-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean_name(span: SpacySpan) -> SpacySpan | None:
    """The name without leading titles, articles and a trailing possessive; None if no name."""
    start, end = span.start, span.end
    doc = span.doc
    # White space tokens too: a headline's last words run into the blanked header lines
    # after it, and the model may take them all for one name.
    while start < end - 1 and (doc[start].lower_ in TITLES or doc[start].is_space):
        start += 1
    while end > start and (
        doc[end - 1].text in {"'s", "’s", "'", "’", ".", ","} or doc[end - 1].is_space
    ):
        end -= 1
    cleaned = doc[start:end]
    text = cleaned.text.strip()
    if not text or not any(c.isupper() for c in text) or len(text) < 2:
        return None
    if any(c in text for c in "\n\t"):
        return None
    return cleaned


def _is_person_by_role(span: SpacySpan) -> bool:
    """A name in apposition to a role noun, or the subject of a speech verb, is a person's.

    The statistical model sometimes takes an unfamiliar first name for a place.
    """
    root = span.root
    related = [*root.children, root.head] if root.dep_ != "ROOT" else list(root.children)
    if any(
        t.dep_ == "appos" or root.dep_ == "appos" for t in related if t.lemma_.lower() in ROLE_NOUNS
    ):
        return True
    return root.dep_ == "nsubj" and root.head.lemma_.lower() in SPEECH_VERBS


def _ner_entity(span: SpacySpan, kind: EntityKind, gazetteer: Gazetteer) -> Entity | None:
    cleaned = clean_name(span)
    if cleaned is None:
        return None
    label = cleaned.text
    lowered = label.lower()
    if lowered in gazetteer.demonym_forms or lowered in EQUIPMENT_NOUNS:
        return None  # "Ukrainian", "North Koreans", "Stryker": not entities of their own
    if kind is not EntityKind.PERSON and _is_person_by_role(cleaned):
        kind = EntityKind.PERSON
    return Entity(key=f"{kind.value}/{slug(label)}", kind=kind, label=label)


def find_mentions(doc: Doc, gazetteer: Gazetteer) -> tuple[list[Mention], dict[str, Entity]]:
    """Mentions in document order, and the entities they refer to (by key)."""
    mentions: list[Mention] = []
    entities: dict[str, Entity] = {}
    for ent in doc.ents:
        if ent.label_ in _KIND_OF_LABEL:
            entity = gazetteer.entities.get(ent.ent_id_)
            span: SpacySpan | None = ent
        elif ent.label_ in NER_KINDS:
            entity = _ner_entity(ent, NER_KINDS[ent.label_], gazetteer)
            span = clean_name(ent)
        else:
            continue
        if entity is None or span is None:
            continue
        entities.setdefault(entity.key, entity)
        mentions.append(Mention(span.start_char, span.end_char, span.text, entity.key))
        mentions.extend(_coordinated_forces(ent, gazetteer, entities))
    mentions.extend(_unlabelled_people(doc, mentions, entities, gazetteer))
    mentions = _link_surnames(mentions, entities)
    return sorted(set(mentions), key=lambda m: (m.begin, m.end, m.entity)), entities


def _unlabelled_people(
    doc: Doc, mentions: list[Mention], entities: dict[str, Entity], gazetteer: Gazetteer
) -> list[Mention]:
    """Names the model missed that the grammar marks as people.

    A proper noun that speaks ("…, said Oleksii") or stands beside a role noun
    ("Oleksii, the commander of …") is a person even when the statistical model,
    unfamiliar with the name, tagged nothing.
    """
    found = []
    for token in doc:
        if token.pos_ != "PROPN" or token.ent_type_ or not token.text[:1].isupper():
            continue
        if token.dep_ in {"compound", "flat"} or token.lower_ in gazetteer.demonym_forms:
            continue
        start = token.i
        while start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].head is token:
            start -= 1
        name = doc[start : token.i + 1]
        if any(t.ent_type_ or t.lower_ in TITLES for t in name):
            continue
        before = doc[start - 1] if start > name.sent.start else None
        if before is not None and before.text[:1].isupper() and not before.is_punct:
            continue  # the tail of a longer name ("the General Staff said")
        if not _is_person_by_role(name):
            continue
        entity = Entity(
            key=f"{EntityKind.PERSON.value}/{slug(name.text)}",
            kind=EntityKind.PERSON,
            label=name.text,
        )
        entities.setdefault(entity.key, entity)
        found.append(Mention(name.start_char, name.end_char, name.text, entity.key))
    return found


def _coordinated_forces(
    ent: SpacySpan, gazetteer: Gazetteer, entities: dict[str, Entity]
) -> list[Mention]:
    """'Russian and North Korean forces': the first demonym names a force of its own."""
    if ent.label_ != GAZETTEER_LABEL_PREFIX + "ArmedForce" or ent.start < 2:
        return []
    doc = ent.doc
    if doc[ent.start - 1].lower_ not in {"and", ","}:
        return []
    previous = doc[ent.start - 2]
    for state_key, demonyms in gazetteer.demonyms.items():
        force = gazetteer.main_force(state_key)
        if force is not None and previous.text in demonyms:
            entities.setdefault(force.key, force)
            return [
                Mention(previous.idx, previous.idx + len(previous.text), previous.text, force.key)
            ]
    return []


def _link_surnames(mentions: list[Mention], entities: dict[str, Entity]) -> list[Mention]:
    """Point single-word person mentions at the one full name in the article ending in it."""
    full_names: dict[str, set[str]] = {}
    for mention in mentions:
        entity = entities[mention.entity]
        words = entity.label.split()
        if entity.kind is EntityKind.PERSON and len(words) > 1:
            full_names.setdefault(words[-1].lower(), set()).add(entity.key)
    linked = []
    for mention in mentions:
        entity = entities[mention.entity]
        candidates = full_names.get(entity.label.lower(), set())
        if entity.kind is EntityKind.PERSON and " " not in entity.label and len(candidates) == 1:
            mention = Mention(mention.begin, mention.end, mention.text, next(iter(candidates)))
        linked.append(mention)
    used = {m.entity for m in linked}
    for key in list(entities):
        if key not in used:
            del entities[key]
    return linked
