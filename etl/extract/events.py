"""Events: a trigger word of a known kind, with its agent, place, target and time.

Triggers are lemmas ("advance", "withdraw", "ratify") or short phrases ("aid
package"). The agent is the actor in the trigger's grammatical subject (for a
verb) or in its "by" phrase or possessive (for a noun); the target is the actor
or place in its object; the place is the first place named in the sentence.

Only events the sentence reports as happening count (see `_reported`): not those
in a question, under a modal ("could withdraw"), in a condition ("if they
retreat"), in an infinitive that does not say it happened ("plans to attack",
but "managed to advance" counts), marked as potential ("a possible
offensive"), or named only to be characterised ("the offensive was a gamble",
"represented a strategic advance"). An attempt to advance or attack is an
offensive. A capture needs something captured: a place, people, territory or a
figure ("capturing the moment" is no event). A trigger inside another trigger's
clause ("mobilised troops where Ukraine launched its offensive") is background
to it, and at most one event of each type is kept per sentence.
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
    "recover": EventType.CAPTURE,
    "ratify": EventType.TREATY_RATIFICATION,
    "amass": EventType.DEPLOYMENT,
    "destroy": EventType.ATTACK,
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
    "assault": EventType.ATTACK,
    "foray": EventType.OFFENSIVE,
    "push": EventType.OFFENSIVE,
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
MODAL_TAGS = {"MD"}
CONDITIONS = {"if", "unless", "whether"}
# Verbs and adjectives after which an infinitive did happen ("managed to advance").
IMPLICATIVE = {"begin", "start", "continue", "manage", "proceed", "resume", "keep", "enable"}
IMPLICATIVE |= {"help", "allow", "force", "compel", "able", "go", "seem", "appear"}
ATTEMPTS = {"attempt", "try", "effort", "bid", "push", "seek"}
NOT_YET = {"potential", "possible", "planned", "future", "hypothetical", "prospective"}
NOT_YET |= {"expected", "anticipated", "imminent", "further"}
CHARACTERISING = {"represent", "constitute", "mark", "amount", "remain"}
# What a capture must take: ground or people, unless a place, force or figure is named.
CAPTURABLE = {"territory", "ground", "area", "village", "town", "city", "settlement"}
CAPTURABLE |= {"position", "land", "bridgehead", "foothold", "region", "district"}
CAPTURABLE |= {"soldier", "troop", "prisoner", "fighter", "serviceman", "percent", "%"}
MOMENTUM = {"momentum", "ground", "initiative"}
# Phrasal verbs: (lemma, particle) -> event ("won back", "gave up ground").
PHRASAL_TRIGGERS = {
    ("win", "back"): EventType.CAPTURE,
    ("take", "back"): EventType.CAPTURE,
    ("give", "up"): EventType.WITHDRAWAL,
    ("pull", "back"): EventType.WITHDRAWAL,
    ("pull", "out"): EventType.WITHDRAWAL,
}
# An attack of the scale of a campaign is an offensive ("a surprise attack into Kursk").
OPERATION_SCALE = {"surprise", "unexpected", "major", "large-scale", "full-scale", "ground"}
OPERATION_SCALE |= {"cross-border", "summer", "winter", "spring", "autumn"}
# "sent" deploys only when what is sent are troops.
_SEND_OBJECTS = {"troop", "soldier", "force", "unit", "personnel", "brigade", "reinforcement"}


def _trigger(token: Token) -> EventType | None:
    event = _lexical_trigger(token) or _phrasal_trigger(token)
    if event is EventType.ATTACK and _operation_scale(token):
        return EventType.OFFENSIVE
    if event in {EventType.ADVANCE, EventType.ATTACK, EventType.CAPTURE} and _attempted(token):
        return EventType.OFFENSIVE  # "several attempts to advance into Kursk"
    if event is EventType.CAPTURE:
        return _capture_or_advance(token)
    return event


def _phrasal_trigger(token: Token) -> EventType | None:
    if token.pos_ != "VERB":
        return None
    particles = [c.lower_ for c in token.children if c.dep_ in {"prt", "advmod"}]
    event = next(
        (
            PHRASAL_TRIGGERS[(token.lemma_.lower(), p)]
            for p in particles
            if (token.lemma_.lower(), p) in PHRASAL_TRIGGERS
        ),
        None,
    )
    if event is EventType.WITHDRAWAL and token.lemma_.lower() == "give":
        objects = [t.lemma_.lower() for c in token.children if c.dep_ == "dobj" for t in c.subtree]
        return event if set(objects) & CAPTURABLE else None  # "gave up ground", not "hope"
    return event


def _operation_scale(token: Token) -> bool:
    return token.pos_ == "NOUN" and any(
        c.dep_ in {"amod", "compound"} and c.lower_ in OPERATION_SCALE for c in token.children
    )


def _attempted(token: Token) -> bool:
    return _infinitive(token) and token.head.lemma_.lower() in ATTEMPTS


def _capture_or_advance(token: Token) -> EventType | None:
    """'regained momentum' is an advance; a capture must take something."""
    if token.dep_ == "amod":
        return EventType.CAPTURE  # "captured North Korean soldiers"
    taken = [
        t
        for c in token.children
        if c.dep_ in {"dobj", "nsubjpass", "attr"} or (c.dep_ == "prep" and c.lower_ == "of")
        for t in c.subtree
    ]
    if any(t.lemma_.lower() in MOMENTUM for t in taken[:2]):
        return EventType.ADVANCE
    if any(t.like_num or t.ent_type_ or t.lemma_.lower() in CAPTURABLE for t in taken):
        return EventType.CAPTURE
    return None


def _lexical_trigger(token: Token) -> EventType | None:
    lemma = token.lemma_.lower()
    if token.pos_ in {"VERB", "AUX"} or (token.tag_ == "VBN" and token.dep_ == "amod"):
        event = VERB_TRIGGERS.get(lemma)
        if event is EventType.DEPLOYMENT and lemma == "send":
            objects = {t.lemma_.lower() for t in token.subtree}
            return event if objects & _SEND_OBJECTS else None
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
        if sent.text.rstrip().endswith("?"):
            continue  # a question reports nothing
        triggers = _main_triggers(
            [(t, kind) for t in sent if (kind := _trigger(t)) is not None and _reported(t)]
        )
        seen: set[EventType] = set()
        for token, event_type in triggers:
            if event_type in seen:
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


def _reported(token: Token) -> bool:
    """Whether the sentence says the trigger's event happened (or is happening)."""
    if token.pos_ in {"NOUN", "PROPN"}:
        if any(c.dep_ == "amod" and c.lower_ in NOT_YET for c in token.children):
            return False
        if token.dep_ == "attr" or (token.dep_ == "nsubj" and token.head.lemma_ == "be"):
            return False  # "the offensive was essential": characterised, not reported
        if token.dep_ == "dobj" and token.head.lemma_.lower() in CHARACTERISING:
            return False
    for node in [token, *token.ancestors]:
        if any(c.tag_ in MODAL_TAGS or c.lower_ in CONDITIONS for c in node.children):
            return False
        if _unfulfilled_infinitive(node):
            return False
    return True


def _infinitive(token: Token) -> bool:
    return any(c.tag_ == "TO" and c.dep_ == "aux" for c in token.children)


def _unfulfilled_infinitive(token: Token) -> bool:
    """'plans to attack', 'to execute an assault': an infinitive that did not happen yet."""
    if not _infinitive(token):
        return False
    head = token.head.lemma_.lower()
    return head not in IMPLICATIVE and head not in ATTEMPTS


def _main_triggers(triggers: list[tuple[Token, EventType]]) -> list[tuple[Token, EventType]]:
    """Drop triggers that sit inside another trigger's clause, not merely coordinated."""
    tokens = [t for t, _ in triggers]
    return [(t, kind) for t, kind in triggers if not any(_subordinate(t, o) for o in tokens)]


def _subordinate(token: Token, other: Token) -> bool:
    if token is other or not other.is_ancestor(token):
        return False
    node = token
    while node is not other:
        if node.dep_ != "conj":
            return True
        node = node.head
    return False
