"""Source lineage: which articles rewrite or syndicate another.

Two kinds of evidence link a pair of articles, each read from the plain text and the
extracted entities (no spaCy objects), so the stage runs after extraction:

- **copied passages** (syndication, light edits): word 5-gram shingles of the two texts.
  Containment, the share of the smaller shingle set found in the other, is the
  similarity; a pair is linked at `COPY_THRESHOLD` (0.15) or more. Independent reports
  of the same event share names and stock phrases ("the Kursk region", "since World
  War II") but almost no run of five words: across the five seed articles, all on the
  same weeks of the same front, the largest containment between two of them is 0.003.
- **a rewritten passage around the same private voice** (paraphrase): a person who is
  not in the gazetteer (not a public figure every outlet names) is named in both
  articles, and the passages around the two mentions (the sentence and its neighbours)
  share at least `PARAPHRASE_THRESHOLD` (0.12) of their content words (Jaccard). A
  little-known commander quoted in two pieces, with the same surrounding details, is
  how a rewrite shows through a paraphrase that no n-gram survives.

In a run, lineage is found after the articles are in the store (`lineage_from_store`),
from what the store keeps of each article: its text, its evidence sentences and the
surface forms of the people it mentions. So it covers articles reused from an earlier
run as well as new ones, and needs the text (not available with `--no-text`).

A linked pair becomes `derived prov:wasDerivedFrom source` with a qualified
`prov:Derivation` that carries the similarity and the kind of evidence, in the named
graph `id:graph/lineage` (see docs/graph.md). Which side is derived: the later
`dcterms:issued`; without dates, the article with the larger share of its shingles in
the other (a digest copies part of its source); failing that, the one whose identifier
sorts last, so that the output stays deterministic.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from hashlib import blake2b

import numpy as np
import numpy.typing as npt
from pyoxigraph import Store
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV
from spacy.lang.en.stop_words import STOP_WORDS

from .config import Settings
from .gazetteer import load_gazetteer
from .model import Document, EntityKind, Extraction
from .rdf import CKG, Minter, new_graph

SHINGLE_WORDS = 5
COPY_THRESHOLD = 0.15
PARAPHRASE_THRESHOLD = 0.12
# A run of five words, or a name, found in more articles than this is common stock
# (a stock phrase, a wire's boilerplate, a figure every outlet quotes) and is no
# evidence that one article copies another. Dropping such shingles is the usual
# near-duplicate practice; it also keeps the pairs to compare from growing with the
# square of the corpus.
COMMON_ARTICLES = 20
COPIED = "CopiedPassages"
REWRITTEN = "RewrittenPassage"

Shingles = npt.NDArray[np.uint64]  # sorted, distinct hashes of an article's 5-word runs
Pairs = npt.NDArray[np.int64]  # rows (i, j), i < j, of article indexes
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# Function words carry no content: two passages sharing only these are not alike.
# spaCy's English list is plain data; importing it loads no model.
_FUNCTION_WORDS = STOP_WORDS | {"said", "says"}


@dataclass(frozen=True)
class LineageLink:
    """`derived` rewrites or syndicates `source` (both Document ids)."""

    derived: str
    source: str
    similarity: float  # 0..1; its meaning depends on `basis`, see the module docstring
    basis: str  # COPIED or REWRITTEN
    derived_identifier: str = ""
    source_identifier: str = ""


@dataclass(frozen=True)
class _Article:
    """What lineage keeps of an article: tens of thousands are held at once, so the
    sentences are bounds in an array rather than objects."""

    id: str
    identifier: str
    issued: date | None
    text: str
    sentences: npt.NDArray[np.int64]  # rows (begin, end), in the article's order
    shingles: Shingles
    private_people: dict[str, str]  # label -> entity key, persons not from the gazetteer
    # An article meets many others: where a name occurs in it, and the content words
    # around each occurrence, are found once rather than once per pair.
    _spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict, compare=False)
    _passages: dict[tuple[int, int], set[str]] = field(default_factory=dict, compare=False)

    def name_spans(self, name: str) -> list[tuple[int, int]]:
        if name not in self._spans:
            self._spans[name] = _name_spans(self.text, name) if name in self.text else []
        return self._spans[name]

    def passage_words(self, begin: int, end: int) -> set[str]:
        """Content words of the sentence holding [begin, end) and its neighbours."""
        if (begin, end) not in self._passages:
            self._passages[begin, end] = content_words(_passage_around(self, begin, end))
        return self._passages[begin, end]


def words(text: str) -> list[str]:
    """Lower-cased words; apostrophes inside a word are kept, punctuation dropped."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    tokens = words(text)
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def shingle_hashes(text: str) -> Shingles:
    """The text's shingles as a sorted array of distinct 64-bit hashes.

    Ten thousand articles hold millions of shingles: as tuples of strings they took
    gigabytes, as hashes they take 8 bytes each, and sorted arrays intersect fast.
    blake2b keeps the hashes the same from one process to the next (Python's own
    string hash is salted per process); a collision among a few million 64-bit
    values is about a one-in-a-million chance and would only nudge a similarity.
    """
    digests = [
        int.from_bytes(blake2b(" ".join(s).encode(), digest_size=8).digest(), "little")
        for s in shingles(text)
    ]
    return np.unique(np.array(digests, dtype=np.uint64))


def shared(a: Shingles, b: Shingles) -> int:
    return int(np.intersect1d(a, b, assume_unique=True).size)


def containment(a: Shingles, b: Shingles) -> float:
    """Share of the smaller set found in the other (0 when either is empty)."""
    if not a.size or not b.size:
        return 0.0
    return shared(a, b) / min(a.size, b.size)


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in _FUNCTION_WORDS and len(w) > 2}


def is_proper_name(label: str) -> bool:
    """A name, not a description: every word capitalised ("Ukrainian commander" is not)."""
    return all(word[:1].isupper() for word in label.split())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _prepare(extraction: Extraction) -> _Article:
    private = {
        entity.label: entity.key
        for entity in extraction.entities
        if entity.kind is EntityKind.PERSON
        and not entity.from_gazetteer
        and is_proper_name(entity.label)
    }
    bounds = [(sentence.begin, sentence.end) for sentence in extraction.sentences]
    return _article(extraction.document, bounds, private)


def _article(
    document: Document, sentences: Sequence[tuple[int, int]], private: dict[str, str]
) -> _Article:
    return _Article(
        id=document.id,
        identifier=document.identifier,
        issued=document.issued,
        text=document.text,
        sentences=np.array(sentences, dtype=np.int64).reshape(-1, 2),
        shingles=shingle_hashes(document.text),
        private_people=private,
    )


def _passage_around(article: _Article, begin: int, end: int) -> str:
    """The sentence holding [begin, end) and its neighbours; a fixed window without sentences."""
    sentences = article.sentences.tolist()
    for index, (s_begin, s_end) in enumerate(sentences):
        if s_begin <= begin < s_end or begin <= s_begin < end:
            window = sentences[max(0, index - 1) : index + 2]
            return article.text[window[0][0] : window[-1][1]]
    return article.text[max(0, begin - 300) : end + 300]


def _name_spans(text: str, name: str) -> list[tuple[int, int]]:
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _rewritten_passage_similarity(a: _Article, b: _Article) -> float:
    """Best content-word overlap of two passages that name the same private person."""
    best = 0.0
    for name in sorted(set(a.private_people) | set(b.private_people)):
        spans_b = b.name_spans(name)
        for begin_a, end_a in a.name_spans(name) if spans_b else []:
            passage_a = a.passage_words(begin_a, end_a)
            for begin_b, end_b in spans_b:
                best = max(best, jaccard(passage_a, b.passage_words(begin_b, end_b)))
    return best


def _orient(a: _Article, b: _Article) -> tuple[_Article, _Article]:
    """(derived, source) of a linked pair; see the module docstring for the rule."""
    issued_a, issued_b = a.issued, b.issued
    if issued_a and issued_b and issued_a != issued_b:
        return (a, b) if issued_a > issued_b else (b, a)
    common = shared(a.shingles, b.shingles)
    share_a = common / a.shingles.size if a.shingles.size else 0.0
    share_b = common / b.shingles.size if b.shingles.size else 0.0
    if share_a != share_b:
        return (a, b) if share_a > share_b else (b, a)
    return (a, b) if a.identifier > b.identifier else (b, a)


def _link(a: _Article, b: _Article) -> LineageLink | None:
    copied = containment(a.shingles, b.shingles)
    if copied >= COPY_THRESHOLD:
        similarity, basis = copied, COPIED
    else:
        similarity, basis = _rewritten_passage_similarity(a, b), REWRITTEN
        if similarity < PARAPHRASE_THRESHOLD:
            return None
    derived, source = _orient(a, b)
    return LineageLink(
        derived.id, source.id, round(similarity, 4), basis, derived.identifier, source.identifier
    )


def _without_common_stock(articles: list[_Article]) -> list[_Article]:
    """Each article without the shingles and names that more than COMMON_ARTICLES share."""
    values, counts = np.unique(_every_shingle(articles), return_counts=True)
    common = values[counts > COMMON_ARTICLES]
    name_counts: Counter[str] = Counter()
    for article in articles:
        name_counts.update(set(article.private_people.values()))
    public = {key for key, count in name_counts.items() if count > COMMON_ARTICLES}
    return [
        replace(
            article,
            shingles=np.setdiff1d(article.shingles, common, assume_unique=True),
            private_people={n: k for n, k in article.private_people.items() if k not in public},
        )
        for article in articles
    ]


def _every_shingle(articles: Sequence[_Article]) -> Shingles:
    """Every article's shingles in one array, article after article."""
    return np.concatenate([a.shingles for a in articles] or [np.empty(0, np.uint64)])


def candidate_pairs(articles: Sequence[_Article]) -> Pairs:
    """Index pairs worth comparing, as rows (i, j) with i < j, sorted: they share a 5-gram,
    or one names a private person whose name occurs in the other. Sorting every shingle
    with its article, and an index of the words of private names, keep this from growing
    with the square of the corpus for articles that have nothing in common."""
    count = len(articles)
    codes = [_shingle_pair_codes(articles), _name_pair_codes(articles)]
    # a pair (i, j) as the one number i * count + j: millions of them take 8 bytes each,
    # where a set of tuples took about 80
    unique = np.unique(np.concatenate(codes))
    return np.column_stack([unique // count, unique % count]).astype(np.int64)


def _shingle_pair_codes(articles: Sequence[_Article]) -> npt.NDArray[np.int64]:
    """The pairs of articles that share a shingle, coded as in `candidate_pairs`."""
    hashes = _every_shingle(articles)
    owners = np.repeat(np.arange(len(articles)), [a.shingles.size for a in articles])
    order = np.argsort(hashes, kind="stable")  # stable: owners of a shingle stay ascending
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    holders = np.diff(np.r_[starts, hashes.size])  # how many articles hold each shingle
    codes = [np.empty(0, np.int64)]
    for size in np.unique(holders[holders >= 2]).tolist():
        # every shingle held by `size` articles at once: one row of owners per shingle
        rows = owners[starts[holders == size][:, None] + np.arange(size)]
        first, second = np.triu_indices(size, k=1)
        codes.append(rows[:, first].ravel() * len(articles) + rows[:, second].ravel())
    return np.concatenate(codes).astype(np.int64)


def _name_pair_codes(articles: Sequence[_Article]) -> npt.NDArray[np.int64]:
    """The pairs where one article names a private person whose name the other holds."""
    name_words = {w for a in articles for name in a.private_people for w in words(name)}
    by_word: dict[str, set[int]] = defaultdict(set)
    for index, article in enumerate(articles):
        for word in name_words.intersection(words(article.text)):
            by_word[word].add(index)
    codes: set[int] = set()
    for index, article in enumerate(articles):
        for name in article.private_people:
            postings = [by_word.get(word, set()) for word in words(name)]
            for other in set.intersection(*postings) if postings else set():
                if other != index and name in articles[other].text:
                    codes.add(min(index, other) * len(articles) + max(index, other))
    return np.array(sorted(codes), dtype=np.int64)


def find_lineage(extractions: Iterable[Extraction]) -> list[LineageLink]:
    """Every linked pair among the articles, sorted by derived then source identifier."""
    return _lineage([_prepare(e) for e in extractions])


def _lineage(articles: list[_Article]) -> list[LineageLink]:
    articles = _without_common_stock(sorted(articles, key=lambda a: a.identifier))
    links = [
        link
        for i, j in _each_pair(candidate_pairs(articles))
        if (link := _link(articles[i], articles[j])) is not None
    ]
    return sorted(links, key=lambda link: (link.derived_identifier, link.source_identifier))


def _each_pair(pairs: Pairs, block: int = 65_536) -> Iterator[list[int]]:
    """The pairs as [i, j] of Python ints, a block at a time: a list of millions of pairs
    at once would take as much memory as the array saved."""
    for start in range(0, len(pairs), block):
        yield from pairs[start : start + block].tolist()


def lineage_graph_iri(settings: Settings) -> URIRef:
    return URIRef(f"{settings.base_iri}graph/lineage")


def lineage_graph(links: Sequence[LineageLink], settings: Settings) -> Graph:
    """The named graph `id:graph/lineage`: PROV derivations between articles."""
    mint = Minter(settings)
    graph = new_graph(lineage_graph_iri(settings))
    for link in links:
        derived, source = mint.article(link.derived), mint.article(link.source)
        node = URIRef(f"{settings.base_iri}lineage/{link.derived}-{link.source}")
        graph.add((derived, PROV.wasDerivedFrom, source))
        graph.add((derived, PROV.qualifiedDerivation, node))
        graph.add((node, RDF.type, PROV.Derivation))
        graph.add((node, PROV.entity, source))
        similarity = format(Decimal(str(link.similarity)).normalize(), "f")
        graph.add((node, CKG.similarity, Literal(similarity, datatype=XSD.decimal)))
        graph.add((node, CKG.lineageBasis, CKG[link.basis]))
    return graph


def article_lineage(extractions: Sequence[Extraction], settings: Settings) -> Graph:
    """Find the lineage among `extractions` and return it as its named graph."""
    return lineage_graph(find_lineage(extractions), settings)


_ARTICLES = """
PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?article ?sha ?identifier ?text ?issued WHERE {
  GRAPH ?article {
    ?article a ckg:Article ; ckg:sha256 ?sha ; dcterms:identifier ?identifier ; ckg:text ?text .
    OPTIONAL { ?article dcterms:issued ?issued }
  }
}"""
_SENTENCES = """
PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
SELECT ?article ?begin ?end WHERE {
  GRAPH ?article { ?sentence a ckg:Sentence ; ckg:beginIndex ?begin ; ckg:endIndex ?end }
}"""
_PEOPLE = """
PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
SELECT DISTINCT ?article ?person ?anchor WHERE {
  GRAPH ?article { ?mention ckg:refersTo ?person ; ckg:anchorOf ?anchor }
  GRAPH ?entities { ?person a ckg:Person }
}"""


def lineage_from_store(store: Store, settings: Settings) -> Graph:
    """The lineage graph of every article in `store` (see the module docstring)."""
    return lineage_graph(_lineage(_stored_articles(store, settings)), settings)


def _stored_articles(store: Store, settings: Settings) -> list[_Article]:
    """What lineage reads of each stored article."""
    sentences: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in store.query(_SENTENCES):  # type: ignore[union-attr]
        sentences[row["article"].value].append((int(row["begin"].value), int(row["end"].value)))
    public = {settings.base_iri + "entity/" + key for key in load_gazetteer().entities}
    private: dict[str, dict[str, str]] = defaultdict(dict)
    for row in store.query(_PEOPLE):  # type: ignore[union-attr]
        person, label = row["person"].value, row["anchor"].value
        if person not in public and is_proper_name(label):
            private[row["article"].value][label] = person
    articles = []
    for row in store.query(_ARTICLES):  # type: ignore[union-attr]
        iri, text = row["article"].value, row["text"].value
        issued = row["issued"]
        document = Document(
            id=row["sha"].value,
            identifier=row["identifier"].value,
            text=text,
            regions=((0, len(text)),),
            issued=_date(issued.value) if issued is not None else None,
        )
        bounds = sorted(sentences.pop(iri, []))
        articles.append(_article(document, bounds, private.pop(iri, {})))
    return articles


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
