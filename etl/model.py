"""The plain, immutable types that pass between the stages of the pipeline.

ingest -> Document -> nlp/extract -> Extraction -> rdf -> rdflib Graph

Offsets are character (code point) offsets into `Document.text`, end exclusive,
so `text[begin:end]` is always the surface form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class EntityKind(StrEnum):
    """The five entity types of the output contract; the value is the IRI path segment."""

    PERSON = "person"
    ORGANIZATION = "organization"
    STATE = "state"
    ARMED_FORCE = "armed-force"
    PLACE = "place"

    @property
    def rdf_class(self) -> str:
        return {
            "person": "Person",
            "organization": "Organization",
            "state": "State",
            "armed-force": "ArmedForce",
            "place": "Place",
        }[self.value]


class Measure(StrEnum):
    TROOP_COUNT = "TroopCount"
    KILLED = "Killed"
    WOUNDED = "Wounded"
    CAPTURED = "Captured"
    MISSING = "Missing"
    CASUALTIES = "Casualties"
    TERRITORY_SHARE = "TerritoryShare"
    TERRITORY_AREA = "TerritoryArea"
    EQUIPMENT_COUNT = "EquipmentCount"
    MONEY_AMOUNT = "MoneyAmount"
    OTHER = "OtherQuantity"


class Qualifier(StrEnum):
    EXACT = "Exact"
    APPROXIMATELY = "Approximately"
    AT_LEAST = "AtLeast"
    MORE_THAN = "MoreThan"
    UP_TO = "UpTo"
    NEARLY = "Nearly"


class Unit(StrEnum):
    PERSONS = "Persons"
    PERCENT = "Percent"
    SQUARE_KILOMETRE = "SquareKilometre"
    SQUARE_MILE = "SquareMile"
    KILOMETRE = "Kilometre"
    MILE = "Mile"
    ITEMS = "Items"
    USD = "USD"
    EUR = "EUR"
    GBP = "GBP"
    UAH = "UAH"
    RUB = "RUB"
    TIMES = "Times"


class EventType(StrEnum):
    DEPLOYMENT = "Deployment"
    OFFENSIVE = "Offensive"
    ADVANCE = "Advance"
    WITHDRAWAL = "Withdrawal"
    ATTACK = "Attack"
    CAPTURE = "Capture"
    TREATY_RATIFICATION = "TreatyRatification"
    AID_PACKAGE = "AidPackage"


@dataclass(frozen=True)
class Document:
    """One article as read from disk, before any language processing.

    `text` is the whole article (decoded, line endings normalised, NFC) and is what
    offsets index into. `regions` are the (begin, end) stretches that extraction may
    read: header lines that became metadata and site boilerplate are left out, but
    nothing is cut from `text`, so offsets stay those of the article.
    """

    id: str  # sha256 of `text`, hex
    identifier: str  # the file name as given; `file.jsonl/id` for a jsonl line
    text: str
    regions: tuple[tuple[int, int], ...]
    title: str | None = None
    issued: date | None = None
    creator: str | None = None
    source: str | None = None
    path: str | None = None
    notes: tuple[str, ...] = ()  # what a reader should know, e.g. how the file was decoded

    def masked_text(self) -> str:
        """The text with everything outside `regions` blanked (newlines kept), same length."""
        chars = [c if c == "\n" else " " for c in self.text]
        for begin, end in self.regions:
            chars[begin:end] = self.text[begin:end]
        return "".join(chars)


@dataclass(frozen=True)
class Entity:
    """A real-world entity; `key` ("kind/slug") is stable across articles and runs."""

    key: str
    kind: EntityKind
    label: str
    alt_labels: frozenset[str] = frozenset()
    force_of: str | None = None  # key of the state an armed force belongs to
    capital_of: str | None = None  # key of the state a capital stands for
    from_gazetteer: bool = False


@dataclass(frozen=True)
class Sentence:
    begin: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    begin: int
    end: int
    text: str
    entity: str  # Entity.key


@dataclass(frozen=True)
class Quantity:
    begin: int
    end: int
    text: str
    sentence: Sentence
    measure: Measure
    value: Decimal
    unit: Unit | None
    qualifier: Qualifier
    about: str | None = None  # Entity.key of what is counted
    place: str | None = None  # Entity.key
    time_text: str | None = None
    time: str | None = None  # ISO date, year-month or year

    @property
    def key(self) -> str:
        return f"quantity/{self.begin}-{self.end}"


@dataclass(frozen=True)
class Event:
    begin: int
    end: int
    text: str  # the trigger word or phrase
    sentence: Sentence
    type: EventType
    agent: str | None = None
    place: str | None = None
    target: str | None = None
    time_text: str | None = None
    time: str | None = None

    @property
    def key(self) -> str:
        return f"event/{self.begin}-{self.end}"


@dataclass(frozen=True)
class Claim:
    begin: int
    end: int
    text: str  # the attribution cue: "said", "according to", a quotation mark
    sentence: Sentence
    speaker: str  # Entity.key
    asserts: tuple[str, ...] = ()  # keys of the quantities and events it carries

    @property
    def key(self) -> str:
        return f"claim/{self.begin}-{self.end}"


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document, ready to be written as RDF."""

    document: Document
    sentences: tuple[Sentence, ...] = ()
    mentions: tuple[Mention, ...] = ()
    entities: tuple[Entity, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    events: tuple[Event, ...] = ()
    claims: tuple[Claim, ...] = ()
    model_name: str = ""
    model_version: str = ""

    def counts(self) -> dict[str, int]:
        return {
            "mentions": len(self.mentions),
            "entities": len({m.entity for m in self.mentions}),
            "quantities": len(self.quantities),
            "events": len(self.events),
            "claims": len(self.claims),
        }
