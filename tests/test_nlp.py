"""spaCy helpers of etl/nlp.py that extraction relies on."""

from __future__ import annotations

from typing import Any

from etl.ingest import Rejected, read_sources
from etl.nlp import sentence_ents

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
