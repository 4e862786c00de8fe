"""Extraction -> rdflib Graph, following docs/graph.md. Pure: no I/O, no clock.

IRIs are minted from content (the article's sha256, character offsets, entity
keys), so the same input and settings always give the same triples.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV

from . import __version__
from .config import Settings
from .model import Claim, Entity, Event, Extraction, Mention, Qualifier, Quantity, Sentence

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")
GAZETTEER_IRI = URIRef("https://w3id.org/conflict-kg/gazetteer")
PREFIXES = {"ckg": CKG, "dcterms": DCTERMS, "skos": SKOS, "prov": PROV, "xsd": XSD, "rdfs": RDFS}
_TIME_TYPES = {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}
# How far the interval of an approximate or near figure reaches (see docs/graph.md).
APPROXIMATE_SPREAD = Decimal("0.1")


class Minter:
    """Mints the IRIs of one settings' base."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.base_iri
        self.fingerprint = settings.fingerprint()

    def article(self, document_id: str) -> URIRef:
        return URIRef(f"{self.base}article/{document_id}")

    def entity(self, key: str) -> URIRef:
        return URIRef(f"{self.base}entity/{key}")

    def entities_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/entities")

    def activity(self, document_id: str) -> URIRef:
        return URIRef(f"{self.base}activity/{document_id}-{self.fingerprint}")

    def part(self, article: URIRef, kind: str, begin: int, end: int) -> URIRef:
        return URIRef(f"{article}/{kind}/{begin}-{end}")


def interval(value: Decimal, qualifier: Qualifier, percent: bool) -> tuple[Decimal | None, ...]:
    """(min, max) implied by a qualifier; None where the text sets no bound."""
    spread = value * APPROXIMATE_SPREAD
    bounds: dict[Qualifier, tuple[Decimal | None, Decimal | None]] = {
        Qualifier.EXACT: (value, value),
        Qualifier.APPROXIMATELY: (value - spread, value + spread),
        Qualifier.AT_LEAST: (value, None),
        Qualifier.MORE_THAN: (value, None),
        Qualifier.UP_TO: (Decimal(0), value),
        Qualifier.NEARLY: (value - spread, value),
    }
    low, high = bounds[qualifier]
    if percent:
        low = None if low is None else min(Decimal(100), max(Decimal(0), low))
        high = Decimal(100) if high is None else min(Decimal(100), high)
    return low, high


def _decimal(value: Decimal) -> Literal:
    normalised = value.normalize()
    text = format(normalised, "f")
    return Literal(text, datatype=XSD.decimal)


def _time(value: str) -> Literal:
    return Literal(value, datatype=_TIME_TYPES[len(value)])


def new_graph(identifier: URIRef | None = None) -> Graph:
    graph = Graph(identifier=identifier)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


class _ArticleWriter:
    def __init__(self, extraction: Extraction, settings: Settings) -> None:
        self.extraction = extraction
        self.settings = settings
        self.mint = Minter(settings)
        self.article = self.mint.article(extraction.document.id)
        self.graph = new_graph(self.article)
        self.add = self.graph.add

    def write(self) -> Graph:
        self._article()
        for sentence in self.extraction.sentences:
            self._sentence(sentence)
        for mention in self.extraction.mentions:
            self._mention(mention)
        for quantity in self.extraction.quantities:
            self._quantity(quantity)
        for event in self.extraction.events:
            self._event(event)
        for claim in self.extraction.claims:
            self._claim(claim)
        return self.graph

    def _article(self) -> None:
        document, article = self.extraction.document, self.article
        self.add((article, RDF.type, CKG.Article))
        self.add((article, DCTERMS.identifier, Literal(document.identifier)))
        self.add((article, CKG.sha256, Literal(document.id)))
        if document.title:
            self.add((article, DCTERMS.title, Literal(document.title)))
        if document.issued:
            self.add(
                (article, DCTERMS.issued, Literal(document.issued.isoformat(), datatype=XSD.date))
            )
        if document.creator:
            self.add((article, DCTERMS.creator, Literal(document.creator)))
        if document.source:
            self.add((article, DCTERMS.source, Literal(document.source)))
        if self.settings.include_text:
            self.add((article, CKG.text, Literal(document.text)))
        activity = self.mint.activity(document.id)
        self.add((article, PROV.wasGeneratedBy, activity))
        self.add((activity, RDF.type, PROV.Activity))
        self.add((activity, PROV.used, article))
        self.add((activity, CKG.softwareVersion, Literal(__version__)))
        self.add((activity, CKG.modelName, Literal(self.extraction.model_name)))
        self.add((activity, CKG.modelVersion, Literal(self.extraction.model_version)))

    def _span(self, node: URIRef, begin: int, end: int, text: str) -> None:
        self.add((node, CKG.anchorOf, Literal(text)))
        self.add((node, CKG.beginIndex, Literal(begin)))
        self.add((node, CKG.endIndex, Literal(end)))

    def _sentence_iri(self, sentence: Sentence) -> URIRef:
        return self.mint.part(self.article, "sentence", sentence.begin, sentence.end)

    def _sentence(self, sentence: Sentence) -> None:
        node = self._sentence_iri(sentence)
        self.add((node, RDF.type, CKG.Sentence))
        self.add((node, CKG.inArticle, self.article))
        self.add((node, CKG.sentence, Literal(sentence.text)))
        self.add((node, CKG.beginIndex, Literal(sentence.begin)))
        self.add((node, CKG.endIndex, Literal(sentence.end)))

    def _mention(self, mention: Mention) -> None:
        node = self.mint.part(self.article, "mention", mention.begin, mention.end)
        self.add((node, RDF.type, CKG.Mention))
        self.add((node, CKG.inArticle, self.article))
        self.add((node, CKG.refersTo, self.mint.entity(mention.entity)))
        self._span(node, mention.begin, mention.end, mention.text)

    def _fact(self, node: URIRef, rdf_class: URIRef, fact: Quantity | Event | Claim) -> None:
        self.add((node, RDF.type, rdf_class))
        self.add((node, CKG.reportedIn, self.article))
        self.add((node, CKG.evidence, self._sentence_iri(fact.sentence)))
        self._span(node, fact.begin, fact.end, fact.text)

    def _optional(self, node: URIRef, fact: Quantity | Event) -> None:
        if fact.place:
            self.add((node, CKG.place, self.mint.entity(fact.place)))
        if fact.time_text:
            self.add((node, CKG.timeText, Literal(fact.time_text)))
        if fact.time:
            self.add((node, CKG.time, _time(fact.time)))

    def _quantity(self, quantity: Quantity) -> None:
        node = self.mint.part(self.article, "quantity", quantity.begin, quantity.end)
        self._fact(node, CKG.Quantity, quantity)
        self.add((node, CKG.measure, CKG[quantity.measure.value]))
        self.add((node, CKG.value, _decimal(quantity.value)))
        self.add((node, CKG.qualifier, CKG[quantity.qualifier.value]))
        if quantity.unit:
            self.add((node, CKG.unit, CKG[quantity.unit.value]))
        low, high = interval(
            quantity.value,
            quantity.qualifier,
            percent=quantity.unit is not None and quantity.unit.value == "Percent",
        )
        if low is not None:
            self.add((node, CKG.minValue, _decimal(low)))
        if high is not None:
            self.add((node, CKG.maxValue, _decimal(high)))
        if quantity.about:
            self.add((node, CKG.about, self.mint.entity(quantity.about)))
        self._optional(node, quantity)

    def _event(self, event: Event) -> None:
        node = self.mint.part(self.article, "event", event.begin, event.end)
        self._fact(node, CKG[event.type.value], event)
        if event.agent:
            self.add((node, CKG.agent, self.mint.entity(event.agent)))
        if event.target:
            self.add((node, CKG.target, self.mint.entity(event.target)))
        self._optional(node, event)

    def _claim(self, claim: Claim) -> None:
        node = self.mint.part(self.article, "claim", claim.begin, claim.end)
        self._fact(node, CKG.Claim, claim)
        self.add((node, CKG.claimedBy, self.mint.entity(claim.speaker)))
        for key in claim.asserts:
            self.add((node, CKG.asserts, URIRef(f"{self.article}/{key}")))


def article_graph(extraction: Extraction, settings: Settings) -> Graph:
    """The named graph of one article: its node, sentences, mentions and facts."""
    return _ArticleWriter(extraction, settings).write()


def entities_graph(entities: Iterable[Entity], settings: Settings) -> Graph:
    """The shared entities graph: type, labels and gazetteer links of each entity."""
    mint = Minter(settings)
    graph = new_graph(mint.entities_graph())
    for entity in entities:
        node = mint.entity(entity.key)
        graph.add((node, RDF.type, CKG[entity.kind.rdf_class]))
        graph.add((node, SKOS.prefLabel, Literal(entity.label, lang="en")))
        for alternative in sorted(entity.alt_labels):
            graph.add((node, SKOS.altLabel, Literal(alternative, lang="en")))
        if entity.from_gazetteer:
            graph.add((node, RDFS.isDefinedBy, GAZETTEER_IRI))
        if entity.force_of:
            graph.add((node, CKG.forceOf, mint.entity(entity.force_of)))
        if entity.capital_of:
            graph.add((node, CKG.capitalOf, mint.entity(entity.capital_of)))
    return graph


def referenced_entities(graph: Graph) -> set[URIRef]:
    """The entity IRIs an article graph points at (for validation with its entities)."""
    found: set[URIRef] = set()
    for predicate in (CKG.refersTo, CKG.about, CKG.place, CKG.agent, CKG.target, CKG.claimedBy):
        found.update(o for o in graph.objects(None, predicate) if isinstance(o, URIRef))
    return found
