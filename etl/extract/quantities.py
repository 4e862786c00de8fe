"""Quantities: a figure in the text with its qualifier, measure, unit and subject.

A figure is a number token ("12,000", "six", "1.4") with an optional currency
sign before it and scale word after it ("$425 million"). Around it:

- the qualifier is read from the words just before it ("more than", "some",
  "up to") and a few after it ("or more", "-plus"); each figure in a coordinated
  phrase reads its own ("over 300 killed and more than 2,700 injured");
- the measure comes from the unit ("%", "square miles", "$"), the counted noun
  after the figure ("troops", "vehicles"), casualty words following it
  ("killed", "wounded or missing"), or a group noun before it ("a force of 50,000");
- figures that are dates, durations, ordinals or bare numbers with nothing
  counted are not quantities.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from ..gazetteer import Gazetteer
from ..model import Entity, EntityKind, Measure, Mention, Qualifier, Quantity, Sentence, Unit
from ..nlp import doc_text
from .roles import first_place
from .time import time_near

WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
SCALES = {
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
    "k": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "bn": 10**9,
    "mln": 10**6,
}
CURRENCY_SIGNS = {"$": Unit.USD, "€": Unit.EUR, "£": Unit.GBP, "₴": Unit.UAH, "₽": Unit.RUB}
CURRENCY_WORDS = {
    "dollar": Unit.USD,
    "euro": Unit.EUR,
    "pound": Unit.GBP,
    "hryvnia": Unit.UAH,
    "hryvnias": Unit.UAH,
    "rouble": Unit.RUB,
    "ruble": Unit.RUB,
    "usd": Unit.USD,
    "eur": Unit.EUR,
}

# Qualifier phrases, longest first, as lower-case word sequences before the figure.
QUALIFIERS_BEFORE: tuple[tuple[tuple[str, ...], Qualifier], ...] = tuple(
    sorted(
        (
            (tuple(phrase.split()), qualifier)
            for qualifier, phrases in {
                Qualifier.MORE_THAN: [
                    "more than",
                    "over",
                    "upwards of",
                    "in excess of",
                    "above",
                    "well over",
                    "more then",
                ],
                Qualifier.AT_LEAST: [
                    "at least",
                    "no fewer than",
                    "no less than",
                    "a minimum of",
                    "not less than",
                ],
                Qualifier.UP_TO: [
                    "up to",
                    "as many as",
                    "as much as",
                    "at most",
                    "no more than",
                    "a maximum of",
                    "fewer than",
                    "less than",
                ],
                Qualifier.NEARLY: [
                    "nearly",
                    "almost",
                    "approaching",
                    "close to",
                    "just under",
                    "just short of",
                    "nigh on",
                ],
                Qualifier.APPROXIMATELY: [
                    "approximately",
                    "about",
                    "around",
                    "some",
                    "roughly",
                    "an estimated",
                    "estimated at",
                    "estimated",
                    "circa",
                    "approx.",
                    "approx",
                    "an approximate",
                    "about some",
                    "round about",
                    "reportedly around",
                ],
            }.items()
            for phrase in phrases
        ),
        key=lambda item: -len(item[0]),
    )
)
QUALIFIERS_AFTER = {
    ("or", "more"): Qualifier.AT_LEAST,
    ("-plus",): Qualifier.AT_LEAST,
    ("plus",): Qualifier.AT_LEAST,
    ("or", "so"): Qualifier.APPROXIMATELY,
}

PERSON_NOUNS = {
    "troop",
    "troops",
    "soldier",
    "man",
    "men",
    "personnel",
    "serviceman",
    "servicemen",
    "servicemember",
    "individual",
    "fighter",
    "people",
    "person",
    "recruit",
    "conscript",
    "mercenary",
    "marine",
    "paratrooper",
    "officer",
    "reservist",
    "volunteer",
    "infantryman",
    "combatant",
    "force",
    "forces",
    "strong",
    "defender",
}
CIVILIAN_NOUNS = {"civilian", "child", "children", "resident", "refugee", "woman", "women"}
CAPTIVE_NOUNS = {"prisoner", "pow", "pows", "captive", "hostage"}
EQUIPMENT_NOUNS = {
    "vehicle",
    "tank",
    "drone",
    "missile",
    "rocket",
    "shell",
    "howitzer",
    "aircraft",
    "jet",
    "plane",
    "helicopter",
    "launcher",
    "system",
    "gun",
    "munition",
    "round",
    "bomb",
    "ship",
    "boat",
    "artillery",
    "apc",
    "apcs",
    "ifv",
    "ifvs",
    "carrier",
    "warplane",
    "fighter-jet",
    "stryker",
    "strykers",
    "bradley",
    "bradleys",
    "leopard",
    "leopards",
    "abrams",
    "himars",
    "atacms",
    "mortar",
    "weapon",
    "piece",
}
GROUP_NOUNS = {"group", "contingent", "force", "army", "unit", "strength", "troops", "grouping"}
CASUALTY_WORDS = {
    "killed": Measure.KILLED,
    "dead": Measure.KILLED,
    "death": Measure.KILLED,
    "deaths": Measure.KILLED,
    "died": Measure.KILLED,
    "fatality": Measure.KILLED,
    "fatalities": Measure.KILLED,
    "slain": Measure.KILLED,
    "wounded": Measure.WOUNDED,
    "injured": Measure.WOUNDED,
    "injuries": Measure.WOUNDED,
    "captured": Measure.CAPTURED,
    "prisoner": Measure.CAPTURED,
    "prisoners": Measure.CAPTURED,
    "missing": Measure.MISSING,
    "casualties": Measure.CASUALTIES,
    "casualty": Measure.CASUALTIES,
    "losses": Measure.CASUALTIES,
}
TIME_NOUNS = {
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "decade",
    "century",
    "night",
    "time",
    "times",
    "am",
    "pm",
    "o'clock",
    "percent",
    "%",
}
TERRITORY_WORDS = {
    "territory",
    "territories",
    "area",
    "areas",
    "land",
    "ground",
    "region",
    "oblast",
    "control",
    "occupied",
    "seized",
    "regained",
    "reclaim",
    "reclaimed",
    "recaptured",
    "captured",
    "held",
    "liberated",
    "taken",
    "retook",
    "territorial",
}
AREA_UNITS = {
    ("square", "miles"): Unit.SQUARE_MILE,
    ("square", "mile"): Unit.SQUARE_MILE,
    ("square", "kilometres"): Unit.SQUARE_KILOMETRE,
    ("square", "kilometers"): Unit.SQUARE_KILOMETRE,
    ("square", "km"): Unit.SQUARE_KILOMETRE,
    ("sq", "km"): Unit.SQUARE_KILOMETRE,
    ("km2",): Unit.SQUARE_KILOMETRE,
    ("km²",): Unit.SQUARE_KILOMETRE,
    ("sq", "miles"): Unit.SQUARE_MILE,
}
DISTANCE_UNITS = {
    "mile": Unit.MILE,
    "miles": Unit.MILE,
    "kilometre": Unit.KILOMETRE,
    "kilometres": Unit.KILOMETRE,
    "kilometer": Unit.KILOMETRE,
    "kilometers": Unit.KILOMETRE,
    "km": Unit.KILOMETRE,
}
COUNTED_NOUNS = PERSON_NOUNS | EQUIPMENT_NOUNS | CIVILIAN_NOUNS | CAPTIVE_NOUNS
QUALIFIER_WORDS = {word for phrase, _ in QUALIFIERS_BEFORE for word in phrase}
PERSON_MEASURES = {
    Measure.TROOP_COUNT,
    Measure.KILLED,
    Measure.WOUNDED,
    Measure.CAPTURED,
    Measure.MISSING,
    Measure.CASUALTIES,
}
_LOOKAHEAD = 7


def parse_number(text: str) -> Decimal | None:
    """'12,000' -> 12000, '1.4' -> 1.4, 'six' -> 6; None when not a plain number."""
    lowered = text.lower().replace(",", "").replace("\u202f", "").replace("\u00a0", "")
    if lowered in WORD_NUMBERS:
        return Decimal(WORD_NUMBERS[lowered])
    if not re.fullmatch(r"\d+(?:\.\d+)?", lowered):
        return None
    try:
        return Decimal(lowered)
    except InvalidOperation:
        return None


def _is_date_or_ordinal(token: Token) -> bool:
    return token.ent_type_ in {"DATE", "TIME", "ORDINAL"} and not (
        token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ in {"%", "percent"}
    )


def _qualifier_before(doc: Doc, start: int, floor: int) -> tuple[Qualifier, int]:
    """The qualifier phrase ending just before token `start`, and where it begins."""
    words = [t.lower_ for t in doc[max(floor, start - 4) : start]]
    for phrase, qualifier in QUALIFIERS_BEFORE:
        if len(phrase) <= len(words) and tuple(words[-len(phrase) :]) == phrase:
            return qualifier, start - len(phrase)
    return Qualifier.EXACT, start


def _qualifier_after(doc: Doc, end: int) -> Qualifier | None:
    for phrase, qualifier in QUALIFIERS_AFTER.items():
        words = tuple(t.lower_ for t in doc[end : end + len(phrase)])
        if words == phrase:
            return qualifier
    return None


class _Figure:
    """The tokens of one figure: [start, end) covers sign, digits, scale and unit."""

    def __init__(self, doc: Doc, index: int) -> None:
        self.doc = doc
        self.start = index
        self.end = index + 1
        self.value = parse_number(doc[index].text) or Decimal(0)
        self.unit: Unit | None = None
        self.measure: Measure | None = None
        previous = doc[index - 1] if index > 0 else None
        if previous is not None and previous.text in CURRENCY_SIGNS:
            self.unit, self.measure, self.start = (
                CURRENCY_SIGNS[previous.text],
                Measure.MONEY_AMOUNT,
                index - 1,
            )
        self._read_scale_and_unit()

    def _read_scale_and_unit(self) -> None:
        doc = self.doc
        if self.end < len(doc) and doc[self.end].lower_ in SCALES:
            self.value *= SCALES[doc[self.end].lower_]
            self.end += 1
        following = doc[self.end] if self.end < len(doc) else None
        if following is None:
            return
        lower = following.lower_
        if lower in {"%", "percent", "pc"} or (lower == "per" and self._next_is("cent")):
            self.unit, self.measure = Unit.PERCENT, Measure.TERRITORY_SHARE
            self.end += 2 if lower == "per" else 1
        elif lower in CURRENCY_WORDS or following.lemma_.lower() in CURRENCY_WORDS:
            self.unit = CURRENCY_WORDS.get(lower) or CURRENCY_WORDS[following.lemma_.lower()]
            self.measure = Measure.MONEY_AMOUNT
            self.end += 1
        else:
            for words, unit in AREA_UNITS.items():
                if tuple(t.lower_ for t in doc[self.end : self.end + len(words)]) == words:
                    self.unit, self.measure = unit, Measure.TERRITORY_AREA
                    self.end += len(words)
                    return
            if lower in DISTANCE_UNITS:
                self.unit, self.measure = DISTANCE_UNITS[lower], Measure.OTHER
                self.end += 1
            elif lower in {"times", "-fold", "fold"}:
                self.unit, self.measure = Unit.TIMES, Measure.OTHER
                self.end += 1

    def _next_is(self, word: str) -> bool:
        return self.end + 1 < len(self.doc) and self.doc[self.end + 1].lower_ == word


def _counted_noun(doc: Doc, figure: _Figure, limit: int, mentions: list[Mention]) -> Token | None:
    """The noun the figure counts: the first known noun within a few tokens after it."""
    for token in doc[figure.end : min(limit, figure.end + _LOOKAHEAD)]:
        if token.is_punct and token.text not in {"-"}:
            return None
        if token.like_num or token.lower_ in {"and", "or", "of", "in", "to", "on", "at", "from"}:
            return None
        lemma = token.lemma_.lower()
        if lemma in COUNTED_NOUNS or token.lower_ in COUNTED_NOUNS:
            return token
        if lemma in TIME_NOUNS or token.lower_ in TIME_NOUNS:
            return token
        # "12,000 North Koreans": a force named by its demonym is counted people
        in_mention = any(m.begin <= token.idx < m.end for m in mentions)
        last_noun = token.i + 1 >= len(doc) or doc[token.i + 1].pos_ not in {"PROPN", "NOUN"}
        if in_mention and token.pos_ in {"PROPN", "NOUN"} and last_noun:
            return token
    return None


def _casualty_measure(doc: Doc, start: int, limit: int) -> Measure | None:
    """Casualty words after the figure, up to the next figure or the end of its clause.

    A comma ends the clause unless a casualty word follows it ("killed, injured or
    missing"); so does a verb other than a reporting or auxiliary one.
    """
    found: set[Measure] = set()
    for token in doc[start : min(limit, start + _LOOKAHEAD + 3)]:
        lower = token.lower_
        measure = CASUALTY_WORDS.get(lower)
        if measure is not None:
            found.add(measure)
            continue
        status = lower == "as" and token.i > 0 and token.nbor(-1).lemma_.lower() in _STATUS_VERBS
        if status:
            continue
        if token.like_num or lower in _CLAUSE_ENDS or (lower == "," and not _casualty_next(token)):
            break
        if token.pos_ == "VERB" and token.lemma_.lower() not in _REPORTING_VERBS | _STATUS_VERBS:
            break
    if not found:
        return None
    if Measure.CASUALTIES in found or len(found) > 1:
        return Measure.CASUALTIES
    return found.pop()


_CLAUSE_ENDS = {";", "—", "–", "(", "while", "but", "with", "when", "as", "."}
# "listed as missing": here "as" introduces the casualty status, not a new clause.
_STATUS_VERBS = {"list", "classify", "count", "register", "report", "confirm", "declare"}
CAPTURE_VERBS = {"capture", "seize", "take"}
_REPORTING_VERBS = {
    "report",
    "say",
    "believe",
    "confirm",
    "estimate",
    "fear",
    "presume",
    "be",
    "have",
    "leave",
    "know",
    "think",
}


def _casualty_next(token: Token) -> bool:
    following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    return following is not None and following.lower_ in CASUALTY_WORDS


def _group_before(doc: Doc, start: int, floor: int) -> bool:
    """'a force of 50,000', 'an "enemy group" of nearly 50,000'."""
    i = start - 1
    while i >= floor and doc[i].lower_ in QUALIFIER_WORDS:
        i -= 1
    if i < floor + 1 or doc[i].lower_ != "of":
        return False
    return any(token.lemma_.lower() in GROUP_NOUNS for token in doc[max(floor, i - 3) : i])


def _measure(doc: Doc, figure: _Figure, sent: SpacySpan, mentions: list[Mention]) -> Measure | None:
    if figure.measure is Measure.TERRITORY_SHARE:
        words = {t.lemma_.lower() for t in sent} | {t.lower_ for t in sent}
        return Measure.TERRITORY_SHARE if words & TERRITORY_WORDS else Measure.OTHER
    if figure.measure is not None:
        return figure.measure
    noun = _counted_noun(doc, figure, sent.end, mentions)
    if noun is not None and (noun.lemma_.lower() in TIME_NOUNS or noun.lower_ in TIME_NOUNS):
        return None  # a duration or a time of day
    if noun is not None and noun.dep_ == "dobj" and noun.head.lemma_.lower() in CAPTURE_VERBS:
        return Measure.CAPTURED  # "captured two wounded soldiers": wounded says which ones
    casualty = _casualty_measure(doc, figure.end, sent.end)
    if noun is not None:
        lemma = noun.lemma_.lower()
        if lemma in EQUIPMENT_NOUNS or noun.lower_ in EQUIPMENT_NOUNS:
            return casualty if casualty and lemma == "people" else Measure.EQUIPMENT_COUNT
        if lemma in CAPTIVE_NOUNS:
            return Measure.CAPTURED
        if casualty is not None:
            return casualty
        if lemma in CIVILIAN_NOUNS:
            return None  # civilians are not troops; their casualties are handled above
        return Measure.TROOP_COUNT
    if casualty is not None:
        return casualty
    if _units_of_equipment(doc, figure, sent):
        figure.unit = Unit.ITEMS
        return Measure.EQUIPMENT_COUNT
    if _group_before(doc, figure.start, sent.start) or _numbers_people(doc[figure.end - 1]):
        return Measure.TROOP_COUNT
    if _estimate_of_people(doc, figure.start, sent.start):
        return Measure.TROOP_COUNT
    return None


def _numbers_people(number: Token) -> bool:
    """'soldiers, who number at least 11,000': the verb 'number' counts its subject."""
    verb = number.head
    if verb.lemma_.lower() != "number" or verb.pos_ != "VERB":
        return False
    subject = verb.head if verb.dep_ == "relcl" else verb
    if subject is not verb:
        return subject.lemma_.lower() in PERSON_NOUNS
    return any(c.dep_ == "nsubj" and c.lemma_.lower() in PERSON_NOUNS for c in verb.children)


def _estimate_of_people(doc: Doc, start: int, floor: int) -> bool:
    """'put the number of troops sent to Russia at an estimated 14,000'."""
    i = start - 1
    while i > floor and doc[i].lower_ != "at" and doc[i].lower_ in QUALIFIER_WORDS | {"an", "a"}:
        i -= 1
    if doc[i].lower_ != "at":
        return False
    words = [t.lemma_.lower() for t in doc[floor:i]]
    return any(
        word in {"number", "total", "count"}
        and "of" in words[k + 1 : k + 2]
        and any(w in PERSON_NOUNS for w in words[k + 2 : k + 6])
        for k, word in enumerate(words)
    )


def _units_of_equipment(doc: Doc, figure: _Figure, sent: SpacySpan) -> bool:
    """'400 units' counts equipment when the sentence is about equipment."""
    if figure.end >= len(doc) or doc[figure.end].lower_ not in {"units", "pieces", "items"}:
        return False
    words = {t.lemma_.lower() for t in sent}
    return bool(words & (EQUIPMENT_NOUNS | {"arsenal", "stock", "stockpile", "inventory"}))


def _unit(measure: Measure, figure: _Figure) -> Unit | None:
    if figure.unit is not None:
        return figure.unit
    if measure in PERSON_MEASURES:
        return Unit.PERSONS
    if measure is Measure.EQUIPMENT_COUNT:
        return Unit.ITEMS
    return None


def _about(
    figure: _Figure,
    measure: Measure,
    sent: SpacySpan,
    mentions: list[Mention],
    entities: dict[str, Entity],
    gazetteer: Gazetteer,
) -> str | None:
    """What is counted: a mention in the counted phrase, else the one force of the sentence."""
    doc = figure.doc
    window_end = doc[min(len(doc), figure.end + _LOOKAHEAD) - 1].idx + 1
    begin = doc[figure.start].idx
    in_sentence = [m for m in mentions if sent.start_char <= m.begin < sent.end_char]
    for mention in in_sentence:
        if begin <= mention.begin < window_end and _is_actor(entities[mention.entity]):
            return mention.entity
    if measure not in PERSON_MEASURES:
        return None
    forces = {m.entity for m in in_sentence if entities[m.entity].kind is EntityKind.ARMED_FORCE}
    if len(forces) == 1:
        return forces.pop()
    states = {m.entity for m in in_sentence if entities[m.entity].kind is EntityKind.STATE}
    if len(states) == 1 and not forces:
        own = gazetteer.main_force(states.pop())
        if own is not None:
            return own.key
    return None


def _noun_left_out(doc: Doc, figure: _Figure, sent: SpacySpan) -> bool:
    """A bare figure that ends its phrase: its noun is the previous figure's, left out."""
    if figure.unit is not None:
        return False
    following = doc[figure.end] if figure.end < sent.end else None
    return following is None or following.is_punct or following.pos_ in {"ADP", "ADV", "CCONJ"}


def _restated(doc: Doc, figure: _Figure, previous: Quantity | None) -> bool:
    """'500 square kilometres (190 square miles)': the same figure in another unit."""
    if previous is None or figure.start == 0 or doc[figure.start - 1].text != "(":
        return False
    return doc_text(doc)[previous.end : doc[figure.start - 1].idx].strip() == ""


def _is_actor(entity: Entity) -> bool:
    return entity.kind in {EntityKind.ARMED_FORCE, EntityKind.STATE, EntityKind.ORGANIZATION}


def find_quantities(
    doc: Doc,
    sentences: dict[int, Sentence],
    mentions: list[Mention],
    entities: dict[str, Entity],
    gazetteer: Gazetteer,
    issued: object = None,
) -> list[Quantity]:
    """Every figure of a known measure, in text order."""
    quantities: list[Quantity] = []
    for sent in doc.sents:
        sentence = sentences[sent.start_char]
        index = sent.start
        while index < sent.end:
            token = doc[index]
            if not (token.like_num and parse_number(token.text) is not None) or _is_date_or_ordinal(
                token
            ):
                index += 1
                continue
            figure = _Figure(doc, index)
            index = figure.end
            previous = (
                quantities[-1] if quantities and quantities[-1].sentence == sentence else None
            )
            measure = _measure(doc, figure, sent, mentions)
            if measure is None and previous is not None and _noun_left_out(doc, figure, sent):
                # "60,000 soldiers killed or wounded, and around 9,000 in October alone"
                measure, figure.unit = previous.measure, figure.unit or previous.unit
            if measure is None or _restated(doc, figure, previous):
                continue
            qualifier, qualifier_start = _qualifier_before(doc, figure.start, sent.start)
            qualifier = _qualifier_after(doc, figure.end) or qualifier
            first, last = doc[qualifier_start], doc[figure.end - 1]
            begin, end = first.idx, last.idx + len(last.text)
            time_text, time_value = time_near(doc, sent, begin, issued)
            quantities.append(
                Quantity(
                    begin=begin,
                    end=end,
                    text=doc_text(doc)[begin:end],
                    sentence=sentence,
                    measure=measure,
                    value=figure.value,
                    unit=_unit(measure, figure),
                    qualifier=qualifier,
                    about=_about(figure, measure, sent, mentions, entities, gazetteer),
                    place=first_place(sent.start_char, sent.end_char, mentions, entities),
                    time_text=time_text,
                    time=time_value,
                )
            )
    return quantities
