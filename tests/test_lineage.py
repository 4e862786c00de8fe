"""Source lineage: near-duplicate and rewritten passages between articles (etl/lineage.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from etl.config import Settings
from etl.lineage import (
    COPIED,
    REWRITTEN,
    LineageGroups,
    LineageLink,
    compared_pairs,
    containment,
    find_lineage,
    lineage_graph,
    origins_graph,
    shingle_hashes,
    shingles,
)
from etl.model import Document, Entity, EntityKind, Extraction, Mention, Sentence
from etl.pipeline import RunReport
from etl.queries import named_queries, run_query
from etl.rdf import CKG
from etl.store import open_store
from etl.validate import validate_graph
from etl.work import nquad_lines

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings()
ID = SETTINGS.base_iri

WIRE = (
    "Officials said on Monday that about 4,000 reservists had been moved to the river crossing "
    "near the old mill. The reservists arrived by train overnight and were sent to dig trenches "
    "along the eastern bank before the rains. Local farmers were told to leave their fields "
    "until the works are finished, a regional spokesman said."
)
REPRINT = (
    "Reprinted from the wire. Officials said on Monday that about 4,000 reservists had been "
    "moved to the river crossing near the old mill. The reservists arrived by train overnight "
    "and were sent to dig trenches along the eastern bank before the rains."
)
QUOTE = (
    "The shelling went on all night. Captain Ostap Vernyhora, who leads a mortar crew on the "
    "hill, said his men fired back at dawn with their last shells. Supplies are expected soon."
)
PARAPHRASE = (
    "Night-long shelling hit the positions. Ostap Vernyhora, a captain leading mortar crews on "
    "the hill, reported that his men answered at dawn using their last shells. Nobody knows "
    "when supplies arrive."
)
UNRELATED = (
    "The harvest festival opened in the capital with a parade of tractors and a choir of "
    "schoolchildren, and the mayor promised new bus routes for the spring."
)


def _extraction(
    name: str, text: str, people: tuple[tuple[str, bool], ...] = (), issued: date | None = None
) -> Extraction:
    """A hand-built extraction: sentences split on '. ', persons as (label, from_gazetteer)."""
    sentences, begin = [], 0
    for part in text.split(". "):
        end = begin + len(part) + (1 if begin + len(part) < len(text) else 0)
        sentences.append(Sentence(begin, end, text[begin:end]))
        begin = end + 1
    entities, mentions = [], []
    for label, gazetteer in people:
        key = "person/" + label.lower().replace(" ", "-")
        entities.append(Entity(key, EntityKind.PERSON, label, from_gazetteer=gazetteer))
        start = text.index(label)
        mentions.append(Mention(start, start + len(label), label, key))
    sha = hashlib.sha256(text.encode()).hexdigest()
    document = Document(sha, name, text, ((0, len(text)),), issued=issued)
    return Extraction(document, tuple(sentences), tuple(mentions), tuple(entities))


def test_shingles_are_five_word_runs_case_and_punctuation_blind() -> None:
    assert shingles("One, two THREE four five six.") == {
        ("one", "two", "three", "four", "five"),
        ("two", "three", "four", "five", "six"),
    }
    assert shingle_hashes("One, two THREE four five six.").size == 2
    assert containment(shingle_hashes(WIRE), shingle_hashes(REPRINT)) > 0.85
    assert containment(shingle_hashes(WIRE), shingle_hashes(UNRELATED)) == 0.0
    assert containment(shingle_hashes(""), shingle_hashes(WIRE)) == 0.0


def test_a_reprint_is_derived_from_the_earlier_wire_story() -> None:
    wire = _extraction("wire.txt", WIRE, issued=date(2024, 5, 1))
    reprint = _extraction("a-reprint.txt", REPRINT, issued=date(2024, 5, 2))
    (link,) = find_lineage([reprint, wire, _extraction("fair.txt", UNRELATED)])
    assert (link.derived_identifier, link.source_identifier) == ("a-reprint.txt", "wire.txt")
    assert link.basis == COPIED and link.similarity > 0.85


def test_without_dates_the_digest_is_the_side_whose_passages_are_in_the_other() -> None:
    (link,) = find_lineage([_extraction("z-wire.txt", WIRE), _extraction("a.txt", REPRINT)])
    assert (link.derived_identifier, link.source_identifier) == ("a.txt", "z-wire.txt")


def test_a_paraphrase_around_the_same_private_person_is_a_rewrite() -> None:
    original = _extraction("night.txt", QUOTE, (("Ostap Vernyhora", False),))
    rewrite = _extraction("digest.txt", PARAPHRASE, (("Ostap Vernyhora", False),))
    assert containment(shingle_hashes(QUOTE), shingle_hashes(PARAPHRASE)) < 0.15  # no copied run
    (link,) = find_lineage([original, rewrite])
    assert link.basis == REWRITTEN and 0.12 <= link.similarity <= 1


def test_a_public_figure_or_a_description_links_nothing() -> None:
    """Outlets all name presidents (gazetteer entries); "his men" is a description."""
    for person in (("Ostap Vernyhora", True), ("his men", False)):
        original = _extraction("a.txt", QUOTE, (person,))
        rewrite = _extraction("b.txt", PARAPHRASE, (person,))
        assert find_lineage([original, rewrite]) == []


def test_a_one_word_name_links_only_articles_whose_entities_hold_it() -> None:
    """A sentence's opening "Officials", taken for a person in one article, is in every
    article that opens a sentence with it, with the same stock words around it; a soldier
    named by his first name alone in two articles is one voice."""
    stock = "Officials in the capital said evacuation trains would keep running all winter."
    reworded = "Officials said that in the capital, evacuation trains would still keep on running."
    original = _extraction("a.txt", f"{stock} {QUOTE}", (("Officials", False),))
    other = _extraction("b.txt", f"{reworded} {UNRELATED}")
    assert find_lineage([original, other]) == []
    quote, paraphrase = (
        QUOTE.replace("Ostap Vernyhora", "Ostap"),
        PARAPHRASE.replace("Ostap Vernyhora", "Ostap"),
    )
    (link,) = find_lineage(
        [
            _extraction("c.txt", quote, (("Ostap", False),)),
            _extraction("d.txt", paraphrase, (("Ostap", False),)),
        ]
    )
    assert link.basis == REWRITTEN


def test_a_name_cut_at_its_initial_links_nothing() -> None:
    """A name cut at its initial, "Ostap V.", is part of the name of every Ostap V."""
    quote = QUOTE.replace("Ostap Vernyhora", "Ostap V. Vernyhora")
    paraphrase = PARAPHRASE.replace("Ostap Vernyhora", "Ostap V. Kovalenko")
    cut = _extraction("a.txt", quote, (("Ostap V.", False),))
    assert find_lineage([cut, _extraction("b.txt", paraphrase)]) == []


def test_the_lineage_graph_conforms_and_says_prov() -> None:
    wire = _extraction("wire.txt", WIRE, issued=date(2024, 5, 1))
    reprint = _extraction("reprint.txt", REPRINT, issued=date(2024, 5, 2))
    graph = lineage_graph(find_lineage([wire, reprint]), SETTINGS)
    assert graph.identifier == URIRef(ID + "graph/lineage")
    derived = URIRef(f"{ID}article/{reprint.document.id}")
    source = URIRef(f"{ID}article/{wire.document.id}")
    assert (derived, PROV.wasDerivedFrom, source) in graph
    (node,) = graph.objects(derived, PROV.qualifiedDerivation)
    assert (node, PROV.entity, source) in graph
    assert (node, CKG.lineageBasis, CKG.CopiedPassages) in graph
    assert 0.85 < float(graph.value(node, CKG.similarity)) <= 1  # type: ignore[arg-type]
    assert validate_graph(graph).conforms
    groups = LineageGroups()
    groups.add(find_lineage([wire, reprint]))
    origins = origins_graph(groups.origins(), SETTINGS)
    assert origins.identifier == graph.identifier
    assert set(origins.subject_objects(CKG.lineageOrigin)) == {(derived, source), (source, source)}
    assert validate_graph(origins).conforms
    # a second origin for one article breaks the shape
    origins.add((derived, CKG.lineageOrigin, derived))
    assert not validate_graph(origins).conforms


def test_a_similarity_outside_zero_to_one_is_a_violation() -> None:
    graph = Graph()
    graph.parse(
        data=f"""@prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix ckg: <{CKG}> .
        <{ID}lineage/x> a prov:Derivation ; prov:entity <{ID}article/y> ;
            ckg:similarity 1.5 ; ckg:lineageBasis ckg:CopiedPassages .""",
        format="turtle",
    )
    result = validate_graph(graph)
    assert not result.conforms
    assert any("similarity" in v.message for v in result.violations)


def _identifiers(store: Store) -> set[tuple[str, str]]:
    query = """PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?d ?s WHERE { GRAPH ?g { ?a prov:wasDerivedFrom ?b }
      ?a dcterms:identifier ?d . ?b dcterms:identifier ?s }"""
    solutions = store.query(query, use_default_graph_as_union=True)
    return {(row["d"].value, row["s"].value) for row in solutions}  # type: ignore[union-attr]


def test_examples_digest_is_linked_to_the_wire_report(examples_run: tuple[Path, RunReport]):
    out, _ = examples_run
    store = open_store(out / "store")
    assert _identifiers(store) == {("07_digest.txt", "01_wire_report.txt")}
    graphs = {q.graph_name for q in store.quads_for_pattern(None, None, None, None)}
    assert NamedNode(ID + "graph/lineage") in graphs


def test_corroboration_counts_independent_sources(examples_run: tuple[Path, RunReport]):
    """The digest repeats the wire report's figures: one source, so no corroboration."""
    out, _ = examples_run
    store = Store()
    store.load(path=str(out / "graph.trig"), format=RdfFormat.TRIG)
    query = named_queries()["corroborated-figures"]
    with_lineage = list(run_query(store, query))
    store.clear_graph(NamedNode(ID + "graph/lineage"))
    without_lineage = list(run_query(store, query))
    pair = {"01_wire_report.txt", "07_digest.txt"}

    def ids(row) -> set[str]:  # type: ignore[no-untyped-def]
        return set(row["articleIds"].value.split(", "))

    def sources(rows) -> dict[str, int]:  # type: ignore[no-untyped-def]
        return {row["value"].value: int(row["sources"].value) for row in rows if pair <= ids(row)}

    before, after = sources(without_lineage), sources(with_lineage)
    assert {"11000", "1300"} <= set(before)
    assert all(count == len(ids(r)) for r in without_lineage for count in [int(r["sources"].value)])
    # With the lineage the pair is one source: figures only they give are no longer
    # corroborated, and every other figure they share counts one source fewer.
    assert {value: count - 1 for value, count in before.items() if count > 2} == after
    only_the_pair = [r for r in without_lineage if ids(r) == pair]
    assert len(with_lineage) == len(without_lineage) - len(only_the_pair)


def _link(derived: str, source: str) -> LineageLink:
    return LineageLink(derived, source, 0.5, REWRITTEN, f"{derived}.txt", f"{source}.txt")


def test_a_lineage_group_is_every_article_linked_either_way_its_origin_a_root() -> None:
    groups = LineageGroups()
    # a roundup r copies two wires a and b; d copies the roundup; y and x copy each other
    groups.add([_link("r", "b"), _link("r", "a"), _link("d", "r")])
    groups.add([_link("x", "y"), _link("y", "x")])
    assert groups.origins() == {
        **dict.fromkeys("abrd", "a"),  # both wires derive from nothing: the first by identifier
        **dict.fromkeys("xy", "x"),  # each derives from the other: the first article
    }
    assert LineageGroups().origins() == {}


def _fixture_with_lineage(*pairs: tuple[str, str]) -> Store:
    """tests/data/mini.trig with lineage as a run writes it: `derived` copies `source`."""
    store = Store()
    store.load(path=str(ROOT / "tests" / "data" / "mini.trig"), format=RdfFormat.TRIG)
    ids = {
        row["id"].value: row["a"].value.rsplit("/", 1)[1]
        for row in store.query(  # type: ignore[union-attr]
            "SELECT ?a ?id WHERE { ?a <http://purl.org/dc/terms/identifier> ?id }",
            use_default_graph_as_union=True,
        )
    }
    links = [
        LineageLink(ids[derived], ids[source], 0.5, REWRITTEN, derived, source)
        for derived, source in pairs
    ]
    groups = LineageGroups()
    groups.add(links)
    for graph in (lineage_graph(links, SETTINGS), origins_graph(groups.origins(), SETTINGS)):
        store.bulk_load(input=b"".join(nquad_lines(graph)), format=RdfFormat.N_QUADS)
    return store


def _corroborated(store: Store) -> list[tuple[str, int, int]]:
    rows = run_query(store, named_queries()["corroborated-figures"])
    return [
        (row["articleIds"].value, int(row["sources"].value), int(row["articles"].value))
        for row in rows
    ]


def test_an_article_copying_two_originals_is_one_source_with_both() -> None:
    """a.txt and c.txt both give 11,000 troops. If c.txt copies a.txt (and b.txt too), they
    are one story; counted by derivation roots, c.txt stood for two sources on its own. A
    roundup b.txt that copies both joins them in one group: they count once, which may
    undercount two independent originals but never counts a story twice."""
    assert _corroborated(_fixture_with_lineage()) == [("a.txt, c.txt", 2, 2)]
    assert _corroborated(_fixture_with_lineage(("c.txt", "b.txt"))) == [("a.txt, c.txt", 2, 2)]
    assert _corroborated(_fixture_with_lineage(("c.txt", "a.txt"), ("c.txt", "b.txt"))) == []
    assert _corroborated(_fixture_with_lineage(("b.txt", "a.txt"), ("b.txt", "c.txt"))) == []


@pytest.mark.seeds
def test_seeds_rewrite_is_found_and_nothing_else(seeds_run: tuple[Path, RunReport]) -> None:
    out, _ = seeds_run
    links = _identifiers(open_store(out / "store"))
    assert len(links) == 1
    ((derived, source),) = links
    assert {derived[:3], source[:3]} == {"000", "001"}


def test_only_articles_with_something_in_common_are_compared() -> None:
    articles = [
        _extraction("a.txt", WIRE),
        _extraction("b.txt", REPRINT),
        _extraction("c.txt", UNRELATED),
        _extraction("d.txt", QUOTE, (("Ostap Vernyhora", False),)),
        _extraction("e.txt", PARAPHRASE),  # names him, though not extracted
    ]
    assert compared_pairs(articles) == [("a.txt", "b.txt"), ("d.txt", "e.txt")]


def test_a_name_whose_words_are_scattered_in_the_other_article_is_no_reason_to_compare() -> None:
    scattered = "The Vernyhora farm lies east of the river. Ostap, a neighbour, keeps bees there."
    articles = [
        _extraction("d.txt", QUOTE, (("Ostap Vernyhora", False),)),
        _extraction("f.txt", scattered),
    ]
    assert compared_pairs(articles) == []


def _corpus() -> list[Extraction]:
    """Copies, a paraphrase around a private name, and articles with nothing in common."""
    vernyhora = (("Ostap Vernyhora", False),)
    return [
        _extraction("a-wire.txt", WIRE, issued=date(2024, 5, 1)),
        _extraction("b-reprint.txt", REPRINT, issued=date(2024, 5, 2)),
        _extraction("c-digest.txt", "In brief. " + REPRINT[:200]),
        _extraction("d-quote.txt", QUOTE, vernyhora),
        _extraction("e-paraphrase.txt", PARAPHRASE, vernyhora),
        _extraction("f-fair.txt", UNRELATED),
        _extraction("g-mention.txt", "Ostap Vernyhora was not reached. " + UNRELATED),
    ]


def test_links_do_not_depend_on_how_the_work_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shingles spread over files and pairs over ranges are counted as if held at once."""
    import etl.lineage as lineage

    links, pairs = find_lineage(_corpus()), compared_pairs(_corpus())
    assert [(link.derived_identifier, link.source_identifier, link.basis) for link in links] == [
        ("b-reprint.txt", "a-wire.txt", COPIED),
        ("c-digest.txt", "a-wire.txt", COPIED),
        ("c-digest.txt", "b-reprint.txt", COPIED),
        ("e-paraphrase.txt", "d-quote.txt", REWRITTEN),
        ("f-fair.txt", "g-mention.txt", COPIED),  # the fair report is all in the other
    ]
    assert ("d-quote.txt", "g-mention.txt") in pairs  # compared for the name, not linked
    monkeypatch.setattr(lineage, "SHINGLE_FILES", 3)
    monkeypatch.setattr(lineage, "RANGE_ARTICLES", 2)
    monkeypatch.setattr(lineage, "SPILL_BYTES", 1)  # every article written out at once
    assert find_lineage(_corpus()) == links
    assert sorted(compared_pairs(_corpus())) == sorted(pairs)


@pytest.mark.parametrize("copies", [20, 21])
def test_what_more_than_twenty_articles_share_is_common_stock(
    copies: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty articles with the same passage and private name link to each other; at 21 the
    passage and the name are stock, and nothing links (counted across every file)."""
    import etl.lineage as lineage

    monkeypatch.setattr(lineage, "SHINGLE_FILES", 4)
    person = (("Ostap Vernyhora", False),)
    corpus = [_extraction(f"{n:02}.txt", f"Edition {n}. {QUOTE}", person) for n in range(copies)]
    links = find_lineage(corpus)
    assert len(links) == (copies * (copies - 1) // 2 if copies <= 20 else 0)


def test_lineage_works_in_the_folder_given_and_leaves_nothing_there(
    examples_run: tuple[Path, RunReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import etl.lineage as lineage
    from etl.lineage import lineage_from_store

    out, _ = examples_run
    store = open_store(out / "store")
    seen: list[list[str]] = []
    each_link = lineage._each_link

    def listing_links(space: lineage._Workspace) -> Iterator[lineage.LineageLink]:
        seen.append(sorted(path.name for path in tmp_path.glob("lineage-*/*")))
        return each_link(space)

    monkeypatch.setattr(lineage, "_each_link", listing_links)
    links, origins = lineage_from_store(store, SETTINGS, workdir=tmp_path)
    assert seen == [["lineage.sqlite", "shingles"]]
    assert list(tmp_path.iterdir()) == []
    derived = {(str(s), str(o)) for s, o in links.subject_objects(PROV.wasDerivedFrom)}
    assert len(derived) == len(_identifiers(store)) == 1
    # the digest and the wire report it copies are one group, the wire report its origin
    ((digest, wire),) = derived
    assert set(origins) == {
        (URIRef(digest), CKG.lineageOrigin, URIRef(wire)),
        (URIRef(wire), CKG.lineageOrigin, URIRef(wire)),
    }


def test_lineage_from_a_store_comes_in_parts_with_the_same_links() -> None:
    from etl.lineage import lineage_from_store
    from etl.rdf import article_graph, entities_graph
    from etl.work import nquad_lines

    corpus = _corpus()
    graphs = [article_graph(e, SETTINGS) for e in corpus]
    graphs.append(entities_graph([n for e in corpus for n in e.entities], SETTINGS))
    store = Store()
    nquads = b"".join(line for graph in graphs for line in nquad_lines(graph))
    store.bulk_load(input=nquads, format=RdfFormat.N_QUADS)
    parts = list(lineage_from_store(store, SETTINGS, part_links=2))
    counts = [len(list(part.subject_objects(PROV.wasDerivedFrom))) for part in parts]
    assert counts == [2, 2, 1, 0]  # the last part: the groups' origins, once every link is found
    found = {
        (str(s), str(o)) for part in parts for s, o in part.subject_objects(PROV.wasDerivedFrom)
    }
    # one origin for every article that has a link, and nothing else in that part
    linked = {article for pair in found for article in pair}
    assert {str(s) for s in parts[-1].subjects(CKG.lineageOrigin, None)} == linked
    assert len(parts[-1]) == len(linked)
    expected = {
        (f"{ID}article/{link.derived}", f"{ID}article/{link.source}")
        for link in find_lineage(corpus)
    }
    assert found == expected


def test_no_article_or_one_article_has_no_lineage() -> None:
    assert find_lineage([]) == [] and compared_pairs([]) == []
    assert find_lineage([_extraction("a.txt", WIRE)]) == []
