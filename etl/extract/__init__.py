"""Doc -> Extraction: one module per fact kind, composed here.

    entities.py    mentions and the entities they refer to
    quantities.py  figures with qualifier, measure, unit, subject, place, time
    events.py      events of the contract types with agent, place, target, time
    claims.py      who said what, linked to the facts they carry
    time.py        stated times and their calendar values
    roles.py       how entities fill the roles of facts (actor, place)

spaCy runs on `Document.masked_text()`, which has the same length as the
article text, so every offset spaCy reports is an offset into the article.
"""

from __future__ import annotations

from spacy.tokens import Doc

from ..gazetteer import Gazetteer
from ..model import Document, Extraction, Sentence
from ..nlp import doc_text
from .claims import find_claims
from .entities import find_mentions
from .events import find_events
from .quantities import find_quantities

__all__ = ["extract_doc"]


def _sentences(doc: Doc, text: str) -> dict[int, Sentence]:
    """Sentences keyed by spaCy's start offset, trimmed of surrounding white space.

    Trimming reads the masked text spaCy saw, so a sentence never reaches into the
    left-out lines around it; its text is then the article's own.
    """
    found: dict[int, Sentence] = {}
    masked = doc_text(doc)
    for sent in doc.sents:
        seen = masked[sent.start_char : sent.end_char]
        begin = sent.start_char + (len(seen) - len(seen.lstrip()))
        end = begin + len(seen.strip())
        found[sent.start_char] = Sentence(begin, end, text[begin:end])
    return found


def extract_doc(
    doc: Doc, document: Document, gazetteer: Gazetteer, model: tuple[str, str]
) -> Extraction:
    """Everything one processed document says."""
    sentences = _sentences(doc, document.text)
    mentions, entities = find_mentions(doc, gazetteer)
    quantities = find_quantities(doc, sentences, mentions, entities, gazetteer, document.issued)
    events = find_events(doc, sentences, mentions, entities, document.issued)
    claims, unnamed = find_claims(
        doc, sentences, mentions, entities, quantities, events, document.id
    )
    used = {q.sentence for q in quantities} | {e.sentence for e in events}
    used |= {c.sentence for c in claims}
    referenced = {key for q in quantities for key in (q.about, q.place) if key}
    referenced |= {key for e in events for key in (e.agent, e.place, e.target) if key}
    referenced |= {c.speaker for c in claims}
    for key in referenced - set(entities) - set(unnamed):
        entities[key] = gazetteer.entities[key]  # e.g. the state a capital speaks for
    return Extraction(
        document=document,
        sentences=tuple(sorted(used, key=lambda s: s.begin)),
        mentions=tuple(mentions),
        entities=tuple(sorted({**entities, **unnamed}.values(), key=lambda e: e.key)),
        quantities=tuple(quantities),
        events=tuple(events),
        claims=tuple(claims),
        model_name=model[0],
        model_version=model[1],
    )
