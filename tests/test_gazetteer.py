"""Consistency checks for the domain gazetteer, ontology/gazetteer.ttl.

The spaCy pipeline turns every skos:prefLabel and skos:altLabel into an entity-ruler
phrase pattern, so a label that belongs to two entries, or an IRI that does not follow
the slug rule, silently corrupts the graph. These tests keep the file honest.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SKOS

GAZETTEER = Path(__file__).parents[1] / "ontology" / "gazetteer.ttl"

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")
ENT = "https://w3id.org/conflict-kg/id/entity/"
SCHEME = URIRef("https://w3id.org/conflict-kg/gazetteer")

KIND_OF_TYPE = {
    CKG.Person: "person",
    CKG.Organization: "organization",
    CKG.State: "state",
    CKG.ArmedForce: "armed-force",
    CKG.Place: "place",
}


def slug(label: str) -> str:
    """Lower-case ASCII of the label, apostrophes and full stops dropped, words joined by '-'."""
    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    ascii_ = re.sub(r"['\u2019.]", "", ascii_.lower())
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")


def is_short_caps(label: str) -> bool:
    """All-caps labels of up to five letters are matched case-sensitively by the pipeline."""
    return label.isupper() and sum(ch.isalpha() for ch in label) <= 5


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(GAZETTEER, format="turtle")


@pytest.fixture(scope="module")
def entries(graph: Graph) -> list[URIRef]:
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(ENT)}
    return sorted(subjects)


def labels(graph: Graph, entry: URIRef) -> list[Literal]:
    found = [*graph.objects(entry, SKOS.prefLabel), *graph.objects(entry, SKOS.altLabel)]
    return [lab for lab in found if isinstance(lab, Literal)]


def test_parses_and_declares_scheme(graph: Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in graph
    assert graph.value(SCHEME, SKOS.prefLabel) is None
    assert len(graph) > 100


def test_every_entry_has_one_known_type(graph: Graph, entries: list[URIRef]) -> None:
    assert entries
    for entry in entries:
        types = set(graph.objects(entry, RDF.type))
        assert len(types) == 1 and types <= KIND_OF_TYPE.keys(), (entry, types)


def test_every_labelled_subject_is_an_entry(graph: Graph, entries: list[URIRef]) -> None:
    labelled = set(graph.subjects(SKOS.prefLabel, None)) | set(graph.subjects(SKOS.altLabel, None))
    assert labelled <= set(entries)


def test_exactly_one_english_preflabel(graph: Graph, entries: list[URIRef]) -> None:
    for entry in entries:
        prefs = list(graph.objects(entry, SKOS.prefLabel))
        assert len(prefs) == 1, (entry, prefs)
        assert isinstance(prefs[0], Literal) and prefs[0].language == "en", (entry, prefs)


def test_labels_are_clean_english_literals(graph: Graph, entries: list[URIRef]) -> None:
    for entry in entries:
        for lab in labels(graph, entry):
            text = str(lab)
            assert lab.language == "en", (entry, lab)
            assert text and text == text.strip() and "  " not in text, (entry, lab)
        for alt in graph.objects(entry, SKOS.altLabel):
            assert isinstance(alt, Literal), (entry, alt)


def test_iri_follows_slug_rule(graph: Graph, entries: list[URIRef]) -> None:
    for entry in entries:
        kind = KIND_OF_TYPE[graph.value(entry, RDF.type)]
        pref = str(graph.value(entry, SKOS.prefLabel))
        assert str(entry) == f"{ENT}{kind}/{slug(pref)}", (entry, pref)


def test_slug_rule_examples() -> None:
    assert slug("Korean People's Army") == "korean-peoples-army"
    assert slug("U.S. Department of Defense") == "us-department-of-defense"
    assert slug("Recep Tayyip Erdo\u011fan") == "recep-tayyip-erdogan"


def test_no_label_belongs_to_two_entries(graph: Graph, entries: list[URIRef]) -> None:
    owners: dict[str, set[URIRef]] = defaultdict(set)
    for entry in entries:
        for lab in labels(graph, entry):
            owners[str(lab).casefold()].add(entry)
    shared = {lab: sorted(map(str, who)) for lab, who in owners.items() if len(who) > 1}
    assert not shared


def test_no_redundant_case_variants_within_an_entry(graph: Graph, entries: list[URIRef]) -> None:
    # "NATO"/"Nato" are both useful (the first is matched case-sensitively); "Kursk oblast"
    # next to "Kursk Oblast" is not, because both are matched case-insensitively.
    for entry in entries:
        seen: dict[str, str] = {}
        for lab in map(str, labels(graph, entry)):
            key = lab.casefold()
            if key in seen:
                assert is_short_caps(lab) or is_short_caps(seen[key]), (entry, lab, seen[key])
            seen[key] = lab


def test_force_and_capital_links_point_at_states(graph: Graph) -> None:
    states = set(graph.subjects(RDF.type, CKG.State))
    for prop, domain in ((CKG.forceOf, CKG.ArmedForce), (CKG.capitalOf, CKG.Place)):
        for subject, target in graph.subject_objects(prop):
            assert target in states, (subject, prop, target)
            assert (subject, RDF.type, domain) in graph, (subject, prop)
            assert len(list(graph.objects(subject, prop))) == 1, (subject, prop)


def test_every_state_has_a_demonym(graph: Graph) -> None:
    for state in graph.subjects(RDF.type, CKG.State):
        demonyms = list(graph.objects(state, CKG.demonym))
        assert demonyms, state
        for dem in demonyms:
            assert isinstance(dem, Literal) and dem.language == "en", (state, dem)
            assert str(dem).strip(), state
    for subject in graph.subjects(CKG.demonym, None):
        assert (subject, RDF.type, CKG.State) in graph, subject


def test_no_label_is_a_bare_demonym(graph: Graph, entries: list[URIRef]) -> None:
    # The pipeline handles demonyms ("Russian troops", "North Koreans") itself. A demonym may
    # double as a label only of its own state, where it is also a name ("US", "UK", "DPRK").
    demonym_of: dict[str, URIRef] = {}
    for state, dem in graph.subject_objects(CKG.demonym):
        demonym_of[str(dem).casefold()] = state
    for entry in entries:
        for lab in map(str, labels(graph, entry)):
            key = lab.casefold()
            assert demonym_of.get(key, entry) == entry, (entry, lab)
            assert not (key.endswith("s") and key[:-1] in demonym_of), (entry, lab)


def test_no_links_to_external_identifiers(graph: Graph) -> None:
    assert not list(graph.triples((None, OWL.sameAs, None)))
    assert not list(graph.triples((None, SKOS.exactMatch, None)))
    for obj in graph.objects():
        if isinstance(obj, URIRef):
            assert "wikidata" not in str(obj) and "dbpedia" not in str(obj), obj


REQUIRED = [
    ("state/ukraine", "Ukraine"),
    ("state/russia", "Russian Federation"),
    ("state/north-korea", "DPRK"),
    ("state/united-states", "U.S."),
    ("armed-force/korean-peoples-army", "KPA"),
    ("armed-force/armed-forces-of-ukraine", "Ukrainian Armed Forces"),
    ("armed-force/russian-armed-forces", "Armed Forces of the Russian Federation"),
    ("place/kyiv", "Kiev"),
    ("place/donbas", "Donbass"),
    ("place/sudzha", "Southzha"),
    ("place/kursk-oblast", "Kursk region"),
    ("person/volodymyr-zelensky", "Zelenskyy"),
]


@pytest.mark.parametrize(("path", "label"), REQUIRED)
def test_required_entries(graph: Graph, path: str, label: str) -> None:
    entry = URIRef(ENT + path)
    assert (entry, RDF.type, None) in graph, entry
    assert label in {str(lab) for lab in labels(graph, entry)}, (entry, label)


def test_required_links(graph: Graph) -> None:
    ukraine, russia, dprk = (
        URIRef(f"{ENT}state/{slug_}") for slug_ in ("ukraine", "russia", "north-korea")
    )
    assert (URIRef(ENT + "armed-force/korean-peoples-army"), CKG.forceOf, dprk) in graph
    assert (URIRef(ENT + "armed-force/armed-forces-of-ukraine"), CKG.forceOf, ukraine) in graph
    assert (URIRef(ENT + "armed-force/russian-armed-forces"), CKG.forceOf, russia) in graph
    assert (URIRef(ENT + "place/kyiv"), CKG.capitalOf, ukraine) in graph
    assert Literal("North Korean", lang="en") in set(graph.objects(dprk, CKG.demonym))
