"""Events: a trigger word of a known kind, with its agent, place, target and time.

Triggers are lemmas ("advance", "withdraw", "ratify") or short phrases ("aid
package"). The agent is the actor in the trigger's grammatical subject (for a
verb) or in its "by" phrase or possessive (for a noun); the target is the actor
or place in its object; the place is the first place named in the sentence.
At most one event of each type is kept per sentence.
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

from ..model import Entity, EntityKind, Event, EventType, Mention, Sentence
from .roles import actor_key, first_place
from .time import time_near

VERB_TRIGGERS = {
    "deploy": EventType.DEPLOYMENT,
    "redeploy": EventType.DEPLOYMENT,
    "dispatch": EventType.DEPLOYMENT,
    "mobilize": EventType.DEPLOYMENT,
    "mobilise": EventType.DEPLOYMENT,
    "station": EventType.DEPLOYMENT,
    "send": EventType.DEPLOYMENT,
    "invade": EventType.OFFENSIVE,
    "advance": EventType.ADVANCE,
    "withdraw": EventType.WITHDRAWAL,
    "retreat": EventType.WITHDRAWAL,
    "attack": EventType.ATTACK,
    "breach": EventType.ATTACK,
    "overwhelm": EventType.ATTACK,
    "shell": EventType.ATTACK,
    "bomb": EventType.ATTACK,
    "strike": EventType.ATTACK,
    "storm": EventType.ATTACK,
    "capture": EventType.CAPTURE,
    "seize": EventType.CAPTURE,
    "recapture": EventType.CAPTURE,
    "retake": EventType.CAPTURE,
    "reclaim": EventType.CAPTURE,
    "regain": EventType.CAPTURE,
    "liberate": EventType.CAPTURE,
    "ratify": EventType.TREATY_RATIFICATION,
}
NOUN_TRIGGERS = {
    "deployment": EventType.DEPLOYMENT,
    "mobilization": EventType.DEPLOYMENT,
    "mobilisation": EventType.DEPLOYMENT,
    "offensive": EventType.OFFENSIVE,
    "counteroffensive": EventType.OFFENSIVE,
    "counter-offensive": EventType.OFFENSIVE,
    "incursion": EventType.OFFENSIVE,
    "invasion": EventType.OFFENSIVE,
    "assault": EventType.OFFENSIVE,
    "foray": EventType.OFFENSIVE,
    "advance": EventType.ADVANCE,
    "gain": EventType.ADVANCE,
    "progress": EventType.ADVANCE,
    "breakthrough": EventType.ADVANCE,
    "withdrawal": EventType.WITHDRAWAL,
    "retreat": EventType.WITHDRAWAL,
    "pullout": EventType.WITHDRAWAL,
    "attack": EventType.ATTACK,
    "strike": EventType.ATTACK,
    "shelling": EventType.ATTACK,
    "bombardment": EventType.ATTACK,
    "capture": EventType.CAPTURE,
    "recapture": EventType.CAPTURE,
    "seizure": EventType.CAPTURE,
    "ratification": EventType.TREATY_RATIFICATION,
}
AID_WORDS = {"aid", "assistance", "support"}
AID_HEADS = {"package", "tranche"}
# "sent" deploys only when what is sent are troops.
_SEND_OBJECTS = {"troop", "soldier", "force", "unit", "personnel", "brigade", "reinforcement"}


def _trigger(token: Token) -> EventType | None:
    lemma = token.lemma_.lower()
    if token.pos_ in {"VERB", "AUX"} or (token.tag_ == "VBN" and token.dep_ == "amod"):
        event = VERB_TRIGGERS.get(lemma)
        if event is EventType.DEPLOYMENT and lemma == "send":
            objects = {t.lemma_.lower() for t in token.subtree}
            return event if objects & _SEND_OBJECTS else None
        if event is EventType.CAPTURE and lemma == "capture" and token.dep_ == "amod":
            return event  # "captured North Korean soldiers"
        return event
    if token.pos_ in {"NOUN", "PROPN"}:
        if lemma in AID_HEADS and any(c.lemma_.lower() in AID_WORDS for c in token.children):
            return EventType.AID_PACKAGE
        if lemma == "aid" and token.head.lemma_.lower() in AID_HEADS:
            return None  # the head noun "package" triggers instead
        return NOUN_TRIGGERS.get(lemma)
    return None


def _mention_in(tokens: list[Token], mentions: list[Mention]) -> Mention | None:
    spans = [(t.idx, t.idx + len(t.text)) for t in tokens]
    for mention in mentions:
        if any(b <= mention.begin < e or mention.begin <= b < mention.end for b, e in spans):
            return mention
    return None


def _actor(tokens: list[Token], mentions: list[Mention], entities: dict[str, Entity]) -> str | None:
    actor_mentions = [
        m
        for m in mentions
        if entities[m.entity].kind is not EntityKind.PLACE or entities[m.entity].capital_of
    ]
    found = _mention_in(tokens, actor_mentions)
    return actor_key(entities[found.entity]) if found else None


def _agent(token: Token, mentions: list[Mention], entities: dict[str, Entity]) -> str | None:
    for child in token.children:
        if child.dep_ in {"nsubj", "poss", "compound", "amod"}:
            found = _actor(list(child.subtree), mentions, entities)
            if found:
                return found
        if child.dep_ == "agent" or (child.dep_ == "prep" and child.lower_ == "by"):
            found = _actor(list(child.subtree), mentions, entities)
            if found:
                return found
    head = token.head
    if token.dep_ in {"xcomp", "advcl", "conj"} and head is not token:
        return _agent(head, mentions, entities)
    return None


def _target(token: Token, mentions: list[Mention], entities: dict[str, Entity]) -> str | None:
    for child in token.children:
        if child.dep_ in {"dobj", "nsubjpass", "pobj"} or (
            child.dep_ == "prep" and child.lower_ in {"of", "on", "against", "into", "to"}
        ):
            found = _mention_in(list(child.subtree), mentions)
            if found:
                return found.entity
    if token.dep_ == "amod":
        found = _mention_in([token.head, *token.head.subtree], mentions)
        return found.entity if found else None
    return None


def find_events(
    doc: Doc,
    sentences: dict[int, Sentence],
    mentions: list[Mention],
    entities: dict[str, Entity],
    issued: object = None,
) -> list[Event]:
    events: list[Event] = []
    for sent in doc.sents:
        seen: set[EventType] = set()
        for token in sent:
            event_type = _trigger(token)
            if event_type is None or event_type in seen:
                continue
            seen.add(event_type)
            time_text, time_value = time_near(doc, sent, token.idx, issued)
            events.append(
                Event(
                    begin=token.idx,
                    end=token.idx + len(token.text),
                    text=token.text,
                    sentence=sentences[sent.start_char],
                    type=event_type,
                    agent=_agent(token, mentions, entities),
                    place=first_place(sent.start_char, sent.end_char, mentions, entities),
                    target=_target(token, mentions, entities),
                    time_text=time_text,
                    time=time_value,
                )
            )
    return events
