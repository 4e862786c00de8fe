"""The domain gazetteer (`ontology/gazetteer.ttl`): known entities and their variants.

Each entry has one `skos:prefLabel`, any number of `skos:altLabel` variants,
and, for states, `ckg:demonym`s; armed forces name their state with
`ckg:forceOf`, capitals theirs with `ckg:capitalOf`. The pipeline turns these
into EntityRuler patterns (nlp.py) and writes the entries it meets into the
entities graph (rdf.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from rdflib import RDF, SKOS, Graph, Namespace, URIRef

from .errors import ResourceError
from .model import Entity, EntityKind
from .resources import gazetteer_file

CKG = Namespace("https://w3id.org/conflict-kg/ontology#")
ENTITY_BASE = "https://w3id.org/conflict-kg/id/entity/"
_KIND_OF_CLASS = {CKG[kind.rdf_class]: kind for kind in EntityKind}


@dataclass(frozen=True)
class Gazetteer:
    entities: dict[str, Entity]  # by key
    demonyms: dict[str, tuple[str, ...]]  # state key -> adjective forms ("North Korean")
    notes: dict[str, str]  # key -> why its variants are merged, when the file says
    main_forces: dict[str, str]  # state key -> its marked main force, else its only force

    @cached_property
    def demonym_forms(self) -> frozenset[str]:
        """Every demonym in lower case, with the plural of those ending in -n."""
        forms = {d.lower() for found in self.demonyms.values() for d in found}
        return frozenset(forms | {f + "s" for f in forms if f.endswith("n")})

    def main_force(self, state_key: str) -> Entity | None:
        """The force a demonym phrase ("Ukrainian troops") names: the marked main force,
        else the state's only force (see `parse_gazetteer`)."""
        key = self.main_forces.get(state_key)
        return self.entities[key] if key else None

    def capitals_of(self, state_key: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.capital_of == state_key]


def _key(iri: URIRef, path: Path) -> str:
    if not str(iri).startswith(ENTITY_BASE):
        raise ResourceError(f"{path}: entry {iri} is not under {ENTITY_BASE}")
    return str(iri)[len(ENTITY_BASE) :]


def parse_gazetteer(path: Path) -> Gazetteer:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise ResourceError(f"{path}: cannot parse the gazetteer: {exc}") from None
    entities: dict[str, Entity] = {}
    demonyms: dict[str, tuple[str, ...]] = {}
    notes: dict[str, str] = {}
    main_forces = {
        _key(state, path): _key(force, path)
        for state, force in graph.subject_objects(CKG.mainForce)
        if isinstance(state, URIRef) and isinstance(force, URIRef)
    }
    for rdf_class, kind in _KIND_OF_CLASS.items():
        for iri in graph.subjects(RDF.type, rdf_class):
            assert isinstance(iri, URIRef)
            key = _key(iri, path)
            labels = [str(label) for label in graph.objects(iri, SKOS.prefLabel)]
            if len(labels) != 1:
                raise ResourceError(f"{path}: {iri} needs exactly one skos:prefLabel")
            force_of = graph.value(iri, CKG.forceOf)
            capital_of = graph.value(iri, CKG.capitalOf)
            entities[key] = Entity(
                key=key,
                kind=kind,
                label=labels[0],
                alt_labels=frozenset(str(a) for a in graph.objects(iri, SKOS.altLabel)),
                force_of=_key(force_of, path) if isinstance(force_of, URIRef) else None,
                capital_of=_key(capital_of, path) if isinstance(capital_of, URIRef) else None,
                from_gazetteer=True,
            )
            found = tuple(sorted(str(d) for d in graph.objects(iri, CKG.demonym)))
            if found:
                demonyms[key] = found
            note = graph.value(iri, SKOS.note)
            if note is not None:
                notes[key] = str(note)
    forces_of: dict[str, list[str]] = {}
    for entity in entities.values():
        if entity.force_of:
            forces_of.setdefault(entity.force_of, []).append(entity.key)
    for state, forces in forces_of.items():
        if state not in main_forces and len(forces) == 1:
            main_forces[state] = forces[0]
    return Gazetteer(entities=entities, demonyms=demonyms, notes=notes, main_forces=main_forces)


@cache
def load_gazetteer() -> Gazetteer:
    return parse_gazetteer(gazetteer_file())
