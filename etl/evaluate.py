"""Score a graph against gold facts: precision, recall and F1 per fact kind, and accuracies.

The graph is read as the output contract says (docs/graph.md), so any graph written to
it can be scored, not only ours. Articles pair with gold files by the base name of
their `dcterms:identifier`. The matching rules (docs/evaluation.md):

- quantity: same measure and value (or an alternative value of the gold fact) in the
  same sentence; `quantity_value_only` ignores the measure and scores every measure but
  `other`/`OtherQuantity`, which the strict score leaves out on both sides;
- entity: each gold entity takes the unmatched predicted entity of the article with the
  most evidence: one point per (gold mention, predicted anchor) pair where one's words
  stand whole inside the other's, two per predicted label equal to the gold name;
- claim: same sentence; `claim_with_speaker` also needs the speaker's label and the gold
  speaker to contain one another word for word;
- event: same type (of the eight scored) and sentence.

Gold facts take, in file order, the first unmatched prediction that fits (predictions in
text order), and each prediction matches at most once. Two sentences are the same when
one contains the other after normalisation or when they share at least 60% of their
words (Jaccard). Normalisation: Unicode NFKC, lower case, possessive 's dropped,
punctuation to spaces, a leading "the" dropped, spaces collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, Store

from .gold import (
    SCORED_EVENT_TYPES,
    GoldArticle,
    GoldClaim,
    GoldEntity,
    GoldEvent,
    GoldQuantity,
    read_gold,
)
from .store import open_graph

CKG = "https://w3id.org/conflict-kg/ontology#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF = NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
SKOS_ALT = NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
IDENTIFIER = NamedNode("http://purl.org/dc/terms/identifier")
OTHER_QUANTITY = "OtherQuantity"
SAME_SENTENCE_JACCARD = 0.6


def _ckg(name: str) -> NamedNode:
    return NamedNode(CKG + name)


# ---------------------------------------------------------------- text matching


def normalise(text: str | None) -> str:
    """Text reduced to lower-case words, without possessives, punctuation or a leading 'the'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2018\u2019\u02bc`]", "'", text)
    text = re.sub(r"'s\b", "", text)
    words = re.sub(r"[^\w\s]", " ", text).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def same_words(a: str | None, b: str | None) -> bool:
    """True when the words of one stand whole and in order inside the other."""
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return False
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def same_sentence(a: str | None, b: str | None) -> bool:
    """One sentence contains the other, or they share most of their words."""
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a & words_b) / len(words_a | words_b) >= SAME_SENTENCE_JACCARD


# ---------------------------------------------------------------- what the graph says


@dataclass(frozen=True)
class PredictedQuantity:
    measure: str
    value: float
    qualifier: str
    sentence: str | None
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class PredictedEntity:
    iri: str
    anchors: frozenset[str]
    labels: frozenset[str]
    types: frozenset[str]


@dataclass(frozen=True)
class PredictedClaim:
    sentence: str | None
    speaker: str | None


@dataclass(frozen=True)
class PredictedEvent:
    type: str
    sentence: str | None


@dataclass
class ArticleFacts:
    """The facts the graph holds for one article, each list in text order."""

    quantities: list[PredictedQuantity] = field(default_factory=list)
    entities: list[PredictedEntity] = field(default_factory=list)
    claims: list[PredictedClaim] = field(default_factory=list)
    events: list[PredictedEvent] = field(default_factory=list)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class GraphReader:
    """Look-ups over the union of a store's graphs, by triple pattern (no query strings)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def objects(self, subject: Any, predicate: NamedNode) -> list[Any]:
        quads = self.store.quads_for_pattern(subject, predicate, None, None)
        return sorted({q.object for q in quads}, key=str)

    def first(self, subject: Any, predicate: NamedNode) -> Any | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: NamedNode, obj: Any) -> list[Any]:
        quads = self.store.quads_for_pattern(None, predicate, obj, None)
        return sorted({q.subject for q in quads}, key=str)

    def text(self, subject: Any, predicate: NamedNode) -> str | None:
        term = self.first(subject, predicate)
        return term.value if isinstance(term, Literal) else None

    def position(self, node: Any) -> tuple[int, str]:
        """Sort key: text offset, then IRI."""
        begin = self.text(node, _ckg("beginIndex"))
        return (int(begin) if begin and begin.isdigit() else -1, str(node))

    def sentence(self, fact: Any) -> str | None:
        for evidence in self.objects(fact, _ckg("evidence")):
            if (sentence := self.text(evidence, _ckg("sentence"))) is not None:
                return sentence
        return None

    def label(self, node: Any) -> str | None:
        return self.text(node, SKOS_PREF) or self.text(node, RDFS_LABEL)


def _articles(reader: GraphReader) -> dict[Any, str]:
    """Article node -> base name of its identifier, which names its gold file."""
    names = {}
    for article in reader.subjects(RDF_TYPE, _ckg("Article")):
        identifier = reader.text(article, IDENTIFIER)
        if identifier is not None:
            names[article] = Path(identifier).stem
    return names


def _in_text_order(reader: GraphReader, nodes: Iterable[Any]) -> list[Any]:
    return sorted(nodes, key=reader.position)


def _speakers(reader: GraphReader, fact: Any) -> tuple[str, ...]:
    """Labels of whoever a claim says asserted the fact."""
    speakers = []
    for claim in reader.subjects(_ckg("asserts"), fact):
        if _ckg("Claim") not in reader.objects(claim, RDF_TYPE):
            continue
        for speaker in reader.objects(claim, _ckg("claimedBy")):
            speakers.append(reader.label(speaker) or _local(speaker.value))
    return tuple(speakers)


def _quantity(reader: GraphReader, node: Any) -> PredictedQuantity | None:
    measure, value = reader.first(node, _ckg("measure")), reader.text(node, _ckg("value"))
    if measure is None or value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    qualifier = reader.first(node, _ckg("qualifier"))
    return PredictedQuantity(
        measure=_local(measure.value),
        value=number,
        qualifier=_local(qualifier.value) if qualifier is not None else "",
        sentence=reader.sentence(node),
        speakers=_speakers(reader, node),
    )


def _entity(reader: GraphReader, iri: Any, anchors: set[str]) -> PredictedEntity:
    labels = {
        term.value
        for predicate in (SKOS_PREF, SKOS_ALT, RDFS_LABEL)
        for term in reader.objects(iri, predicate)
    }
    types = {_local(term.value) for term in reader.objects(iri, RDF_TYPE)}
    return PredictedEntity(iri.value, frozenset(anchors), frozenset(labels), frozenset(types))


def _mentioned_entities(reader: GraphReader, article: Any) -> list[PredictedEntity]:
    """Entities a mention in the article's own graph refers to, with the mentions' text."""
    anchors: dict[Any, set[str]] = defaultdict(set)
    first_seen: dict[Any, tuple[int, str]] = {}
    for quad in reader.store.quads_for_pattern(None, _ckg("refersTo"), None, article):
        surfaces = [
            q.object.value
            for q in reader.store.quads_for_pattern(quad.subject, _ckg("anchorOf"), None, article)
            if isinstance(q.object, Literal)
        ]
        if not surfaces:
            continue
        anchors[quad.object].update(surfaces)
        first_seen[quad.object] = min(
            first_seen.get(quad.object, (1 << 62, "")), reader.position(quad.subject)
        )
    ordered = sorted(anchors, key=lambda iri: (first_seen[iri], str(iri)))
    return [_entity(reader, iri, anchors[iri]) for iri in ordered]


def _claim(reader: GraphReader, node: Any) -> PredictedClaim:
    labels = sorted(
        label
        for speaker in reader.objects(node, _ckg("claimedBy"))
        if (label := reader.label(speaker)) is not None
    )
    return PredictedClaim(reader.sentence(node), labels[0] if labels else None)


def _events(reader: GraphReader, node: Any) -> Iterator[PredictedEvent]:
    for kind in reader.objects(node, RDF_TYPE):
        if _local(kind.value) in SCORED_EVENT_TYPES:
            yield PredictedEvent(_local(kind.value), reader.sentence(node))


def read_predictions(store: Store) -> dict[str, ArticleFacts]:
    """The facts of every article in the store, by the base name of its identifier."""
    reader = GraphReader(store)
    articles = _articles(reader)
    facts = {name: ArticleFacts() for name in articles.values()}
    for article, name in articles.items():
        reported = _in_text_order(reader, reader.subjects(_ckg("reportedIn"), article))
        kinds = {node: set(reader.objects(node, RDF_TYPE)) for node in reported}
        for node in reported:
            if _ckg("Quantity") in kinds[node]:
                quantity = _quantity(reader, node)
                if quantity is not None:
                    facts[name].quantities.append(quantity)
            if _ckg("Claim") in kinds[node]:
                facts[name].claims.append(_claim(reader, node))
            facts[name].events.extend(_events(reader, node))
        facts[name].entities.extend(_mentioned_entities(reader, article))
    return facts


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 from matched, predicted and gold counts."""

    tp: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.predicted + other.predicted, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Ratio:
    """An accuracy: how many of the checked items are right; None when nothing was checked."""

    correct: int = 0
    total: int = 0

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.correct + other.correct, self.total + other.total)

    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {"correct": self.correct, "total": self.total, "value": self.value}


@dataclass(frozen=True)
class Evaluation:
    """Every figure `ckg evaluate` reports."""

    articles_missing: tuple[str, ...]
    quantity: Score
    quantity_value_only: Score
    qualifier_accuracy: Ratio
    attribution_accuracy: Ratio
    entity: Score
    entity_type_accuracy: Ratio
    cross_source_merge_rate: Ratio
    overmerged_entities: tuple[str, ...]
    claim: Score
    claim_with_speaker: Score
    event: Score

    def scores(self) -> dict[str, Score]:
        names = ("quantity", "quantity_value_only", "entity", "claim", "claim_with_speaker")
        return {name: getattr(self, name) for name in (*names, "event")}

    def ratios(self) -> dict[str, Ratio]:
        names = ("qualifier_accuracy", "attribution_accuracy", "entity_type_accuracy")
        return {name: getattr(self, name) for name in (*names, "cross_source_merge_rate")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles_missing": list(self.articles_missing),
            **{name: score.as_dict() for name, score in self.scores().items()},
            **{name: ratio.as_dict() for name, ratio in self.ratios().items()},
            "overmerged_entities": list(self.overmerged_entities),
        }


# ---------------------------------------------------------------- matching


def _quantity_fits(gold: GoldQuantity, predicted: PredictedQuantity, strict: bool) -> bool:
    if not any(abs(predicted.value - value) < 1e-6 for value in gold.values):
        return False
    if strict and predicted.measure != gold.measure:
        return False
    # a figure without an evidence sentence is matched on measure and value alone
    return predicted.sentence is None or same_sentence(predicted.sentence, gold.sentence)


def match_quantities(
    golds: Iterable[GoldQuantity], predicted: list[PredictedQuantity], strict: bool = True
) -> tuple[Score, list[tuple[GoldQuantity, PredictedQuantity]]]:
    """Gold figures with a value, each matched to at most one predicted figure."""
    scored = [g for g in golds if g.values and not (strict and g.measure == OTHER_QUANTITY)]
    candidates = [p for p in predicted if not (strict and p.measure == OTHER_QUANTITY)]
    free = list(range(len(candidates)))
    pairs = []
    for gold in scored:
        found = next((i for i in free if _quantity_fits(gold, candidates[i], strict)), None)
        if found is not None:
            free.remove(found)
            pairs.append((gold, candidates[found]))
    return Score(len(pairs), len(candidates), len(scored)), pairs


def qualifier_and_attribution(
    pairs: Iterable[tuple[GoldQuantity, PredictedQuantity]],
) -> tuple[Ratio, Ratio]:
    """On matched figures: is the qualifier right, and is the speaker (or its absence)?"""
    qualifier, attribution = Ratio(), Ratio()
    for gold, predicted in pairs:
        if gold.qualifier is not None:
            qualifier += Ratio(int(predicted.qualifier == gold.qualifier), 1)
        if gold.speaker:
            right = any(same_words(speaker, gold.speaker) for speaker in predicted.speakers)
        else:
            right = not predicted.speakers
        attribution += Ratio(int(right), 1)
    return qualifier, attribution


def _evidence(gold: GoldEntity, predicted: PredictedEntity) -> int:
    pairs = ((mention, anchor) for mention in gold.mentions for anchor in predicted.anchors)
    hits = sum(1 for mention, anchor in pairs if same_words(mention, anchor))
    name = normalise(gold.name)
    return hits + sum(2 for label in predicted.labels if normalise(label) == name)


def match_entities(
    golds: Iterable[GoldEntity], predicted: list[PredictedEntity]
) -> tuple[Score, list[tuple[GoldEntity, PredictedEntity]]]:
    """Each gold entity takes the free predicted entity with the most evidence, if any."""
    golds = list(golds)
    free = list(predicted)
    pairs = []
    for gold in golds:
        best, best_evidence = None, 0
        for candidate in free:
            evidence = _evidence(gold, candidate)
            if evidence > best_evidence:
                best, best_evidence = candidate, evidence
        if best is not None:
            free.remove(best)
            pairs.append((gold, best))
    return Score(len(pairs), len(predicted), len(golds)), pairs


def _distinct_claims(predicted: Iterable[PredictedClaim]) -> list[PredictedClaim]:
    """One claim per sentence and speaker, however many facts it carries."""
    seen, distinct = set(), []
    for claim in predicted:
        key = (normalise(claim.sentence), normalise(claim.speaker))
        if key not in seen:
            seen.add(key)
            distinct.append(claim)
    return distinct


def match_claims(
    golds: Iterable[GoldClaim], predicted: Iterable[PredictedClaim]
) -> tuple[Score, Score]:
    """(claim on sentence, claim on sentence and speaker).

    Gold claims first take a claim with the right speaker; those left then take any claim
    of the same sentence, so a right speaker is never spent on a sentence-only match.
    """
    golds = list(golds)
    claims = _distinct_claims(predicted)
    free = list(range(len(claims)))
    with_speaker, left = 0, []
    for gold in golds:
        found = next(
            (
                i
                for i in free
                if claims[i].speaker
                and same_sentence(claims[i].sentence, gold.sentence)
                and same_words(claims[i].speaker, gold.speaker)
            ),
            None,
        )
        if found is None:
            left.append(gold)
        else:
            free.remove(found)
            with_speaker += 1
    on_sentence = with_speaker
    for gold in left:
        found = next((i for i in free if same_sentence(claims[i].sentence, gold.sentence)), None)
        if found is not None:
            free.remove(found)
            on_sentence += 1
    return (
        Score(on_sentence, len(claims), len(golds)),
        Score(with_speaker, len(claims), len(golds)),
    )


def match_events(golds: Iterable[GoldEvent], predicted: list[PredictedEvent]) -> Score:
    scored = [g for g in golds if g.type in SCORED_EVENT_TYPES]
    free = list(range(len(predicted)))
    tp = 0
    for gold in scored:
        found = next(
            (
                i
                for i in free
                if predicted[i].type == gold.type
                and same_sentence(predicted[i].sentence, gold.sentence)
            ),
            None,
        )
        if found is not None:
            free.remove(found)
            tp += 1
    return Score(tp, len(predicted), len(scored))


# ---------------------------------------------------------------- across articles


def merge_rate(entity_of: dict[str, dict[str, str]]) -> tuple[Ratio, tuple[str, ...]]:
    """Cross-source merging: (pairs of articles where a gold entity has one IRI, IRIs that
    several gold entities share).

    `entity_of` maps a gold entity's name to {article: the predicted IRI matched to it}.
    """
    rate = Ratio()
    for by_article in entity_of.values():
        for a, b in combinations(sorted(by_article), 2):
            rate += Ratio(int(by_article[a] == by_article[b]), 1)
    names_of: dict[str, set[str]] = defaultdict(set)
    for name, by_article in entity_of.items():
        for iri in by_article.values():
            names_of[iri].add(name)
    overmerged = tuple(sorted(iri for iri, names in names_of.items() if len(names) > 1))
    return rate, overmerged


def score(gold: Iterable[GoldArticle], predictions: dict[str, ArticleFacts]) -> Evaluation:
    """Score predictions against gold articles (those the graph lacks score as empty)."""
    totals: dict[str, Any] = defaultdict(Score)
    ratios: dict[str, Ratio] = defaultdict(Ratio)
    entity_of: dict[str, dict[str, str]] = defaultdict(dict)
    missing = []
    for article in gold:
        if article.name not in predictions:
            missing.append(article.name)
        facts = predictions.get(article.name, ArticleFacts())
        quantity, pairs = match_quantities(article.quantities, facts.quantities)
        totals["quantity"] += quantity
        totals["quantity_value_only"] += match_quantities(
            article.quantities, facts.quantities, strict=False
        )[0]
        qualifier, attribution = qualifier_and_attribution(pairs)
        ratios["qualifier"] += qualifier
        ratios["attribution"] += attribution
        entity, entity_pairs = match_entities(article.entities, facts.entities)
        totals["entity"] += entity
        for gold_entity, predicted in entity_pairs:
            ratios["entity_type"] += Ratio(int(gold_entity.type in predicted.types), 1)
            entity_of[gold_entity.name][article.name] = predicted.iri
        claim, claim_with_speaker = match_claims(article.claims, facts.claims)
        totals["claim"] += claim
        totals["claim_with_speaker"] += claim_with_speaker
        totals["event"] += match_events(article.events, facts.events)
    rate, overmerged = merge_rate(entity_of)
    return Evaluation(
        articles_missing=tuple(missing),
        quantity=totals["quantity"],
        quantity_value_only=totals["quantity_value_only"],
        qualifier_accuracy=ratios["qualifier"],
        attribution_accuracy=ratios["attribution"],
        entity=totals["entity"],
        entity_type_accuracy=ratios["entity_type"],
        cross_source_merge_rate=rate,
        overmerged_entities=overmerged,
        claim=totals["claim"],
        claim_with_speaker=totals["claim_with_speaker"],
        event=totals["event"],
    )


def default_graph(out_dir: Path = Path("output")) -> Path:
    """The store a run wrote into `out_dir`, else its graph.trig."""
    store = out_dir / "store"
    return store if store.is_dir() else out_dir / "graph.trig"


def evaluate(gold_dir: Path, graph: Path | None = None) -> Evaluation:
    """Score the graph at `graph` (a store folder or an RDF file) against `gold_dir`."""
    gold = read_gold(gold_dir)
    return score(gold, read_predictions(open_graph(graph or default_graph())))
