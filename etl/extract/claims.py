"""Claims: who said or reported what, linked to the facts of the sentence.

Cues:
- a reporting verb ("said", "told", "announced", "reported", "confirmed",
  "pointed out", …) whose grammatical subject names an actor, before or after it
  ("…, said Petrenko"), or whose "by" phrase does ("as noted by X"), or, for an
  "-ing" form, the noun of a "with" phrase ("with spokesperson X saying that …");
- "according to X";
- an epistemic source as the subject of the main verb ("Analysts remain divided
  on …", "Experts doubt …"): what such sources say is a claim by nature;
- an interview turn: a line that opens with a person's name and a colon
  ("Dr. Petrenko: …") credits that person with the turn's sentences about the
  conflict, unless a sentence names a source of its own;
- a quotation with no cue of its own continues the speaker of the sentence
  before it when that sentence was attributed.

A subject that is "he" or "she" is the last person who spoke or was named in
the article, and "who" is the person it follows. A subject that names no known
actor but is a typed source ("U.S. officials", "a Ukrainian commander",
"military analysts") becomes an unnamed actor of its own, scoped to the article.
A verb whose subject is what was reported ("soldiers reported killed") names
no speaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from ..model import Claim, Entity, EntityKind, Event, Mention, Quantity, Sentence
from ..nlp import doc_text, sentence_ents
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
    "express",
}
# Verbs that report only in one construction: "pointed out", "put the toll at 300".
PHRASAL_CUES = {"point", "put"}
# Sources whose statements are assessments by nature, whatever the verb.
EPISTEMIC_SOURCES = {
    "analyst",
    "analysts",
    "expert",
    "experts",
    "observer",
    "observers",
    "commentator",
    "commentators",
    "critic",
    "critics",
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
    "service",
    "agency",
    "media",
}
# Source nouns that name a body rather than a person.
BODY_NOUNS = {"intelligence", "ministry", "service", "agency", "media"}
# Documents that speak for whoever wrote them ("a Western intelligence assessment"):
# a source only when a modifier says whose they are, since "reports say" names no one.
DOCUMENT_NOUNS = {"assessment", "report", "estimate", "study", "analysis", "survey"}
# Definite descriptions that point back at the organisation last named ("the agency said").
ANAPHORIC_BODIES = {"agency", "ministry", "service", "institute", "organisation", "organization"}
PRONOUNS = {"he", "she"}
QUOTES = {'"', "“", "”", "«", "»", "„"}
PERSON_LABELS = {"PERSON", "CKG_Person"}
FINITE_TAGS = {"VBD", "VBZ", "VBP", "MD"}
# "Dr. Jane Roe: …" at the start of a line: up to five capitalised words and a colon.
TURN_LABEL = re.compile(r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,4}(?=: )")


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

    In "Anna Kuzmenko of the Kyiv think tank Centre for Defence Strategies" that is
    "Anna Kuzmenko".
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
    head = core[0]
    if head.pos_ == "NOUN" and head.lower_ not in SOURCE_NOUNS:
        # "Russia's recent struggles indicate …": a possessor is not the speaker of its
        # noun, unless the noun is a kind of source ("Russia's defence ministry").
        owners = [t for c in head.children if c.dep_ == "poss" for t in c.subtree]
        inside = [m for m in inside if not any(m.begin <= t.idx < m.end for t in owners)]
    speakers = [
        m
        for m in inside
        if entities[m.entity].kind is not EntityKind.PLACE or entities[m.entity].capital_of
    ]
    if not speakers:
        return None
    return min(speakers, key=lambda m: (SPEAKER_PRIORITY.index(entities[m.entity].kind), m.begin))


def _is_owned_document(noun: Token) -> bool:
    return noun.lower_ in DOCUMENT_NOUNS and any(
        c.dep_ in {"amod", "compound"} and (c.text[:1].isupper() or c.lower_ == "intelligence")
        for c in noun.children
    )


def _unnamed_source(tokens: list[Token], document_id: str) -> Entity | None:
    noun = _subject_core(tokens)[0]
    if noun.lower_ not in SOURCE_NOUNS and not _is_owned_document(noun):
        return None
    if any(t.like_num for t in noun.children):
        return None
    words = [t for t in noun.subtree if t.i <= noun.i and t.dep_ != "det" and not t.is_punct]
    label = doc_text(noun.doc)[words[0].idx : noun.idx + len(noun.text)] if words else noun.text
    kind = (
        EntityKind.PERSON
        if noun.tag_ == "NN" and noun.lower_ not in BODY_NOUNS | DOCUMENT_NOUNS
        else EntityKind.ORGANIZATION
    )
    # Unnamed sources are not the same actor in two articles, so the key is scoped.
    return Entity(
        key=f"{kind.value}/unnamed-{document_id[:12]}-{slug(label)}", kind=kind, label=label
    )


def _is_cue(token: Token) -> bool:
    lemma = token.lemma_.lower()
    if token.pos_ != "VERB":
        return False
    if lemma == "point":
        return any(c.dep_ == "prt" and c.lower_ == "out" for c in token.children)
    if lemma == "put":
        return any(t.lower_ == "at" and any(c.like_num for c in t.subtree) for t in token.subtree)
    return lemma in CUE_VERBS


def _reports_a_state(cue: Token) -> bool:
    """'soldiers reported killed': the subject is what was reported, not who reported it."""
    return any(
        c.dep_ in {"xcomp", "oprd", "ccomp", "acomp"}
        and c.tag_ == "VBN"
        and not any(g.dep_.startswith("nsubj") for g in c.children)
        for c in cue.children
    )


def _speaker_tokens(cue: Token) -> list[Token] | None:
    """The subject of a reporting verb; the 'by' agent of a passive one ('as noted by X')."""
    for child in cue.children:
        if child.dep_ == "agent":
            objects = [t for t in child.children if t.dep_ == "pobj"]
            return list(objects[0].subtree) if objects else None
    if _reports_a_state(cue):
        return None
    for child in cue.children:
        if child.dep_ == "nsubj":
            if child.lower_ in {"who", "which", "that"} and cue.dep_ == "relcl":
                return _antecedent(child, cue)
            return list(child.subtree)
    if cue.tag_ == "VBG":
        return _with_phrase_noun(cue)
    if cue.dep_ == "conj" and cue.head is not cue:
        return _speaker_tokens(cue.head)  # "X arrived and said": the shared subject
    return None


def _antecedent(pronoun: Token, clause: Token) -> list[Token]:
    """What a relative pronoun stands for: its clause's head, or for 'who' the last person.

    The parser often hangs a late "…, who said" on the nearest noun rather than on
    the person it follows.
    """
    head = clause.head
    if pronoun.lower_ != "who" or head.ent_type_ in PERSON_LABELS:
        return [head]
    ents = sentence_ents(pronoun.sent)
    people = [e for e in ents if e.label_ in PERSON_LABELS and e.end <= pronoun.i]
    return list(people[-1]) if people else [head]


def _with_phrase_noun(cue: Token) -> list[Token] | None:
    """'…, with spokesperson X of the brigade revealing that …': X speaks.

    The parser may hang the "-ing" verb on any noun in between, so the nearest
    "with" before the cue counts, unless a finite verb stands between them.
    """
    for token in reversed(cue.doc[cue.sent.start : cue.i]):
        if token.tag_ in FINITE_TAGS:
            return None
        if token.lower_ == "with":
            objects = [t for t in token.children if t.dep_ == "pobj"]
            return list(objects[0].subtree) if objects else None
    return None


def _epistemic_subject(sent: SpacySpan) -> list[Token] | None:
    """'Military analysts remain divided on …': the subject of the main verb, if epistemic."""
    for child in sent.root.children:
        if child.dep_ == "nsubj" and child.lower_ in EPISTEMIC_SOURCES:
            return list(child.subtree)
    return None


@dataclass
class _Context:
    """What attribution in one article needs: its mentions and who spoke last."""

    mentions: list[Mention]
    entities: dict[str, Entity]
    document_id: str
    unnamed: dict[str, Entity] = field(default_factory=dict)
    last_person: str | None = None  # for "he said"
    organizations: list[str] = field(default_factory=list)  # in order of last mention


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
    context = _Context(mentions, entities, document_id)
    previous_speaker: str | None = None
    for sent in doc.sents:
        sentence = sentences[sent.start_char]
        facts = tuple(q.key for q in quantities if q.sentence == sentence)
        facts += tuple(e.key for e in events if e.sentence == sentence)
        found = _claims_of_sentence(sent, sentence, context, facts)
        if not found:
            found = _turn_claim(sent, sentence, context, facts)
        if not found and previous_speaker and _is_quotation(sent):
            quote = sent[0] if sent[0].text in QUOTES else sent[-1]
            found = [_claim(quote, sentence, previous_speaker, facts)]
        claims.extend(found)
        previous_speaker = found[-1].speaker if found else None
        _remember_names(_mentions_in(sent.start_char, sent.end_char, mentions), context)
    return claims, context.unnamed


def _remember_names(mentions: list[Mention], context: _Context) -> None:
    """The last person ("he said") and the organisations in order of last mention
    ("the agency said") as of the end of a sentence."""
    for mention in mentions:
        kind = context.entities[mention.entity].kind
        if kind is EntityKind.PERSON:
            context.last_person = mention.entity
        elif kind is EntityKind.ORGANIZATION:
            if mention.entity in context.organizations:
                context.organizations.remove(mention.entity)
            context.organizations.append(mention.entity)


def _claim(
    cue: Token | SpacySpan, sentence: Sentence, speaker: str, facts: tuple[str, ...]
) -> Claim:
    begin = cue.idx if isinstance(cue, Token) else cue.start_char
    return Claim(begin, begin + len(cue.text), cue.text, sentence, speaker, facts)


def _mentions_in(begin: int, end: int, mentions: list[Mention]) -> list[Mention]:
    return [m for m in mentions if begin <= m.begin and m.end <= end]


def _is_quotation(sent: SpacySpan) -> bool:
    text = sent.text.strip()
    return len(text) > 1 and text[0] in QUOTES


def _claims_of_sentence(
    sent: SpacySpan, sentence: Sentence, context: _Context, facts: tuple[str, ...]
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
        elif _is_cue(token):
            speaker_tokens = _speaker_tokens(token)
        if not speaker_tokens:
            continue
        speaker = _resolve_speaker(speaker_tokens, context)
        if speaker is None or speaker in claims:
            continue
        claims[speaker] = _claim(cue, sentence, speaker, facts)
        if speaker.startswith(EntityKind.PERSON.value + "/"):
            context.last_person = speaker
    according = [c for c in claims.values() if c.text.lower().startswith("according")]
    if according:
        # "X did Y, according to Z": Z vouches for the whole sentence, verbs inside included.
        return according
    if not claims and (subject := _epistemic_subject(sent)):
        speaker = _resolve_speaker(subject, context)
        if speaker is not None:
            claims[speaker] = _claim(sent.root, sentence, speaker, facts)
    return list(claims.values())


def _turn_claim(
    sent: SpacySpan, sentence: Sentence, context: _Context, facts: tuple[str, ...]
) -> list[Claim]:
    """A sentence of an interview turn, credited to the person named in the turn's label.

    The answer's opening sentence states the speaker's position when it names an
    actor or place; later sentences of the turn count when they carry a figure or
    an event. Questions and pleasantries never do.
    """
    text = doc_text(sent.doc)
    line_start = text.rfind("\n", 0, sent.start_char) + 1
    label = TURN_LABEL.match(text, line_start)
    if label is None or sent.text.rstrip().endswith("?"):
        return []
    people = [
        m
        for m in _mentions_in(label.start(), label.end(), context.mentions)
        if context.entities[m.entity].kind is EntityKind.PERSON
    ]
    body = [t for t in sent if t.idx > label.end() and not t.is_space and t.text != ":"]
    if not people or not body:
        return []
    opening = sent.start_char <= label.end()
    if not facts and not (opening and _mentions_in(body[0].idx, sent.end_char, context.mentions)):
        return []
    return [_claim(body[0], sentence, people[0].entity, facts)]


def _organization_named(description: str, context: _Context) -> str | None:
    """'the General Staff', 'the ministry': the organisation last named whose name holds
    the description; 'the agency' or 'the service' is the organisation last named at all."""
    for key in reversed(context.organizations):
        if description in context.entities[key].label.lower():
            return key
    if description in ANAPHORIC_BODIES and context.organizations:
        return context.organizations[-1]
    return None


def _resolve_speaker(tokens: list[Token], context: _Context) -> str | None:
    if len(tokens) == 1 and tokens[0].lower_ in PRONOUNS:
        return context.last_person
    entities = context.entities
    mention = _actor_mention(tokens, context.mentions, entities)
    if mention is None and tokens[0].lower_ == "the":
        named = _organization_named(" ".join(t.lower_ for t in tokens[1:]), context)
        if named is not None:
            return named
    # A named person speaks for themself ("a Ukrainian commander, Petrenko, reported");
    # otherwise a typed group ("Ukrainian soldiers", "Pentagon officials") is a source of
    # its own, not the force or body it belongs to.
    if mention is not None and entities[mention.entity].kind is EntityKind.PERSON:
        return mention.entity
    head = _subject_core(tokens)[0]
    if (
        mention is not None
        and entities[mention.entity].kind is EntityKind.ORGANIZATION
        and mention.begin <= head.idx < mention.end
    ):
        return mention.entity  # a named body ("Russia's defence ministry") is no group
    source = _unnamed_source(tokens, context.document_id)
    if source is None:
        return actor_key(entities[mention.entity]) if mention is not None else None
    context.unnamed.setdefault(source.key, source)
    return source.key
