"""The whole pipeline on the project's own examples: outputs, accounting, determinism."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pyoxigraph
import pytest

from etl.config import Settings
from etl.errors import StoreError
from etl.manifest import MANIFEST_FILE, InStore, Manifest
from etl.pipeline import RecordSpool, run_pipeline
from etl.queries import named_queries, run_query
from etl.store import open_store
from etl.work import InputRecord

from .conftest import EXAMPLES


def in_store(out_dir: Path) -> dict[str, InStore]:
    """What the manifest says the store holds after the last run, read straight from it."""
    with closing(sqlite3.connect(out_dir / MANIFEST_FILE)) as db:
        rows = db.execute("SELECT identifier, key, graph FROM current").fetchall()
    return {identifier: InStore(key, graph) for identifier, key, graph in rows}


CKG = "https://w3id.org/conflict-kg/ontology#"


def _triples(path: Path, fmt: pyoxigraph.RdfFormat) -> set[tuple[str, str, str]]:
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in pyoxigraph.parse(path=str(path), format=fmt)
    }


def _sorted_nquads(out: Path) -> bytes:
    store = open_store(out / "store")
    data = store.dump(format=pyoxigraph.RdfFormat.N_QUADS) or b""
    return b"".join(sorted(data.splitlines(keepends=True)))


def test_run_writes_every_output(examples_run):
    out, _ = examples_run
    for name in ("graph.trig", "graph.ttl", "validation.ttl", "run.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "store").is_dir()
    assert not list(out.glob(".run-*")), "staging folders must be cleaned up"


def test_examples_conform_to_the_shapes(examples_run):
    out, report = examples_run
    assert report.validation.conforms, report.validation.text()
    validation = pyoxigraph.Store()
    validation.load(path=str(out / "validation.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    answer = validation.query(
        "ASK { ?r a <http://www.w3.org/ns/shacl#ValidationReport> ; "
        "<http://www.w3.org/ns/shacl#conforms> true }"
    )
    assert bool(answer)


def test_run_json_accounts_for_every_input(examples_run):
    out, _ = examples_run
    run = json.loads((out / "run.json").read_text())
    names = {record["identifier"] for record in run["inputs"]}
    on_disk = {p.name for p in EXAMPLES.iterdir() if p.suffix in {".txt", ".md", ".html"}}
    on_disk -= {"README.md"}  # listed in examples/.ckgignore: it describes the folder
    assert on_disk <= names
    jsonl = [n for n in names if n.startswith("04_roundup.jsonl/")]
    assert len(jsonl) == 2  # one record per article of the jsonl file
    assert all(r["status"] == "ok" for r in run["inputs"])
    assert run["totals"]["ok"] == len(run["inputs"])
    assert run["totals"]["quantities"] == sum(r["counts"]["quantities"] for r in run["inputs"])
    assert run["conforms"] is True
    assert run["model"]["name"] and run["model"]["version"]


def test_trig_and_turtle_hold_the_same_triples(examples_run):
    out, _ = examples_run
    trig = _triples(out / "graph.trig", pyoxigraph.RdfFormat.TRIG)
    turtle = _triples(out / "graph.ttl", pyoxigraph.RdfFormat.TURTLE)
    assert trig and trig == turtle


def test_paywall_lines_yield_no_facts(examples_run):
    out, _ = examples_run
    store = open_store(out / "store")
    text = next(
        iter(
            store.query(
                f"SELECT ?t WHERE {{ ?a <{CKG}text> ?t ; "
                '<http://purl.org/dc/terms/identifier> "05_paywalled.txt" }',
                use_default_graph_as_union=True,
            )
        )
    )["t"].value
    paywall_start = text.index("Subscribe to keep reading")
    begins = [
        int(s["b"].value)
        for s in store.query(
            f'SELECT ?b WHERE {{ ?a <http://purl.org/dc/terms/identifier> "05_paywalled.txt" . '
            f"?f <{CKG}reportedIn> ?a ; <{CKG}beginIndex> ?b }}",
            use_default_graph_as_union=True,
        )
    ]
    assert begins and max(begins) < paywall_start


def test_troop_figures_from_several_sources_disagree(examples_run):
    out, _ = examples_run
    store = open_store(out / "store")
    rows = list(run_query(store, named_queries()["troop-figures"], {"subject": "korean"}))
    by_article = {}
    for row in rows:
        by_article.setdefault(row["article"].value, set()).add(float(row["value"].value))
    assert len(by_article) >= 4, by_article
    figures = set().union(*by_article.values())
    assert {11000.0, 12000.0, 15000.0} <= figures
    conflicts = list(
        run_query(store, named_queries()["conflicting-figures"], {"measure": "TroopCount"})
    )
    pairs = {frozenset((float(r["value1"].value), float(r["value2"].value))) for r in conflicts}
    assert frozenset((11000.0, 15000.0)) in pairs


def test_territory_shares_are_comparable_intervals(examples_run):
    out, _ = examples_run
    store = open_store(out / "store")
    rows = list(run_query(store, named_queries()["territory-figures"], {}))
    shares = {float(r["value"].value): r for r in rows if r["measure"].value.endswith("Share")}
    assert 50.0 in shares and 60.0 in shares
    assert float(shares[60.0]["minValue"].value) == 60.0
    assert float(shares[60.0]["maxValue"].value) == 100.0  # a percentage is capped at 100
    assert shares[50.0]["qualifier"].value.endswith("Nearly")


def test_territory_figures_are_found_by_the_place_they_are_reported_for(examples_run):
    # the extractor ties a territory figure to its place (ckg:place), seldom to a subject
    out, _ = examples_run
    store = open_store(out / "store")
    query = named_queries()["territory-figures"]
    every = list(run_query(store, query, {}))
    kursk = list(run_query(store, query, {"place": "kursk"}))
    assert 0 < len(kursk) < len(every)
    assert all("Kursk" in r["placeLabel"].value for r in kursk)
    assert {r["place"].value for r in kursk} == {"kursk"}  # the parameter is echoed
    assert len(list(run_query(store, query, {"subject": "kursk"}))) < len(kursk)


def test_two_runs_give_identical_sorted_nquads(examples_run, tmp_path):
    out, _ = examples_run
    run_pipeline([EXAMPLES], tmp_path, Settings())
    assert _sorted_nquads(out) == _sorted_nquads(tmp_path)
    assert (out / "graph.trig").read_bytes() == (tmp_path / "graph.trig").read_bytes()


def test_a_failed_run_leaves_earlier_outputs_intact(tmp_path, monkeypatch):
    source = EXAMPLES / "01_wire_report.txt"
    run_pipeline([source], tmp_path, Settings())
    # the manifest's article cache may grow in a failed run; what it says is in the store may not
    outputs = ("graph.trig", "graph.ttl", "validation.ttl", "run.json")
    before = {name: (tmp_path / name).read_bytes() for name in outputs}
    before_store = in_store(tmp_path)

    def broken_swap(*args, **kwargs):
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr("etl.pipeline.swap_in", broken_swap)
    with pytest.raises(StoreError):
        run_pipeline([source, EXAMPLES / "06_interview.txt"], tmp_path, Settings())
    after = {name: (tmp_path / name).read_bytes() for name in outputs}
    assert in_store(tmp_path) == before_store
    assert after == before
    assert not list(tmp_path.glob(".run-*"))
    store = open_store(tmp_path / "store")
    assert len(store) > 0


def test_bad_inputs_are_accounted_for_and_the_rest_completes(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "good.txt").write_text((EXAMPLES / "01_wire_report.txt").read_text())
    (corpus / "empty.txt").write_text("   \n")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (corpus / "lines.jsonl").write_text('{"text": "About 300 soldiers were killed."}\nnot json\n')
    (corpus / "z_copy.md").write_text((EXAMPLES / "01_wire_report.txt").read_text())
    report = run_pipeline([corpus, tmp_path / "missing.txt"], tmp_path / "out", Settings())
    status = {r.identifier: (r.status, r.reason) for r in report.inputs}
    assert status["good.txt"][0] == "ok"
    assert status["empty.txt"] == ("skipped", "empty file")
    assert status["image.txt"][0] == "failed" and "binary" in status["image.txt"][1]
    assert status["lines.jsonl/1"][0] == "ok"
    assert status["lines.jsonl:2"][0] == "failed" and "line 2" in status["lines.jsonl:2"][1]
    assert status["z_copy.md"][0] == "skipped" and "good.txt" in status["z_copy.md"][1]
    assert status[str(tmp_path / "missing.txt")][0] == "failed"
    assert report.validation.conforms
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["totals"]["failed"] == 3 and run["totals"]["ok"] == 2


def test_a_changed_article_replaces_only_its_own_graph(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("01_wire_report.txt", "02_analysis.md"):
        (corpus / name).write_text((EXAMPLES / name).read_text())
    first = run_pipeline([corpus], tmp_path / "out", Settings())
    before = {r.identifier: r.sha256 for r in first.inputs}
    graphs_before = _graphs(tmp_path / "out")

    changed = (
        (corpus / "02_analysis.md").read_text().replace("nearly 50 percent", "about 55 percent")
    )
    (corpus / "02_analysis.md").write_text(changed)
    second = run_pipeline([corpus], tmp_path / "out", Settings())
    after = {r.identifier: r.sha256 for r in second.inputs}
    graphs_after = _graphs(tmp_path / "out")

    old, new = before["02_analysis.md"], after["02_analysis.md"]
    assert old != new and before["01_wire_report.txt"] == after["01_wire_report.txt"]
    assert not any(old in g for g in graphs_after), "the old version's graph must be gone"
    assert any(new in g for g in graphs_after)
    unchanged = next(g for g in graphs_before if before["01_wire_report.txt"] in g)
    assert graphs_after[unchanged] == graphs_before[unchanged]


def test_lineage_and_its_origins_follow_the_articles_of_each_run(tmp_path: Path) -> None:
    """The digest copies the wire report: removed, their link and group go; back, they return."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("01_wire_report.txt", "07_digest.txt", "02_analysis.md"):
        (corpus / name).write_text((EXAMPLES / name).read_text())
    lineage = f"{Settings().base_iri}graph/lineage"

    def origins() -> set[tuple[str, str]]:
        rows = open_store(tmp_path / "out" / "store").query(
            f"""PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
            PREFIX dcterms: <http://purl.org/dc/terms/>
            SELECT ?article ?origin WHERE {{
              GRAPH <{lineage}> {{ ?a ckg:lineageOrigin ?o }}
              ?a dcterms:identifier ?article . ?o dcterms:identifier ?origin }}""",
            use_default_graph_as_union=True,
        )
        return {(row["article"].value, row["origin"].value) for row in rows}  # type: ignore[union-attr]

    group = {("01_wire_report.txt", "01_wire_report.txt"), ("07_digest.txt", "01_wire_report.txt")}
    run_pipeline([corpus], tmp_path / "out", Settings())
    assert origins() == group
    digest = (corpus / "07_digest.txt").read_text()
    (corpus / "07_digest.txt").unlink()
    run_pipeline([corpus], tmp_path / "out", Settings())
    assert origins() == set()
    assert lineage not in _graphs(tmp_path / "out")
    (corpus / "07_digest.txt").write_text(digest)
    run_pipeline([corpus], tmp_path / "out", Settings())
    assert origins() == group


def _graphs(out: Path) -> dict[str, set[str]]:
    """Named graph IRI -> its triples, as N-Triples lines."""
    found: dict[str, set[str]] = {}
    for quad in pyoxigraph.parse(path=str(out / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG):
        found.setdefault(str(quad.graph_name), set()).add(str(quad.triple))
    return found


def test_a_runs_shacl_results_reach_validation_ttl_and_run_json(tmp_path, monkeypatch):
    from rdflib import Literal, URIRef

    from etl.validate import validate_graph

    anchor = URIRef("https://w3id.org/conflict-kg/ontology#anchorOf")

    def with_a_broken_anchor(graph):  # as if extraction had written a wrong anchor
        mention = sorted(graph.subjects(anchor, None))[0]
        graph.set((mention, anchor, Literal("not the slice")))
        return validate_graph(graph)

    monkeypatch.setattr("etl.work.validate_graph", with_a_broken_anchor)
    sources = [EXAMPLES / "01_wire_report.txt", EXAMPLES / "02_analysis.md"]
    report = run_pipeline(sources, tmp_path, Settings(workers=1))
    assert not report.validation.conforms
    serious = [v for v in report.validation.violations if v.severity == "Violation"]
    assert len({v.focus.split("/mention/")[0] for v in serious}) == 2  # one in each article

    validation = pyoxigraph.Store()
    validation.load(path=str(tmp_path / "validation.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    focus = validation.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?focus WHERE { "
        "?report a sh:ValidationReport ; sh:conforms false ; sh:result ?r . "
        "?r sh:resultSeverity sh:Violation ; sh:focusNode ?focus }"
    )
    assert {row[0].value for row in focus} == {v.focus for v in serious}
    assert json.loads((tmp_path / "run.json").read_text())["conforms"] is False


def test_run_records_wait_on_disk_and_come_back_whole_and_in_order() -> None:
    spool = RecordSpool()
    first = InputRecord("b.txt", "ok", path="/in/b.txt", sha256="b" * 64, counts={"claims": 3})
    second = InputRecord("a.txt", "failed", "not UTF-8 at byte 12", path="/in/a.txt")
    spool.append(first)
    spool.append(second)
    assert len(spool) == 2 and spool.read() == [first, second]
    third = InputRecord("c.txt", "skipped", "same text as b.txt", reused=True)
    spool.append(third)  # a read leaves the spool open for more
    assert spool.read() == [first, second, third]
    spool.close()


def test_a_runs_articles_wait_in_the_manifest_beside_the_last_runs(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.start_run(previous=True)
    for name in ("a", "b", "c"):
        manifest.accept(f"{name}.txt", f"key-{name}", f"graph-{name}")
    manifest.record_run({"fingerprint": "f"})
    manifest.close()

    manifest = Manifest(tmp_path)  # the next run: a kept, b changed, c gone, d new
    manifest.start_run(previous=True)
    assert manifest.in_last_run("a.txt") == InStore("key-a", "graph-a")
    assert manifest.in_last_run("d.txt") is None
    assert manifest.graph_in_last_run("graph-c") and not manifest.graph_in_last_run("graph-d")
    manifest.accept("a.txt", "key-a", "graph-a")
    manifest.accept("b.txt", "key-b2", "graph-b2")
    manifest.accept("d.txt", "key-d", "graph-d")
    assert manifest.accepted() == 3
    assert manifest.changes() == (["c.txt"], ["b.txt"], ["graph-b", "graph-c"])
    manifest.record_run({"fingerprint": "f"})
    assert in_store(tmp_path) == {
        "a.txt": InStore("key-a", "graph-a"),
        "b.txt": InStore("key-b2", "graph-b2"),
        "d.txt": InStore("key-d", "graph-d"),
    }
    manifest.start_run(previous=False)  # another setting, or the store lost: nothing is kept
    assert manifest.in_last_run("a.txt") is None and not manifest.graph_in_last_run("graph-a")
    assert manifest.changes() == ([], [], []) and manifest.accepted() == 0
    manifest.close()


def test_progress_names_each_step_after_the_articles(tmp_path: Path) -> None:
    """The minutes after the last article are not silent; a run with nothing new skips the
    steps that would redo work."""
    source = EXAMPLES / "01_wire_report.txt"
    calls: list[tuple[str, int, int]] = []
    run_pipeline([source], tmp_path, Settings(), lambda *call: calls.append(call))
    assert calls[0] == ("articles", 0, 1) and ("articles", 1, 1) in calls
    after = calls[calls.index(("articles", 1, 1)) :]
    steps = [call for call in after if call[0] != "articles"]
    assert steps == [
        (step, done, 1) for step in ("entities", "lineage", "exports") for done in (0, 1)
    ]

    calls.clear()
    run_pipeline([source], tmp_path, Settings(), lambda *call: calls.append(call))
    assert [call for call in calls if call[0] != "articles"] == [
        ("entities", 0, 1),
        ("entities", 1, 1),
    ]


def test_two_folders_sharing_a_file_name_stay_two_articles_across_runs(tmp_path: Path) -> None:
    """One identifier for both made every run extract one of them again."""
    for folder, name in (("a", "01_wire_report.txt"), ("b", "02_analysis.md")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text((EXAMPLES / name).read_text())
    sources, out = [tmp_path / "a", tmp_path / "b"], tmp_path / "out"
    first = run_pipeline(sources, out, Settings())
    assert len({r.identifier for r in first.inputs if r.status == "ok"}) == 2
    second = run_pipeline(sources, out, Settings())
    assert second.incremental["extracted"] == 0 and second.incremental["reused"] == 2
    # alone, b's file is known by its name again: a's article leaves the store, b's stays
    third = run_pipeline([tmp_path / "b"], out, Settings())
    assert [(r.identifier, r.status) for r in third.inputs] == [("report.txt", "ok")]
    b_sha = next(r.sha256 for r in first.inputs if "b" in Path(r.identifier).parts)
    articles = [graph for graph in _graphs(out) if "/article/" in graph]
    assert len(articles) == 1 and b_sha in articles[0]
