"""Claims: who said or reported what, linked to the facts of the sentence.

Cues:
- a reporting verb ("said", "told", "announced", "reported", "confirmed", …)
  whose grammatical subject names an actor, before or after it ("…, said Petrenko");
- "according to X";
- a quotation with no cue of its own continues the speaker of the sentence
  before it when that sentence was attributed.

A subject that is "he" or "she" is the last person who spoke or was named in
the article. A subject that names no known actor but is a typed source ("U.S.
officials", "a Ukrainian commander", "military analysts") becomes an unnamed
actor of its own, scoped to the article.
"""

from __future__ import annotations

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from ..model import Claim, Entity, EntityKind, Event, Mention, Quantity, Sentence
from .entities import slug
from .roles import actor_key

CUE_VERBS = {
    "say",
    "tell",
    "announce",
    "report",
    "confirm",
    "state",
    "note",
    "warn",
    "add",
    "claim",
    "estimate",
    "indicate",
    "emphasize",
    "emphasise",
    "reveal",
    "disclose",
    "suggest",
    "assume",
    "argue",
    "believe",
    "speak",
    "write",
    "insist",
    "deny",
    "stress",
    "acknowledge",
    "explain",
    "predict",
    "assess",
    "describe",
    "highlight",
    "allege",
    "admit",
    "declare",
    "assert",
    "tweet",
    "post",
    "concede",
    "caution",
    "accuse",
    "reckon",
    "calculate",
    "put",
}
SOURCE_NOUNS = {
    "official",
    "officials",
    "analyst",
    "analysts",
    "expert",
    "experts",
    "source",
    "sources",
    "commander",
    "commanders",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "blogger",
    "bloggers",
    "intelligence",
    "observer",
    "observers",
    "diplomat",
    "diplomats",
    "minister",
    "ministry",
    "soldier",
    "soldiers",
    "officer",
    "officers",
    "researcher",
    "researchers",
    "monitor",
    "monitors",
    "journalist",
    "journalists",
    "correspondent",
}
PRONOUNS = {"he", "she"}
QUOTES = {'"', "“", "”", "«", "»", "„"}


# When the subject names several actors ("the US think tank Institute for the Study
# of War"), the most specific one speaks.
SPEAKER_PRIORITY = [
    EntityKind.PERSON,
    EntityKind.ORGANIZATION,
    EntityKind.ARMED_FORCE,
    EntityKind.STATE,
    EntityKind.PLACE,
]
_NAME_PARTS = {"compound", "appos", "conj", "nmod", "amod", "poss", "flat", "cc"}


def _subject_core(tokens: list[Token]) -> list[Token]:
    """The head of a subject phrase with its name parts, not its modifiers' modifiers.

    In "Michael Bohnert of the US think tank Rand Corporation" that is "Michael Bohnert".
    """
    head = min(tokens, key=lambda t: (t.head in tokens and t.head is not t, t.i))
    core = [head]
    for child in head.children:
        if child.dep_ in _NAME_PARTS:
            core.extend(child.subtree if child.dep_ in {"appos", "conj"} else [child])
    return core


def _actor_mention(
    tokens: list[Token], mentions: list[Mention], entities: dict[str, Entity]
) -> Mention | None:
    core = _subject_core(tokens)
    spans = [(t.idx, t.idx + len(t.text)) for t in core]
    inside = [m for m in mentions if any(b < m.end and m.begin < e for b, e in spans)]
    speakers = [
        m
        for m in inside
        if entities[m.entity].kind is not EntityKind.PLACE or entities[m.entity].capital_of
    ]
    if not speakers:
        return None
    return min(speakers, key=lambda m: (SPEAKER_PRIORITY.index(entities[m.entity].kind), m.begin))


def _unnamed_source(tokens: list[Token], document_id: str) -> Entity | None:
    noun = _subject_core(tokens)[0]
    if noun.lower_ not in SOURCE_NOUNS or any(t.like_num for t in noun.children):
        return None
    words = [t for t in noun.subtree if t.i <= noun.i and t.dep_ != "det" and not t.is_punct]
    label = " ".join(t.text for t in words) or noun.text
    kind = (
        EntityKind.PERSON
        if noun.tag_ == "NN" and noun.lower_ not in {"intelligence", "ministry"}
        else EntityKind.ORGANIZATION
    )
    # Unnamed sources are not the same actor in two articles, so the key is scoped.
    return Entity(
        key=f"{kind.value}/unnamed-{document_id[:12]}-{slug(label)}", kind=kind, label=label
    )


def _speaker_tokens(cue: Token) -> list[Token] | None:
    """The subject of a reporting verb; the 'by' agent of a passive one ('as noted by X')."""
    for child in cue.children:
        if child.dep_ == "agent":
            objects = [t for t in child.children if t.dep_ == "pobj"]
            return list(objects[0].subtree) if objects else None
    for child in cue.children:
        if child.dep_ == "nsubj":
            if child.lower_ in {"who", "which", "that"} and cue.dep_ == "relcl":
                return [cue.head]
            return list(child.subtree)
    if cue.dep_ == "conj" and cue.head is not cue:
        return _speaker_tokens(cue.head)  # "X arrived and said": the shared subject
    return None


class _Speakers:
    """Remembers the last person named or quoted, for 'he said'."""

    def __init__(self) -> None:
        self.last_person: str | None = None


def find_claims(
    doc: Doc,
    sentences: dict[int, Sentence],
    mentions: list[Mention],
    entities: dict[str, Entity],
    quantities: list[Quantity],
    events: list[Event],
    document_id: str,
) -> tuple[list[Claim], dict[str, Entity]]:
    """Claims in text order, and the unnamed-source actors they introduce."""
    claims: list[Claim] = []
    unnamed: dict[str, Entity] = {}
    memory = _Speakers()
    previous_speaker: str | None = None
    for sent in doc.sents:
        sentence = sentences[sent.start_char]
        facts = tuple(q.key for q in quantities if q.sentence == sentence)
        facts += tuple(e.key for e in events if e.sentence == sentence)
        found = _claims_of_sentence(
            sent, sentence, mentions, entities, unnamed, memory, document_id, facts
        )
        if not found and previous_speaker and _is_quotation(sent):
            quote = sent[0] if sent[0].text in QUOTES else sent[-1]
            found = [
                Claim(
                    quote.idx,
                    quote.idx + len(quote.text),
                    quote.text,
                    sentence,
                    previous_speaker,
                    facts,
                )
            ]
        claims.extend(found)
        previous_speaker = found[-1].speaker if found else None
        for mention in mentions:
            if (
                sent.start_char <= mention.begin < sent.end_char
                and entities[mention.entity].kind is EntityKind.PERSON
            ):
                memory.last_person = mention.entity
    return claims, unnamed


def _is_quotation(sent: SpacySpan) -> bool:
    text = sent.text.strip()
    return len(text) > 1 and text[0] in QUOTES


def _claims_of_sentence(
    sent: SpacySpan,
    sentence: Sentence,
    mentions: list[Mention],
    entities: dict[str, Entity],
    unnamed: dict[str, Entity],
    memory: _Speakers,
    document_id: str,
    facts: tuple[str, ...],
) -> list[Claim]:
    claims: dict[str, Claim] = {}
    for token in sent:
        speaker_tokens: list[Token] | None = None
        cue: SpacySpan | Token = token
        if token.lower_ == "according" and token.i + 1 < sent.end and token.nbor().lower_ == "to":
            to = token.nbor()
            objects = [c for c in to.children if c.dep_ == "pobj"]
            speaker_tokens = list(objects[0].subtree) if objects else None
            cue = sent.doc[token.i : token.i + 2]
        elif token.pos_ == "VERB" and token.lemma_.lower() in CUE_VERBS:
            speaker_tokens = _speaker_tokens(token)
        if not speaker_tokens:
            continue
        speaker = _resolve_speaker(speaker_tokens, mentions, entities, unnamed, memory, document_id)
        if speaker is None or speaker in claims:
            continue
        begin = cue.idx if isinstance(cue, Token) else cue.start_char
        end = begin + len(cue.text)
        claims[speaker] = Claim(begin, end, cue.text, sentence, speaker, facts)
        if speaker.startswith(EntityKind.PERSON.value + "/"):
            memory.last_person = speaker
    return list(claims.values())


def _resolve_speaker(
    tokens: list[Token],
    mentions: list[Mention],
    entities: dict[str, Entity],
    unnamed: dict[str, Entity],
    memory: _Speakers,
    document_id: str,
) -> str | None:
    if len(tokens) == 1 and tokens[0].lower_ in PRONOUNS:
        return memory.last_person
    mention = _actor_mention(tokens, mentions, entities)
    # A named person speaks for themself ("a Ukrainian commander, Petrenko, reported");
    # otherwise a typed group ("Ukrainian soldiers", "Pentagon officials") is a source of
    # its own, not the force or body it belongs to.
    if mention is not None and entities[mention.entity].kind is EntityKind.PERSON:
        return mention.entity
    source = _unnamed_source(tokens, document_id)
    if source is None:
        return actor_key(entities[mention.entity]) if mention is not None else None
    unnamed.setdefault(source.key, source)
    return source.key
