"""Property tests (hypothesis): any text in, valid RDF out; IRIs; serialisation round trips.

Bounded (max_examples, no deadline) so the suite stays fast; the spaCy model is
the session's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, RdfFormat, parse, serialize
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from etl.config import Settings
from etl.extract import extract_doc
from etl.extract.entities import slug
from etl.gazetteer import load_gazetteer
from etl.ingest import read_file
from etl.model import Document, Entity, EntityKind, Extraction, Mention, Sentence
from etl.nlp import model_identity, pipe_documents
from etl.rdf import Minter, article_graph, entities_graph, referenced_entities
from etl.validate import validate_graph, with_entities
from etl.work import nquad_lines

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
SETTINGS = Settings()
# Every code point, including lone surrogates, controls and private use.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
# Without C0/C1 controls, which in bulk make a file binary (refused, tested elsewhere).
PRINTABLE_TEXT = st.text(st.characters(codec=None, exclude_categories=("Cc",)), max_size=300)
NEWSY = st.lists(
    st.sampled_from(
        [
            "Russian forces attacked Kharkiv.",
            "About 1,200 troops were deployed near Pokrovsk, officials said.",
            "Zelensky said 40 soldiers were killed.",
            "\n",
            " ",
        ]
    )
    | PRINTABLE_TEXT,
    max_size=6,
).map("".join)
BOUNDED = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def as_document(text: str, tmp_path: Any, name: str = "input.txt") -> Document | None:
    """What ingest makes of `text` written to a file (raw, surrogates and all)."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    (item,) = list(read_file(path))
    return item if isinstance(item, Document) else None


def graph_of(extraction: Extraction) -> tuple[Graph, Graph]:
    entities = entities_graph(extraction.entities, SETTINGS)
    return article_graph(extraction, SETTINGS), entities


def nquads(*graphs: Graph) -> bytes:
    return b"".join(line for graph in graphs for line in nquad_lines(graph))


@BOUNDED
@given(text=NEWSY)
def test_any_text_gives_valid_rdf_that_conforms(nlp: Any, tmp_path: Any, text: str) -> None:
    document = as_document(text, tmp_path)
    if document is None:
        assert not text.strip()  # only empty input is refused
        return
    ((doc, _),) = list(pipe_documents(nlp, [document], batch_size=1, max_chars=1_000))
    extraction = extract_doc(doc, document, load_gazetteer(), model_identity(nlp))
    article, entities = graph_of(extraction)
    quads = list(parse(nquads(article, entities), format=RdfFormat.N_QUADS))
    assert quads
    result = validate_graph(with_entities(article, entities, referenced_entities(article)))
    assert result.conforms, result.text()
    for mention in extraction.mentions:  # offsets index the stored text
        assert document.text[mention.begin : mention.end] == mention.text


@BOUNDED
@given(text=ANY_TEXT)
def test_stored_text_is_cleaned_and_every_change_reported(tmp_path: Any, text: str) -> None:
    document = as_document(text, tmp_path)
    if document is None:
        return
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", document.text)
    unchanged = text.replace("\r\n", "\n").replace("\r", "\n")
    assert (document.text == unchanged) or document.notes  # a change is never silent


@settings(max_examples=200, deadline=None)
@given(label=ANY_TEXT)
def test_entity_iri_is_valid_and_deterministic(label: str) -> None:
    key = f"person/{slug(label)}"
    iri = Minter(SETTINGS).entity(key)
    assert NamedNode(str(iri)).value == str(iri)  # pyoxigraph refuses an invalid IRI
    assert re.fullmatch(r"[a-z0-9-]+", slug(label))
    assert iri == Minter(Settings()).entity(f"person/{slug(label)}")


@settings(max_examples=200, deadline=None)
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_slug_is_injective_on_different_names(a: str, b: str) -> None:
    """Names that differ in more than case, accents and punctuation get different IRIs."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", slug_input(text)))

    if slug(a) == slug(b):
        assert words(a) == words(b) or len(slug(a)) == 80


def slug_input(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@settings(max_examples=200, deadline=None)
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_article_iris_differ_for_different_texts(a: str, b: str) -> None:
    from etl.text import sha256

    mint = Minter(SETTINGS)
    if a != b:
        assert mint.article(sha256(a)) != mint.article(sha256(b))
    assert NamedNode(str(mint.article(sha256(a))))


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from(["sentence", "mention", "quantity", "event", "claim"]),
            st.integers(0, 10**7),
            st.integers(0, 10**7),
        ),
        max_size=20,
    )
)
def test_part_iris_are_injective(parts: list[tuple[str, int, int]]) -> None:
    mint = Minter(SETTINGS)
    article = mint.article("0" * 64)
    iris = {mint.part(article, kind, begin, end) for kind, begin, end in set(parts)}
    assert len(iris) == len(set(parts))


def hand_made(text: str, label: str, title: str) -> Extraction:
    """An extraction with one mention of the whole text, named `label`."""
    from etl.text import clean, sha256

    text, _ = clean(text or "x")
    label, _ = clean(label or "x")
    title, _ = clean(title)
    document = Document(sha256(text), title, text, ((0, len(text)),), title=title or None)
    key = f"organization/{slug(label)}"
    sentence = Sentence(0, len(text), text)
    return Extraction(
        document=document,
        sentences=(sentence,),
        mentions=(Mention(0, len(text), text, key),),
        entities=(Entity(key, EntityKind.ORGANIZATION, label),),
        model_name="en_test",
        model_version="0",
    )


@settings(max_examples=60, deadline=None)
@given(text=ANY_TEXT, label=ANY_TEXT, title=ANY_TEXT)
def test_turtle_and_nquads_round_trip_to_isomorphic_graphs(
    text: str, label: str, title: str
) -> None:
    article, entities = graph_of(hand_made(text, label, title))

    again = Graph().parse(data=article.serialize(format="turtle"), format="turtle")
    assert isomorphic(article, again)

    data = nquads(article, entities)
    quads = parse(data, format=RdfFormat.N_QUADS)
    through_oxigraph = serialize(quads, format=RdfFormat.N_QUADS) or b""
    dataset = Dataset()
    dataset.parse(data=through_oxigraph.decode(), format="nquads")
    for graph in (article, entities):
        assert isomorphic(graph, dataset.graph(graph.identifier))
