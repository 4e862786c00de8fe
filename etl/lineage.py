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
  articles (a name of two words or more, initials aside, as written anywhere in the
  other's text; a one-word name only where the other article's entities hold it too,
  see `_Names`),
  and the passages around the two mentions (the sentence and its neighbours)
  share at least `PARAPHRASE_THRESHOLD` (0.12) of their content words (Jaccard). A
  little-known commander quoted in two pieces, with the same surrounding details, is
  how a rewrite shows through a paraphrase that no n-gram survives.

In a run, lineage is found after the articles are in the store (`lineage_from_store`),
from what the store keeps of each article: its text, its evidence sentences and the
surface forms of the people it mentions. So it covers articles reused from an earlier
run as well as new ones, and needs the text (not available with `--no-text`).

Lineage compares every article with every other it shares something with, across the
whole store, so what it holds is kept on disk in a working folder (`_Workspace`): each
article is read once, its shingles are written to files by their leading bits, and what a
comparison needs of it (names, the words around them, dates) to a SQLite table. Pairs are
then found one file of shingles at a time, and compared one range of articles at a time,
so what lineage holds at once does not grow with the number of articles (Oxigraph's own
caches, filled by reading every article, do). The exception is small: the groups of
linked articles (`LineageGroups`), about 320 bytes for each article that has a link.

A linked pair becomes `derived prov:wasDerivedFrom source` with a qualified
`prov:Derivation` that carries the similarity and the kind of evidence, in the named
graph `id:graph/lineage` (see docs/graph.md). Which side is derived: the later
`dcterms:issued`; without dates, the article with the larger share of its shingles in
the other (a digest copies part of its source); failing that, the one whose identifier
sorts last, so that the output stays deterministic.
"""

from __future__ import annotations

import itertools
import pickle
import re
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from hashlib import blake2b
from pathlib import Path

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

# The working files: shingles go to one of SHINGLE_FILES files by their hash (every
# copy of a shingle lands in the same file, so its holders are counted there), and pairs
# are compared RANGE_ARTICLES first articles at a time. What is in memory at once is one
# file's shingles, one range's pairs and its articles, and SPILL_BYTES waiting to be written.
SHINGLE_FILES = 64
RANGE_ARTICLES = 4096
SPILL_BYTES = 16 * 2**20
PART_LINKS = 2_000  # links per part of the lineage graph, see `lineage_from_store`

Shingles = npt.NDArray[np.uint64]  # sorted, distinct hashes of an article's 5-word runs
_SHINGLE = np.dtype([("hash", "<u8"), ("owner", "<u4")])  # owner: the article's index
_PAIR = np.dtype([("code", "<i8"), ("shared", "<u4")])  # code: i * articles + j, i < j
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
class _Compared:
    """What comparing a pair needs of one article, read back from the workspace."""

    id: str
    identifier: str
    issued: date | None
    names: frozenset[str]  # the private persons it names, by label
    # label -> the content words around each occurrence of the name, for every private
    # name of the corpus that the article holds (its own, and others' it mentions)
    passages: dict[str, list[set[str]]]


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


def containment(a: Shingles, b: Shingles) -> float:
    """Share of the smaller set found in the other (0 when either is empty)."""
    common = int(np.intersect1d(a, b, assume_unique=True).size)
    return _containment(common, a.size, b.size)


def _containment(common: int, size_a: int, size_b: int) -> float:
    return common / min(size_a, size_b) if size_a and size_b else 0.0


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in _FUNCTION_WORDS and len(w) > 2}


def is_proper_name(label: str) -> bool:
    """A name, not a description: every word capitalised ("Ukrainian commander" is not)."""
    return all(word[:1].isupper() for word in label.split())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _passage_around(text: str, sentences: Sequence[tuple[int, int]], begin: int, end: int) -> str:
    """The sentence holding [begin, end) and its neighbours; a fixed window without sentences."""
    for index, (s_begin, s_end) in enumerate(sentences):
        if s_begin <= begin < s_end or begin <= s_begin < end:
            window = sentences[max(0, index - 1) : index + 2]
            return text[window[0][0] : window[-1][1]]
    return text[max(0, begin - 300) : end + 300]


def _name_spans(text: str, name: str) -> list[tuple[int, int]]:
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _one_word(label: str) -> bool:
    """One word, initials aside: "Oleksii", and a name cut at its initial ("Natalia Z.",
    "R. Hrytsaienko"), which is part of every name with that first name and initial."""
    return sum(len(part.rstrip(".")) > 1 for part in label.split()) <= 1


class _Names:
    """Every private name of two words or more (initials aside), found in a text by its words.

    A one-word name (`_one_word`) is left out: it is too common a word to stand for one person
    wherever it is written (a bare first name, or a capitalised word the recogniser took
    for a person once, a sentence's opening "Officials" or a headline's last word), so it
    counts only in the articles whose entities name that person (`_Workspace._add`). On
    a first version of the benchmark's generated corpus (1,000 dispatches), 1,507 of
    9,776 links joined articles that quoted no one in common, 941 of them through a
    headline's "Holds" (bench/NOTES.md, "The corpus since 30bdf6e")."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.words = {label: frozenset(words(label)) for label in labels if not _one_word(label)}
        # Each name is filed under its rarest word only, which any text holding the name
        # holds. Filed under every word, a common first name made each article test every
        # name that starts with it: at 10,000 generated dispatches (30,000 officers) lineage
        # took 143 s, against 67 s filed under the rarest word.
        uses = Counter(word for label_words in self.words.values() for word in label_words)
        self.by_word: dict[str, list[str]] = defaultdict(list)
        for label, label_words in self.words.items():
            rarest = min(label_words, key=lambda word: (uses[word], word))
            self.by_word[rarest].append(label)

    def held_by(self, text: str) -> set[str]:
        """The names whose words are all words of `text` and which occur in it as written."""
        text_words = set(words(text))
        found: set[str] = set()
        for word in text_words.intersection(self.by_word):
            for label in self.by_word[word]:
                if label not in found and self.words[label] <= text_words and label in text:
                    found.add(label)
        return found


class _Spill:
    """Records appended to one of several files, then read back one file at a time."""

    def __init__(self, folder: Path, files: int, dtype: np.dtype) -> None:
        folder.mkdir()
        self.paths = [folder / f"{number}.bin" for number in range(files)]
        self.dtype = dtype
        self.waiting: list[list[npt.NDArray[np.void]]] = [[] for _ in self.paths]
        self.waiting_bytes = 0

    def add(self, records: npt.NDArray[np.void], file_of: npt.NDArray[np.int64]) -> None:
        """Append each record to the file `file_of` names, keeping their order in each file."""
        order = np.argsort(file_of, kind="stable")
        records, file_of = records[order], file_of[order]
        bounds = np.searchsorted(file_of, np.arange(len(self.paths) + 1))
        for number, (begin, end) in enumerate(itertools.pairwise(bounds.tolist())):
            if end > begin:
                self.waiting[number].append(records[begin:end])
        self.waiting_bytes += records.nbytes
        if self.waiting_bytes >= SPILL_BYTES:
            self._write()

    def _write(self) -> None:
        for path, waiting in zip(self.paths, self.waiting, strict=True):
            if waiting:
                with path.open("ab") as file:
                    np.concatenate(waiting).tofile(file)
                waiting.clear()
        self.waiting_bytes = 0

    def files(self) -> Iterator[npt.NDArray[np.void]]:
        self._write()
        for path in self.paths:
            if path.exists():
                yield np.fromfile(path, dtype=self.dtype)


_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE people (article TEXT, label TEXT, person TEXT, PRIMARY KEY (article, label));
CREATE TABLE sentences (article TEXT, begin INTEGER, end INTEGER);
CREATE TABLE articles (idx INTEGER PRIMARY KEY, compared BLOB);
CREATE TABLE owned (idx INTEGER, label TEXT);
CREATE TABLE held (label TEXT, idx INTEGER);
"""
_NAME_PAIRS = """
SELECT DISTINCT MIN(owned.idx, held.idx), MAX(owned.idx, held.idx)
FROM owned JOIN held ON held.label = owned.label
WHERE held.idx != owned.idx
"""

# Rows that go into the workspace, whatever the articles come from.
PersonRow = tuple[str, str, str]  # article key, label, person: a person not in the gazetteer
SentenceRow = tuple[str, int, int]  # article key, begin, end
ArticleRow = tuple[str, Document]  # article key, the article


class _Workspace:
    """Lineage's working data, on disk: articles go in once, pairs come out range by range."""

    def __init__(self, folder: Path) -> None:
        self.db = sqlite3.connect(folder / "lineage.sqlite")
        self.db.executescript(_SCHEMA)
        self.shingles = _Spill(folder / "shingles", SHINGLE_FILES, _SHINGLE)
        self.folder = folder
        self.count = 0
        self.sizes = np.zeros(0, np.int64)  # shingles per article, common stock left out
        self.public: set[str] = set()  # persons named in more than COMMON_ARTICLES articles

    def close(self) -> None:
        self.db.close()

    # -- in: every article once ------------------------------------------------------
    def read(
        self,
        people: Iterable[PersonRow],
        sentences: Iterable[SentenceRow],
        articles: Iterable[ArticleRow],
    ) -> None:
        self.db.executemany("INSERT OR REPLACE INTO people VALUES (?, ?, ?)", people)
        self.db.executemany("INSERT INTO sentences VALUES (?, ?, ?)", sentences)
        self.db.execute("CREATE INDEX sentences_by_article ON sentences (article)")
        # A person named in more than COMMON_ARTICLES articles is public, whatever the
        # gazetteer says, and links nothing: known before any text is read, so only the
        # other persons' names are looked for in the texts.
        self.public = {
            person
            for (person,) in self.db.execute(
                "SELECT person FROM people GROUP BY person HAVING COUNT(DISTINCT article) > ?",
                (COMMON_ARTICLES,),
            )
        }
        names = _Names(
            label
            for label, person in self.db.execute("SELECT DISTINCT label, person FROM people")
            if person not in self.public
        )
        for key, document in articles:
            self._add(key, document, names)
        self.db.execute("CREATE INDEX held_by_label ON held (label)")
        self.db.commit()

    def _add(self, key: str, document: Document, names: _Names) -> None:
        index, text = self.count, document.text
        self.count += 1
        named = self.db.execute("SELECT label, person FROM people WHERE article = ?", (key,))
        own = frozenset(label for label, person in named if person not in self.public)
        bounds = self.db.execute(
            "SELECT begin, end FROM sentences WHERE article = ? ORDER BY begin, end", (key,)
        ).fetchall()
        held = names.held_by(text) | own
        passages = {}
        for label in sorted(held):
            spans = _name_spans(text, label) if label in text else []
            if spans:
                passages[label] = [content_words(_passage_around(text, bounds, *s)) for s in spans]
        compared = _Compared(document.id, document.identifier, document.issued, own, passages)
        self.db.execute("INSERT INTO articles VALUES (?, ?)", (index, pickle.dumps(compared)))
        self.db.executemany("INSERT INTO owned VALUES (?, ?)", [(index, label) for label in own])
        self.db.executemany("INSERT INTO held VALUES (?, ?)", [(label, index) for label in held])
        hashes = shingle_hashes(text)
        records = np.empty(hashes.size, _SHINGLE)
        records["hash"], records["owner"] = hashes, index
        self.shingles.add(records, (hashes % np.uint64(SHINGLE_FILES)).astype(np.int64))

    # -- out: the pairs worth comparing ----------------------------------------------
    def candidates(self) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
        """Pairs that share a 5-gram, or where one names a private person whose name the
        other holds: (codes, shared shingles) for one range of first articles at a time,
        sorted by code. A pair is coded as i * count + j, i < j."""
        ranges = max(1, -(-self.count // RANGE_ARTICLES))
        pairs = _Spill(self.folder / "pairs", ranges, _PAIR)
        self.sizes = np.zeros(self.count, np.int64)
        for records in self.shingles.files():
            self._spill_pairs(pairs, *self._shingle_pairs(records))
        rows = self.db.execute(_NAME_PAIRS)
        while named := rows.fetchmany(65_536):
            indexes = np.array(named, np.int64)
            codes = indexes[:, 0] * self.count + indexes[:, 1]
            self._spill_pairs(pairs, codes, np.zeros(codes.size, np.int64))  # no shingle shared
        for records in pairs.files():
            order = np.argsort(records["code"], kind="stable")
            codes, shared = records["code"][order], records["shared"][order].astype(np.int64)
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            yield codes[starts], np.add.reduceat(shared, starts)

    def _shingle_pairs(
        self, records: npt.NDArray[np.void]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Count one file's shingles: each article's (into `sizes`), and each pair's held in
        common (returned as codes and counts)."""
        order = np.argsort(records["hash"], kind="stable")  # stable: owners stay ascending
        hashes, owners = records["hash"][order], records["owner"][order].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
        holders = np.diff(np.r_[starts, hashes.size])  # how many articles hold each shingle
        kept = np.repeat(holders <= COMMON_ARTICLES, holders)
        self.sizes += np.bincount(owners[kept], minlength=self.count)
        codes = [np.empty(0, np.int64)]
        for size in range(2, COMMON_ARTICLES + 1):
            # every shingle held by `size` articles at once: one row of owners per shingle
            rows = owners[starts[holders == size][:, None] + np.arange(size)]
            first, second = np.triu_indices(size, k=1)
            codes.append(rows[:, first].ravel() * self.count + rows[:, second].ravel())
        return np.unique(np.concatenate(codes), return_counts=True)

    def _spill_pairs(
        self, pairs: _Spill, codes: npt.NDArray[np.int64], shared: npt.NDArray[np.int64]
    ) -> None:
        records = np.empty(codes.size, _PAIR)
        records["code"], records["shared"] = codes, shared
        pairs.add(records, codes // self.count // RANGE_ARTICLES)

    def articles(self, indexes: Iterable[int]) -> dict[int, _Compared]:
        """What comparing needs of these articles, read back in one pass over the table."""
        wanted = sorted(set(indexes))
        found: dict[int, _Compared] = {}
        for start in range(0, len(wanted), 500):  # SQLite limits the parameters of one query
            block = wanted[start : start + 500]
            marks = ",".join("?" * len(block))
            query = f"SELECT idx, compared FROM articles WHERE idx IN ({marks})"
            found.update((i, pickle.loads(blob)) for i, blob in self.db.execute(query, block))
        return found


def _workspace_rows(
    extractions: Sequence[Extraction],
) -> tuple[list[PersonRow], list[SentenceRow], list[ArticleRow]]:
    """The rows `_Workspace.read` takes, from extractions (keyed by document id)."""
    people = [
        (extraction.document.id, entity.label, entity.key)
        for extraction in extractions
        for entity in extraction.entities
        if entity.kind is EntityKind.PERSON
        and not entity.from_gazetteer
        and is_proper_name(entity.label)
    ]
    sentences = [
        (extraction.document.id, sentence.begin, sentence.end)
        for extraction in extractions
        for sentence in extraction.sentences
    ]
    articles = [(extraction.document.id, extraction.document) for extraction in extractions]
    return people, sentences, articles


@contextmanager
def _workspace(parent: Path | None) -> Iterator[_Workspace]:
    with tempfile.TemporaryDirectory(dir=parent, prefix="lineage-") as folder:
        space = _Workspace(Path(folder))
        try:
            yield space
        finally:
            space.close()


def find_lineage(extractions: Iterable[Extraction]) -> list[LineageLink]:
    """Every linked pair among the articles, sorted by derived then source identifier."""
    with _workspace(None) as space:
        space.read(*_workspace_rows(list(extractions)))
        return _links(space)


def compared_pairs(extractions: Iterable[Extraction]) -> list[tuple[str, str]]:
    """The pairs of articles (by identifier, sorted) that lineage compares at all."""
    with _workspace(None) as space:
        space.read(*_workspace_rows(list(extractions)))
        return sorted((a.identifier, b.identifier) for a, b, _, _ in _each_pair(space))


def _links(space: _Workspace) -> list[LineageLink]:
    links = list(_each_link(space))
    return sorted(links, key=lambda link: (link.derived_identifier, link.source_identifier))


def _each_link(space: _Workspace) -> Iterator[LineageLink]:
    for pair in _each_pair(space):
        if (link := _link(*pair)) is not None:
            yield link


# Two articles to compare, the shingles they share, and how many each has (common stock out).
_Pair = tuple[_Compared, _Compared, int, tuple[int, int]]


def _each_pair(space: _Workspace) -> Iterator[_Pair]:
    """Every candidate pair, a range at a time: the range's first articles read at once, the
    second ones a block of RANGE_ARTICLES at a time, so each article is read about once
    per range."""
    for codes, shared in space.candidates():
        first, second = np.divmod(codes, space.count)
        firsts = space.articles(first.tolist())
        order = np.argsort(second, kind="stable")
        first, second, shared = first[order], second[order], shared[order]
        block_of = second // RANGE_ARTICLES
        starts = np.flatnonzero(np.r_[True, block_of[1:] != block_of[:-1]])
        for begin, end in zip(starts.tolist(), [*starts[1:].tolist(), second.size], strict=True):
            block = second[begin:end].tolist()
            seconds = space.articles(j for j in block if j not in firsts)
            for i, j, common in zip(
                first[begin:end].tolist(), block, shared[begin:end].tolist(), strict=True
            ):
                b = seconds[j] if j in seconds else firsts[j]
                yield firsts[i], b, common, (int(space.sizes[i]), int(space.sizes[j]))


def _link(a: _Compared, b: _Compared, common: int, sizes: tuple[int, int]) -> LineageLink | None:
    copied = _containment(common, *sizes)
    if copied >= COPY_THRESHOLD:
        similarity, basis = copied, COPIED
    else:
        similarity, basis = _rewritten_passage_similarity(a, b), REWRITTEN
        if similarity < PARAPHRASE_THRESHOLD:
            return None
    shares = (common / sizes[0] if sizes[0] else 0.0, common / sizes[1] if sizes[1] else 0.0)
    derived, source = _orient(a, b, shares)
    return LineageLink(
        derived.id, source.id, round(similarity, 4), basis, derived.identifier, source.identifier
    )


def _rewritten_passage_similarity(a: _Compared, b: _Compared) -> float:
    """Best content-word overlap of two passages that name the same private person."""
    best = 0.0
    for name in (a.names | b.names) & a.passages.keys() & b.passages.keys():
        for passage_a in a.passages[name]:
            for passage_b in b.passages[name]:
                best = max(best, jaccard(passage_a, passage_b))
    return best


def _orient(a: _Compared, b: _Compared, shares: tuple[float, float]) -> tuple[_Compared, _Compared]:
    """(derived, source) of a linked pair; see the module docstring for the rule. `shares`
    are the shares of each article's shingles found in the other."""
    issued_a, issued_b = a.issued, b.issued
    if issued_a and issued_b and issued_a != issued_b:
        return (a, b) if issued_a > issued_b else (b, a)
    if shares[0] != shares[1]:
        return (a, b) if shares[0] > shares[1] else (b, a)
    return (a, b) if a.identifier > b.identifier else (b, a)


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


class LineageGroups:
    """Articles joined by lineage links, in either direction and through any number of them.

    A group is one source for corroboration: its articles repeat one story, so their
    figures cannot confirm each other. Counting each article's derivation roots instead
    made an article derived from two originals count as two sources on its own.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}  # union-find over Document ids
        self._identifier: dict[str, str] = {}
        self._derived: set[str] = set()

    def add(self, links: Iterable[LineageLink]) -> None:
        for link in links:
            self._identifier[link.derived] = link.derived_identifier
            self._identifier[link.source] = link.source_identifier
            self._derived.add(link.derived)
            self._parent[self._find(link.derived)] = self._find(link.source)

    def _find(self, article: str) -> str:
        parent = self._parent.setdefault(article, article)
        while parent != article:
            # point each article on the way up at its grandparent, so chains stay short
            self._parent[article] = self._parent[parent]
            article, parent = parent, self._parent[parent]
        return article

    def origins(self) -> dict[str, str]:
        """Each grouped article's origin: the group's article that derives from no other,
        the first by identifier if several do (or the group's first, if every one does)."""
        members: dict[str, list[str]] = defaultdict(list)
        for article in self._parent:
            members[self._find(article)].append(article)
        origins: dict[str, str] = {}
        for group in members.values():
            roots = [article for article in group if article not in self._derived] or group
            origin = min(roots, key=lambda article: (self._identifier[article], article))
            origins.update((article, origin) for article in group)
        return origins


def origins_graph(origins: dict[str, str], settings: Settings) -> Graph:
    """`article ckg:lineageOrigin origin` for each grouped article, in `id:graph/lineage`."""
    mint = Minter(settings)
    graph = new_graph(lineage_graph_iri(settings))
    for article, origin in origins.items():
        graph.add((mint.article(article), CKG.lineageOrigin, mint.article(origin)))
    return graph


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


def lineage_from_store(
    store: Store, settings: Settings, workdir: Path | None = None, part_links: int = PART_LINKS
) -> Iterator[Graph]:
    """The lineage graph of every article in `store` (see the module docstring), in parts
    of up to `part_links` links: a corpus of generated dispatches had 49 links an article,
    and as one rdflib graph they took more memory than finding them. Once every link is
    found, a last part names each linked article's group origin (`origins_graph`, one
    triple per linked article). The working files go in a temporary folder in `workdir`
    (the system's by default)."""
    with _workspace(workdir) as space:
        space.read(
            _stored_people(store, settings), _stored_sentences(store), _stored_articles(store)
        )
        links = _each_link(space)
        groups = LineageGroups()
        while part := list(itertools.islice(links, part_links)):
            groups.add(part)
            yield lineage_graph(part, settings)
        if origins := groups.origins():
            yield origins_graph(origins, settings)


def _stored_people(store: Store, settings: Settings) -> Iterator[PersonRow]:
    public = {settings.base_iri + "entity/" + key for key in load_gazetteer().entities}
    for row in store.query(_PEOPLE):  # type: ignore[union-attr]
        person, label = row["person"].value, row["anchor"].value
        if person not in public and is_proper_name(label):
            yield row["article"].value, label, person


def _stored_sentences(store: Store) -> Iterator[SentenceRow]:
    for row in store.query(_SENTENCES):  # type: ignore[union-attr]
        yield row["article"].value, int(row["begin"].value), int(row["end"].value)


def _stored_articles(store: Store) -> Iterator[ArticleRow]:
    for row in store.query(_ARTICLES):  # type: ignore[union-attr]
        text, issued = row["text"].value, row["issued"]
        document = Document(
            id=row["sha"].value,
            identifier=row["identifier"].value,
            text=text,
            regions=((0, len(text)),),
            issued=_date(issued.value) if issued is not None else None,
        )
        yield row["article"].value, document


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
