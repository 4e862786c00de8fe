"""spaCy helpers of etl/nlp.py that extraction relies on."""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

from etl.config import Settings
from etl.ingest import Rejected, read_sources, sha256
from etl.model import Document, Extraction
from etl.nlp import build_pipeline, doc_text, sentence_ents
from etl.work import extract_documents

from .conftest import EXAMPLES


def test_sentence_ents_are_the_entities_spacy_finds_in_each_sentence(nlp: Any) -> None:
    texts = [d.masked_text() for d in read_sources([EXAMPLES]) if not isinstance(d, Rejected)]
    compared = 0
    for doc in nlp.pipe(texts):
        for sent in doc.sents:
            expected = [(e.start, e.end, e.label_) for e in sent.ents]
            assert [(e.start, e.end, e.label_) for e in sentence_ents(sent)] == expected
            compared += len(expected)
    assert compared > 100  # the examples name many people, places and dates


def test_doc_text_is_the_docs_text_joined_once_even_for_a_doc_of_pieces(nlp: Any) -> None:
    texts = ["Kyiv said 300 troops left. ", "Moscow denied it.\n\n", "Later: nothing."]
    pieces = list(nlp.pipe(texts))
    # the pieces are asked first: a doc joined from them must not take their text
    for doc in [*pieces, Doc.from_docs(pieces, ensure_whitespace=False)]:
        text = doc_text(doc)
        assert text == doc.text
        assert doc_text(doc) is text  # kept with the doc, not joined again


def _dispatch(name: str, text: str) -> Document:
    return Document(id=sha256(text), identifier=name, text=text, regions=((0, len(text)),))


def test_a_chunks_new_words_leave_the_vocabulary_once_it_is_extracted() -> None:
    # the words of one chunk must not stay in the vocabulary of a worker that goes on
    # to thousands more: a corpus's vocabulary grows with every article
    settings = Settings()
    nlp = build_pipeline(settings.model)  # the one extraction uses
    first = _dispatch(
        "a.txt", "Colonel Vrexalind Quorbath said 4,817 Russian troops held Zalvinkor near Kursk."
    )
    second = _dispatch("b.txt", "Officials said 2,093 soldiers left Plomberast on Monday.")
    strings_before = len(nlp.vocab.strings)

    extractions = list(extract_documents([first], settings))
    # the ruler's labels, learnt by the recogniser inside the first zone, outlive it:
    # a second chunk asks for the model's labels again (`nlp.meta`)
    extractions += list(extract_documents([second], settings))

    assert all(isinstance(e, Extraction) for e in extractions)
    assert {"Vrexalind", "Zalvinkor", "Plomberast", "4,817"}.isdisjoint(nlp.vocab.strings)
    assert len(nlp.vocab.strings) == strings_before
    first_extraction = extractions[0]
    assert isinstance(first_extraction, Extraction)
    # the figure is extracted all the same
    assert [q.value for q in first_extraction.quantities] == [4817]
    assert nlp.meta["labels"]["ner"]


def _gazetteer_spans(nlp: Any, text: str) -> set[tuple[str, str]]:
    doc = nlp(text)
    return {(e.text, e.ent_id_) for e in doc.ents if e.label_.startswith("CKG_")}


def test_the_gazetteer_matches_labels_in_any_case_and_acronyms_only_as_written(nlp: Any) -> None:
    found = _gazetteer_spans(
        nlp, "Officials in KURSK OBLAST and the kursk region said the US would not help us."
    )
    assert ("KURSK OBLAST", "place/kursk-oblast") in found
    assert ("kursk region", "place/kursk-oblast") in found
    assert ("US", "state/united-states") in found
    assert not any(text == "us" for text, _ in found)


def test_the_gazetteer_finds_forces_by_demonym_plural_capital_and_article(nlp: Any) -> None:
    text = "Ukrainians said north koreans had joined Moscow's troops and the Kremlin’s envoy."
    assert _gazetteer_spans(nlp, text) == {
        ("Ukrainians", "armed-force/armed-forces-of-ukraine"),
        ("north koreans", "armed-force/korean-peoples-army"),
        ("Moscow's troops", "armed-force/russian-armed-forces"),
        ("the Kremlin", "organization/kremlin"),
    }
