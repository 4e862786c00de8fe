"""Runs at scale: worker processes, Dask, incremental runs, the synthetic corpus generator.

The corpus is a handful of generated dispatches, cut into chunks of two articles
so that every engine really spreads the work over several tasks.
"""

from __future__ import annotations

import fcntl
import importlib.util
import itertools
import json
import shutil
import sqlite3
import subprocess
import sys
import zlib
from argparse import Namespace
from pathlib import Path

import pyoxigraph
import pytest

from etl.config import Settings
from etl.errors import ConfigError, StoreError
from etl.manifest import MANIFEST_FILE, article_key
from etl.model import Document, Entity, EntityKind, Extraction, Mention
from etl.pipeline import run_pipeline
from etl.resolve import EntityTally, resolve_entities, resolve_tally
from etl.resources import files_fingerprint, graph_code_fingerprint
from etl.store import compact, open_store

from .conftest import ROOT

ARTICLES = 6
MODEL = ("en_core_web_sm", "3.8.0")


def _bench_module(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _bench_module("make_corpus")
trace_run = _bench_module("trace_run")


def sorted_nquads(out: Path) -> bytes:
    store = open_store(out / "store")
    data = store.dump(format=pyoxigraph.RdfFormat.N_QUADS) or b""
    return b"".join(sorted(data.splitlines(keepends=True)))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus.write_corpus(folder, ARTICLES, seed=3)
    return folder


@pytest.fixture(scope="session")
def one_worker_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-worker")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("etl.pipeline.CHUNK_ARTICLES", 2)
        report = run_pipeline([corpus], out, Settings(workers=1))
    assert report.totals()["ok"] == ARTICLES
    return out


# -- the corpus generator ------------------------------------------------------------


def test_generated_articles_are_deterministic_and_varied():
    texts = [make_corpus.article(7, i) for i in range(200)]
    assert texts[:5] == [make_corpus.article(7, i) for i in range(5)]
    assert make_corpus.article(8, 0) != texts[0]
    lengths = [len(text.split()) for text in texts]
    assert min(lengths) >= make_corpus.MIN_WORDS
    assert max(lengths) <= make_corpus.MAX_WORDS + 60  # the last sentence may run over
    assert max(lengths) - min(lengths) > 500
    joined = "\n".join(texts)
    for phrase in ("at least", "more than", "said", "square kilometres", "Oblast"):
        assert phrase in joined


def test_generated_officers_are_shared_only_by_follow_ups():
    """Lineage should link a follow-up to the article before it and nothing else: an
    officer quoted in two articles is one a follow-up took from the article before."""
    casts = [make_corpus.article_cast(7, i) for i in range(400)]
    holders: dict[str, list[int]] = {}
    for index, cast in enumerate(casts):
        for officer in cast:
            holders.setdefault(officer, []).append(index)
    shared = [indexes for indexes in holders.values() if len(indexes) > 1]
    follow_ups = [i for i in range(1, 400) if casts[i][0] == casts[i - 1][0]]
    assert 30 <= len(follow_ups) <= 90  # FOLLOW_UP of 15%, give or take
    for indexes in shared:
        assert all(b - a == 1 and b in follow_ups for a, b in itertools.pairwise(indexes))
    borrowed_quoted = [casts[i][0].rstrip(",") in make_corpus.article(7, i) for i in follow_ups]
    assert sum(borrowed_quoted) >= 0.8 * len(follow_ups)


def test_written_corpus_holds_one_file_per_article(corpus):
    files = sorted(corpus.rglob("*.txt"))
    assert len(files) == ARTICLES
    assert files[0].read_text(encoding="utf-8") == make_corpus.article(3, 0)


# -- engines give the same bytes -----------------------------------------------------


def test_worker_processes_give_the_same_graph_as_one_process(corpus, one_worker_run, tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("etl.pipeline.CHUNK_ARTICLES", 2)
        report = run_pipeline([corpus], tmp_path, Settings(workers=2))
    assert report.validation.conforms, report.validation.text()
    assert sorted_nquads(tmp_path) == sorted_nquads(one_worker_run)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["settings"]["workers"] == 2
    assert run["totals"]["ok"] == ARTICLES and run["words"] > ARTICLES * 200


def test_a_script_without_a_main_guard_is_told_why_its_workers_stopped(corpus, tmp_path):
    """Each worker imports the script again and dies running it; the error says so."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "import etl.pipeline\n"
        "from etl.config import Settings\n"
        "etl.pipeline.CHUNK_ARTICLES = 2\n"
        f"etl.pipeline.run_pipeline([Path({str(corpus)!r})], Path({str(tmp_path / 'out')!r}),"
        " Settings(workers=2))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert 'under `if __name__ == "__main__":`' in done.stderr.splitlines()[-1]


def test_dask_local_cluster_gives_the_same_graph(corpus, one_worker_run, tmp_path):
    pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("etl.pipeline.CHUNK_ARTICLES", 2)
        report = run_pipeline([corpus], tmp_path, Settings(engine="dask", workers=2))
    assert report.totals()["ok"] == ARTICLES
    assert sorted_nquads(tmp_path) == sorted_nquads(one_worker_run)


def test_a_traced_run_samples_memory_against_articles_done(corpus, tmp_path):
    out, trace = tmp_path / "out", tmp_path / "trace.csv"
    assert trace_run.trace_run(corpus, out, trace, workers=1, every=0.2) == 0
    assert json.loads((out / "run.json").read_text())["totals"]["ok"] == ARTICLES
    again = trace_run.trace_run(corpus, out, trace, workers=1, every=0.2)  # a second part
    assert again == 0
    rows = trace.read_text().splitlines()
    assert rows[0] == ",".join(trace_run.FIELDS)
    parts = {int(row.split(",")[0]) for row in rows[1:]}
    assert parts == {1, 2}
    samples = [dict(zip(trace_run.FIELDS, row.split(","), strict=True)) for row in rows[1:]]
    assert max(int(s["rss_bytes"]) for s in samples) > 100 * 2**20  # the model is loaded
    # one worker: the run extracts in its own process, so the parent holds the model
    assert max(int(s["parent_rss_bytes"]) for s in samples) > 100 * 2**20
    assert all(
        int(s["rss_bytes"]) >= int(s["parent_rss_bytes"]) + int(s["worker_rss_bytes"])
        for s in samples
    )
    summary = trace_run.summary(trace)
    assert f"up to {ARTICLES:,} articles" in summary and "median RSS" in summary


def test_a_trace_summary_gives_the_peak_per_tenth_of_the_articles(tmp_path):
    trace = tmp_path / "trace.csv"
    lines = [",".join(trace_run.FIELDS)]
    sizes = "{total},3,{parent},{worker}"
    lines += [
        f"1,{n},{n * 10}," + sizes.format(total=(1 + n % 3) * 2**30, parent=n * 2**24, worker=2**29)
        for n in range(1, 101)
    ]
    trace.write_text("\n".join(lines) + "\n")
    summary = trace_run.summary(trace).splitlines()
    assert summary[0].endswith("100 samples, up to 1,000 articles")
    tenths = summary[2:12]
    assert [line.split()[0] for line in tenths] == [f"{n * 100:,}" for n in range(1, 11)]
    assert all(line.split()[1] == "3.00" for line in tenths)
    # the parent's peak is its last sample in each tenth: 10 * 2**24 bytes per tenth
    assert [line.split()[2] for line in tenths] == [f"{n * 10 / 64:.2f}" for n in range(1, 11)]
    assert all(line.split()[3] == "0.50" for line in tenths)


def test_a_trace_from_before_the_parent_and_worker_columns_still_sums_up(tmp_path):
    trace = tmp_path / "trace.csv"
    lines = ["part,seconds,articles,rss_bytes,processes"]
    lines += [f"1,{n},{n * 10},{2**30},3" for n in range(1, 101)]
    trace.write_text("\n".join(lines) + "\n")
    tenths = trace_run.summary(trace).splitlines()[2:12]
    assert all(line.split()[1:] == ["1.00", "-", "-"] for line in tenths)


def test_the_query_benchmark_runs_a_question_with_its_parameters(one_worker_run):
    bench_run = _bench_module("run")
    every = bench_run.child_query(one_worker_run, "speakers", 60)
    nobody = bench_run.child_query(one_worker_run, "speakers", 60, json.dumps({"speaker": "zz"}))
    assert every["rows"] > 0 and nobody["rows"] == 0
    assert isinstance(every["seconds"], float)


def test_the_narrowed_questions_table_shows_each_beside_its_listing():
    bench_run = _bench_module("run")
    slow = {"seconds": "> 60 s (one run: 70.0 s)", "rows": 3}
    narrowed = [{"seconds": 0.5, "rows": 10}] * (len(bench_run.NARROWED) - 1) + [slow]
    listings = {name: {"seconds": 2.0, "rows": 100} for name, _ in bench_run.NARROWED}
    table = bench_run._narrowed_table(Namespace(query_limit=60), narrowed, listings)
    name, values = bench_run.NARROWED[0]
    given = ", ".join(f"{k}={v!r}" for k, v in values.items())
    assert f"| {name} | {given} | 10 | 500.0 | 2000.0 |" in table
    assert table[-1] == f"Narrowed questions under 1 s: {len(narrowed) - 1} of {len(narrowed)}."
    assert any("> 60 s (one run: 70.0 s)" in line for line in table)


def test_every_named_query_gives_the_same_rows_in_rdflib_as_in_oxigraph(examples_run):
    from etl.queries import named_queries, run_query

    engine = _bench_module("rdflib_engine")
    out, _ = examples_run
    store, dataset = open_store(out / "store"), engine.load_dataset(out / "graph.trig")
    for name, query in named_queries().items():
        oxigraph = list(engine.oxigraph_rows(run_query(store, query)))
        rdflib = engine.answer(dataset, query)
        assert oxigraph, name  # the examples give every named query something to say
        assert sorted(rdflib) == sorted(oxigraph), name
        assert engine.rows_digest(rdflib) == engine.rows_digest(reversed(oxigraph)), name
        assert engine.rows_digest(rdflib) != engine.rows_digest(oxigraph[1:]), name


def test_the_rdflib_fixes_sort_no_value_first_and_skip_it_in_distinct_aggregates():
    from rdflib import Dataset, Literal, URIRef

    engine = _bench_module("rdflib_engine")
    dataset = Dataset(default_union=True)
    for subject, label in [("urn:b", "B"), ("urn:a", None), ("urn:c", "C")]:
        dataset.add((URIRef(subject), URIRef("urn:type"), URIRef("urn:Thing")))
        if label:
            dataset.add((URIRef(subject), URIRef("urn:label"), Literal(label)))
    ordered = "SELECT ?s WHERE { ?s <urn:type> ?t OPTIONAL { ?s <urn:label> ?l } } ORDER BY STR(?l)"
    grouped = (
        "SELECT (GROUP_CONCAT(DISTINCT ?l; SEPARATOR=',') AS ?ls) "
        "WHERE { ?s <urn:type> ?t OPTIONAL { ?s <urn:label> ?l } }"
    )
    from rdflib.plugins.sparql import aggregates, evaluate

    sort_key, use_row = evaluate._val, aggregates.Accumulator.use_row
    with engine.sparql_fixes():
        order = [str(row[0]) for row in dataset.query(ordered)]
        labels = {str(row[0]) for row in dataset.query(grouped)}
    assert order == ["urn:a", "urn:b", "urn:c"]
    assert labels in ({"B,C"}, {"C,B"})
    # and rdflib's own functions are back once the block ends
    assert evaluate._val is sort_key and aggregates.Accumulator.use_row is use_row


def test_the_query_table_shows_the_ratio_a_lower_bound_and_whether_rows_agree():
    bench_run = _bench_module("run")
    oxigraph = {
        "quick": {"seconds": 0.01, "rows": 3, "digest": "abc"},
        "slow": {"seconds": 0.5, "rows": 9, "digest": "def"},
        "wrong": {"seconds": 0.02, "rows": 4, "digest": "123"},
    }
    rdflib = {
        "parse_seconds": 1.0,
        "queries": {"quick": 2.0, "slow": f"> {bench_run.RDFLIB_QUERY_LIMIT} s", "wrong": 0.2},
        "digests": {"quick": "abc", "wrong": "456"},
    }
    table = bench_run._query_table("tiny", Namespace(query_limit=60), 100, oxigraph, rdflib)
    limit = bench_run.RDFLIB_QUERY_LIMIT
    assert "| quick | 3 | 10.0 | 2000 | 200x | yes |" in table
    assert f"| slow | 9 | 500.0 | > {limit} s | > {limit * 2}x |  |" in table
    assert "| wrong | 4 | 20.0 | 200 | 10x | **no** |" in table


def test_the_profile_summary_counts_each_step_once_per_sample():
    spy_summary = _bench_module("spy_summary")
    pipe = "Language.pipe (/x/site-packages/spacy/language.py:1)"
    shacl = "validate_graph (/x/etl/validate.py:2)"
    raw = "\n".join(
        [
            f"main (run.py:1);{pipe};{pipe} 3",  # recursion counts once per sample
            f"main (run.py:1);{shacl} 1",
            "main (run.py:1) 4",
        ]
    )
    steps = spy_summary.summarise(raw).split("steps of the run (inclusive)")[1]
    assert "  37.5%  spaCy nlp.pipe" in steps
    assert "  12.5%  SHACL" in steps
    assert "   0.0%  extraction rules" in steps


def test_the_benchmarks_questions_name_queries_and_parameters_that_exist():
    from etl.queries import bindings, named_queries

    queries = named_queries()
    for name, values in _bench_module("run").NARROWED:
        assert values and bindings(queries[name], values)  # raises on an unknown parameter


# -- incremental runs ----------------------------------------------------------------


def _graphs(out: Path) -> set[str]:
    store = open_store(out / "store")
    return {str(g.value) for g in store.named_graphs()}  # type: ignore[union-attr]


def test_incremental_runs_redo_only_what_changed(corpus, one_worker_run, tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(corpus, inputs)
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)  # the output of a run over the same files

    unchanged = run_pipeline([inputs], out, Settings(workers=1))
    assert unchanged.incremental["extracted"] == 0
    assert unchanged.incremental["reused"] == ARTICLES
    assert unchanged.incremental["store_changed"] is False
    assert all(r.reused for r in unchanged.inputs)
    assert (out / "graph.trig").read_bytes() == (one_worker_run / "graph.trig").read_bytes()
    assert json.loads((out / "run.json").read_text())["totals"]["reused"] == ARTICLES

    files = sorted(inputs.rglob("*.txt"))
    before = _graphs(out)
    files[0].write_text(files[0].read_text() + "About 40 soldiers were wounded near Kupiansk.\n")
    files[1].unlink()
    changed = run_pipeline([inputs], out, Settings(workers=1))
    assert changed.incremental["extracted"] == 1
    assert changed.incremental["reused"] == ARTICLES - 2
    assert changed.incremental["removed"] == [files[1].relative_to(inputs).as_posix()]
    assert changed.incremental["replaced"] == [files[0].relative_to(inputs).as_posix()]
    after = _graphs(out)
    assert len(before - after) == 2 and len(after - before) == 1  # two graphs gone, one new

    fresh = tmp_path / "fresh"
    run_pipeline([inputs], fresh, Settings(workers=1))
    assert sorted_nquads(out) == sorted_nquads(fresh)


def test_a_run_compacts_a_store_it_filled_not_one_it_touched(
    corpus, one_worker_run, tmp_path, monkeypatch
):
    import etl.pipeline

    compacted: list[pyoxigraph.Store] = []

    def compact_and_count(store):
        compacted.append(store)
        compact(store)

    monkeypatch.setattr(etl.pipeline, "compact", compact_and_count)
    monkeypatch.setattr(etl.pipeline, "COMPACT_SHARE", 0.5)
    inputs = tmp_path / "in"
    shutil.copytree(corpus, inputs)
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)

    run_pipeline([inputs], out, Settings(workers=1))
    assert compacted == []  # nothing changed: the store is not touched

    files = sorted(inputs.rglob("*.txt"))
    files[0].write_text(files[0].read_text() + "About 40 soldiers were wounded near Kupiansk.\n")
    touched = run_pipeline([inputs], out, Settings(workers=1))
    assert touched.incremental["extracted"] == 1
    assert compacted == []  # one article of six is under the share: left to RocksDB

    fresh = tmp_path / "fresh"
    run_pipeline([inputs], fresh, Settings(workers=1))
    assert len(compacted) == 1
    exported = pyoxigraph.Store()
    exported.bulk_load(path=str(fresh / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG)
    lines = (exported.dump(format=pyoxigraph.RdfFormat.N_QUADS) or b"").splitlines(keepends=True)
    assert sorted_nquads(fresh) == b"".join(sorted(lines))  # compacted, the same quads


def test_changed_settings_extract_everything_again(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    report = run_pipeline([corpus], out, Settings(workers=1, include_text=False))
    assert report.incremental["extracted"] == ARTICLES and report.incremental["reused"] == 0
    texts = open_store(out / "store").query(
        "ASK { GRAPH ?g { ?a <https://w3id.org/conflict-kg/ontology#text> ?t } }"
    )
    assert not bool(texts)


def _stored_nquads(out: Path) -> list[bytes]:
    with sqlite3.connect(out / MANIFEST_FILE) as db:
        return [bytes(row[0]) for row in db.execute("SELECT nquads FROM articles ORDER BY key")]


def test_a_lost_store_is_rebuilt_from_the_compressed_manifest(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    stored = _stored_nquads(out)
    assert len(stored) == ARTICLES
    for blob in stored:  # N-Quads repeat their IRIs: compressed, they take a fraction
        plain = zlib.decompress(blob)
        assert plain.startswith(b"<") and len(blob) * 5 < len(plain)

    shutil.rmtree(out / "store")
    report = run_pipeline([corpus], out, Settings(workers=1))
    assert report.incremental["extracted"] == 0
    assert report.incremental["reloaded_from_manifest"] == ARTICLES
    assert sorted_nquads(out) == sorted_nquads(one_worker_run)


def test_a_run_stopped_part_way_goes_on_where_it_stopped(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"

    def stop_after_two(stage: str, done: int, total: int) -> None:
        if stage == "articles" and done >= 2:
            raise KeyboardInterrupt  # as Ctrl-C would, after the first chunk

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("etl.pipeline.CHUNK_ARTICLES", 2)
        with pytest.raises(KeyboardInterrupt):
            run_pipeline([corpus], out, Settings(workers=1), stop_after_two)
    assert not (out / "run.json").exists() and len(_stored_nquads(out)) >= 2

    report = run_pipeline([corpus], out, Settings(workers=1))
    done_before = report.incremental["reloaded_from_manifest"]
    assert done_before >= 2
    assert report.incremental["extracted"] == ARTICLES - done_before
    assert sorted_nquads(out) == sorted_nquads(one_worker_run)


def test_a_manifest_of_plain_nquads_is_compressed_when_opened(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    with sqlite3.connect(out / MANIFEST_FILE) as db:  # as a version before compression wrote it
        db.create_function("decompress", 1, zlib.decompress)
        db.execute("UPDATE articles SET nquads = decompress(nquads)")
        db.execute("DELETE FROM meta WHERE name = 'nquads_encoding'")
    shutil.rmtree(out / "store")
    report = run_pipeline([corpus], out, Settings(workers=1))
    assert report.incremental["reloaded_from_manifest"] == ARTICLES
    assert sorted_nquads(out) == sorted_nquads(one_worker_run)
    assert _stored_nquads(out) == _stored_nquads(one_worker_run)


def test_a_damaged_manifest_row_is_extracted_again(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    with sqlite3.connect(out / MANIFEST_FILE) as db:
        db.execute("UPDATE articles SET nquads = x'00' WHERE key = (SELECT MIN(key) FROM articles)")
    shutil.rmtree(out / "store")
    report = run_pipeline([corpus], out, Settings(workers=1))
    assert report.incremental["extracted"] == 1
    assert report.incremental["reloaded_from_manifest"] == ARTICLES - 1
    assert sorted_nquads(out) == sorted_nquads(one_worker_run)


def test_a_reader_of_the_manifest_does_not_stop_a_run(corpus, one_worker_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    reader = sqlite3.connect(out / MANIFEST_FILE)  # a viewer or a script, part way through
    reader.execute("BEGIN")
    assert reader.execute("SELECT key FROM articles").fetchone()
    try:  # new settings: every article is extracted and committed again
        report = run_pipeline([corpus], out, Settings(workers=1, include_text=False))
    finally:
        reader.close()
    assert report.incremental["extracted"] == ARTICLES
    assert len(_stored_nquads(out)) == ARTICLES


def test_a_manifest_another_writer_holds_stops_the_run_with_its_name(
    corpus, one_worker_run, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    before = (out / "graph.trig").read_bytes()
    monkeypatch.setattr("etl.manifest._BUSY_SECONDS", 0.1)
    writer = sqlite3.connect(out / MANIFEST_FILE, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"manifest\.sqlite: cannot write the run manifest"):
            run_pipeline([corpus], out, Settings(workers=1, include_text=False))
    finally:
        writer.close()
    assert (out / "graph.trig").read_bytes() == before  # the last run's outputs are intact


def test_a_second_run_into_a_folder_in_use_stops_and_leaves_it_alone(
    corpus, one_worker_run, tmp_path
):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)

    def outputs() -> dict[str, bytes]:
        files = [p for p in out.iterdir() if p.is_file() and p.suffix != ".lock"]
        return {p.name: p.read_bytes() for p in files}

    before = outputs()
    with open(out / ".run.lock", "a+") as held:  # as the first run holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        held.truncate(0)
        held.write("4242\n")
        held.flush()
        with pytest.raises(StoreError, match=r"another ckg run \(process 4242\)"):
            run_pipeline([corpus], out, Settings(workers=1, include_text=False))
    assert outputs() == before
    report = run_pipeline([corpus], out, Settings(workers=1))  # the lock is free again
    assert report.incremental["reused"] == ARTICLES


def test_an_output_folder_that_cannot_be_written_stops_the_run_with_its_name(corpus, tmp_path):
    out = tmp_path / "out"
    (out / ".run.lock").mkdir(parents=True)  # the lock cannot be opened as a file
    with pytest.raises(StoreError, match=r"out: cannot write to the output folder"):
        run_pipeline([corpus], out, Settings(workers=1))


# -- the pieces ----------------------------------------------------------------------


def _document(text: str, identifier: str = "a.txt") -> Document:
    return Document(id=str(hash(text)), identifier=identifier, text=text, regions=((0, len(text)),))


def test_article_key_follows_content_and_settings_not_location():
    document = _document("Troops advanced.")
    key = article_key(document, Settings(), MODEL)
    moved = Document(**{**document.__dict__, "path": "/elsewhere/a.txt"})
    assert article_key(moved, Settings(), MODEL) == key
    assert article_key(document, Settings(workers=2, batch_size=8), MODEL) == key
    assert article_key(document, Settings(include_text=False), MODEL) != key
    assert article_key(_document("Troops withdrew."), Settings(), MODEL) != key
    assert article_key(document, Settings(), (MODEL[0], "3.9.0")) != key


def test_article_key_follows_the_rules_that_make_the_graph(monkeypatch):
    document = _document("Troops advanced.")
    key = article_key(document, Settings(), MODEL)
    monkeypatch.setattr("etl.manifest.graph_code_fingerprint", lambda: "edited shapes")
    assert article_key(document, Settings(), MODEL) != key


def test_files_fingerprint_changes_with_any_file(tmp_path):
    shapes, gazetteer = tmp_path / "shapes.ttl", tmp_path / "gazetteer.ttl"
    shapes.write_text("a")
    gazetteer.write_text("b")
    before = files_fingerprint([shapes, gazetteer])
    assert files_fingerprint([shapes, gazetteer]) == before
    shapes.write_text("a ")
    assert files_fingerprint([shapes, gazetteer]) != before
    assert len(graph_code_fingerprint()) == 64


def test_edited_rules_extract_everything_again(corpus, one_worker_run, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(one_worker_run, out)
    monkeypatch.setattr("etl.manifest.graph_code_fingerprint", lambda: "edited shapes")
    report = run_pipeline([corpus], out, Settings(workers=1))
    assert report.incremental["extracted"] == ARTICLES and report.incremental["reused"] == 0
    assert sorted_nquads(out) == sorted_nquads(one_worker_run)  # the same rules really


def _extraction(label: str, surface: str) -> Extraction:
    entity = Entity("person/ivan-petrenko", EntityKind.PERSON, label)
    mention = Mention(0, len(surface), surface, entity.key)
    return Extraction(document=_document(surface), mentions=(mention,), entities=(entity,))


def test_entity_resolution_does_not_depend_on_article_order():
    extractions = [
        _extraction("Ivan Petrenko", "Ivan Petrenko"),
        _extraction("Petrenko", "Petrenko"),
        _extraction("Ivan Petrenko", "Ivan Petrenko"),
    ]
    forward = resolve_entities(extractions)
    backward = resolve_entities(reversed(extractions))
    assert forward == backward
    entity = forward["person/ivan-petrenko"]
    assert entity.label == "Ivan Petrenko" and entity.alt_labels == {"Petrenko"}


def test_entity_tally_survives_the_manifest_round_trip():
    tally = EntityTally.of(_extraction("Ivan Petrenko", "Petrenko"))
    again = EntityTally.from_json(json.loads(json.dumps(tally.as_json())))
    assert resolve_tally(again) == resolve_tally(tally)


def test_engine_settings_are_checked():
    with pytest.raises(ConfigError, match="workers"):
        Settings(workers=-1)
    with pytest.raises(ConfigError, match="engine"):
        Settings(engine="spark")
    with pytest.raises(ConfigError, match="dask"):
        Settings(scheduler="tcp://127.0.0.1:8786")
    assert Settings(workers=4).fingerprint() == Settings().fingerprint()


def test_run_command_offers_the_engine_options_and_checks_them(tmp_path):
    from typer.testing import CliRunner

    from etl.cli import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["run", "--help"]).output
    for option in ("--workers", "--engine", "--scheduler"):
        assert option in help_text
    result = runner.invoke(
        app, ["run", "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 2
    assert "dask" in result.output
    assert not (tmp_path / "run.json").exists()


def test_engines_keep_a_bounded_number_of_chunks_in_flight():
    from concurrent.futures import Future

    from etl.engines import _bounded

    pulled, answered = [], []

    def chunks():  # type: ignore[no-untyped-def]
        for number in range(20):
            pulled.append(number)
            yield [number]

    def submit(chunk):  # type: ignore[no-untyped-def]
        future: Future[list[int]] = Future()
        future.set_result(chunk)
        return future

    for result in _bounded(submit, chunks(), limit=3):
        answered.append(result[0])
        assert len(pulled) - len(answered) <= 3  # never more than `limit` chunks read ahead
    assert answered == list(range(20))  # and results come back in order
