"""The `ckg` commands: help, exit codes, formats, and that the README documents them."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pyoxigraph
import pytest
from typer.testing import CliRunner

from etl.cli import app

from .conftest import EXAMPLES, ROOT

runner = CliRunner()
COMMANDS = ["run", "extract", "validate", "query", "queries", "export"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"`ckg {command}\b", readme), f"README does not document `ckg {command}`"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and re.search(r"conflict-kg \d+\.\d+", result.output)


def test_queries_lists_every_named_query_with_a_description():
    result = runner.invoke(app, ["queries"])
    assert result.exit_code == 0
    for path in (ROOT / "queries").glob("*.rq"):
        assert path.stem in result.output


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_query_formats(examples_run, fmt):
    out, _ = examples_run
    result = runner.invoke(
        app,
        [
            "query",
            "troop-figures",
            "--format",
            fmt,
            "--store",
            str(out / "store"),
            "-p",
            "subject=korean",
        ],
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert rows and {"article", "value", "qualifier"} <= set(rows[0])
        assert any(r["value"] == "15000" for r in rows)
    elif fmt == "json":
        data = json.loads(result.output)
        assert data["results"]["bindings"]
    elif fmt == "tsv":
        assert result.output.splitlines()[0].startswith("?article")
    else:
        assert "row(s)" in result.output


def test_a_long_table_shows_its_first_rows_and_counts_the_rest(examples_run):
    out, _ = examples_run
    command = ["query", "speakers", "--store", str(out / "store")]
    every = list(csv.DictReader(io.StringIO(runner.invoke(app, [*command, "-f", "csv"]).output)))
    assert len(every) > 3
    cut = runner.invoke(app, [*command, "--max-rows", "2"])
    assert cut.exit_code == 0, cut.output
    assert f"{len(every):,} row(s), the first 2 shown" in cut.output
    whole = runner.invoke(app, [*command, "--max-rows", "0"])
    assert f"{len(every):,} row(s)" in whole.output and "shown" not in whole.output
    assert len(cut.output.splitlines()) < len(whole.output.splitlines())


def test_query_construct_as_turtle(examples_run):
    out, _ = examples_run
    result = runner.invoke(
        app, ["query", "figure-evidence", "--format", "ttl", "--store", str(out / "store")]
    )
    assert result.exit_code == 0, result.output
    triples = list(pyoxigraph.parse(result.output.encode(), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) > 50


def test_query_inline_text_and_errors(examples_run):
    out, _ = examples_run
    store = ["--store", str(out / "store")]
    ok = runner.invoke(
        app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv", *store]
    )
    assert ok.exit_code == 0 and int(ok.output.splitlines()[1]) > 100
    bad = runner.invoke(app, ["query", "SELECT WHERE {", *store])
    assert bad.exit_code == 2 and "syntax" in bad.output.lower()
    unknown = runner.invoke(app, ["query", "no-such-query", *store])
    assert unknown.exit_code == 2 and "troop-figures" in unknown.output
    param = runner.invoke(app, ["query", "troop-figures", "-p", "nope=1", *store])
    assert param.exit_code == 2 and "no parameter nope" in param.output
    missing = runner.invoke(app, ["query", "troop-figures", "--store", str(out / "absent")])
    assert missing.exit_code == 2 and "no store" in missing.output


@pytest.mark.parametrize(
    ("fmt", "parse_as"),
    [
        ("ttl", pyoxigraph.RdfFormat.TURTLE),
        ("trig", pyoxigraph.RdfFormat.TRIG),
        ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
        ("nq", pyoxigraph.RdfFormat.N_QUADS),
        ("jsonld", pyoxigraph.RdfFormat.JSON_LD),
    ],
)
def test_export_formats_parse(examples_run, tmp_path, fmt, parse_as):
    out, _ = examples_run
    target = tmp_path / f"dump.{fmt}"
    result = runner.invoke(
        app, ["export", "--format", fmt, "--out", str(target), "--store", str(out / "store")]
    )
    assert result.exit_code == 0, result.output
    assert len(list(pyoxigraph.parse(path=str(target), format=parse_as))) > 100


@pytest.mark.parametrize("fmt", ["trig", "ttl", "jsonld"])
def test_streamed_exports_are_the_bytes_of_the_whole_serialisation(examples_run, tmp_path, fmt):
    from etl.export import PREFIX_MAP
    from etl.store import open_store

    out, _ = examples_run
    store = open_store(out / "store")
    rdf = pyoxigraph.RdfFormat
    if fmt == "ttl":  # the union of the graphs, serialised in one piece
        union = list(store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"))
        whole = pyoxigraph.serialize(union, format=rdf.TURTLE, prefixes=PREFIX_MAP)
    else:
        kind = {"trig": rdf.TRIG, "jsonld": rdf.JSON_LD}[fmt]
        whole = store.dump(format=kind, prefixes=PREFIX_MAP)
    target = tmp_path / f"dump.{fmt}"
    args = ["export", "-f", fmt, "--store", str(out / "store")]
    written = runner.invoke(app, [*args, "--out", str(target)])
    assert written.exit_code == 0, written.output
    printed = runner.invoke(app, args).stdout_bytes
    assert whole and target.read_bytes() == whole == printed
    assert f"wrote {len(whole):,} bytes" in written.output


def test_exports_written_side_by_side_are_the_bytes_of_each_one_alone(examples_run, tmp_path):
    from etl.export import write_export, write_exports
    from etl.store import open_store

    out, _ = examples_run
    store = open_store(out / "store")
    formats = ["trig", "ttl", "jsonld", "nq"]  # two dumped in threads, two in the caller
    write_exports(store, {tmp_path / f"together.{fmt}": fmt for fmt in formats})
    for fmt in formats:
        write_export(store, fmt, tmp_path / f"alone.{fmt}")
        together = (tmp_path / f"together.{fmt}").read_bytes()
        assert together and together == (tmp_path / f"alone.{fmt}").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


class _DumpFails:
    """A store whose own dumps fail (a full disk, say); every other call is the store's."""

    def __init__(self, store: pyoxigraph.Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def dump(self, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")


def test_a_dump_that_fails_in_its_thread_is_raised_and_leaves_no_file(examples_run, tmp_path):
    from etl.export import write_exports
    from etl.store import open_store

    out, _ = examples_run
    store = _DumpFails(open_store(out / "store"))
    with pytest.raises(OSError, match="No space left"):
        write_exports(store, {tmp_path / "graph.trig": "trig", tmp_path / "graph.ttl": "ttl"})
    # the ttl export, written in the caller, is whole; the failed dump left nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.ttl"]
    assert len(list(pyoxigraph.parse(path=str(tmp_path / "graph.ttl")))) > 100


def test_export_in_an_unknown_format_names_the_formats_and_writes_nothing(examples_run, tmp_path):
    out, _ = examples_run
    target = tmp_path / "new" / "dump.xml"
    args = ["export", "-f", "xml", "--store", str(out / "store"), "--out", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "unknown export format 'xml'" in result.output and "trig" in result.output
    assert not target.parent.exists()


def test_export_nq_is_sorted_and_stable(examples_run):
    out, _ = examples_run
    first = runner.invoke(app, ["export", "-f", "nq", "--store", str(out / "store")]).stdout_bytes
    second = runner.invoke(app, ["export", "-f", "nq", "--store", str(out / "store")]).stdout_bytes
    lines = first.splitlines()
    assert first == second and lines == sorted(lines)


@pytest.mark.parametrize("fmt", ["nq", "nt"])
def test_sorted_exports_merge_runs_sorted_on_disk(examples_run, monkeypatch, fmt):
    from etl.store import open_store

    out, _ = examples_run
    store = open_store(out / "store")
    if fmt == "nq":
        plain = store.dump(format=pyoxigraph.RdfFormat.N_QUADS) or b""
    else:
        union = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        plain = pyoxigraph.serialize(union, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""
    expected = b"".join(sorted(set(plain.splitlines(keepends=True))))
    monkeypatch.setattr("etl.export.SORT_RUN_BYTES", 4096)  # dozens of runs to merge,
    monkeypatch.setattr("etl.export.SORT_RUNS", 3)  # three at a time, in several passes
    args = ["export", "-f", fmt, "--store", str(out / "store")]
    assert runner.invoke(app, args).stdout_bytes == expected
    assert len(expected) > 40 * 4096


@pytest.mark.parametrize("fmt", ["ttl", "nt"])
def test_union_exports_of_a_triple_in_two_graphs_read_back_as_one_triple(tmp_path, fmt):
    from etl.export import write_export

    store = pyoxigraph.Store()
    said = (
        pyoxigraph.NamedNode("https://example.org/a"),
        pyoxigraph.NamedNode("https://example.org/p"),
        pyoxigraph.Literal("x"),
    )
    other = (said[0], said[1], pyoxigraph.Literal("y"))
    for graph, triple in [("g1", said), ("g2", said), ("g2", other)]:
        store.add(pyoxigraph.Quad(*triple, pyoxigraph.NamedNode(f"https://example.org/{graph}")))
    target = tmp_path / f"union.{fmt}"
    write_export(store, fmt, target)
    kind = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES}[fmt]
    read_back = {quad.triple for quad in pyoxigraph.parse(path=str(target), format=kind)}
    assert read_back == {pyoxigraph.Triple(*said), pyoxigraph.Triple(*other)}
    if fmt == "nt":  # sorted, without the repeat
        assert len(target.read_bytes().splitlines()) == 2


def test_validate_exit_codes(examples_run, tmp_path):
    out, _ = examples_run
    report = tmp_path / "report.ttl"
    good = runner.invoke(app, ["validate", str(out / "graph.trig"), "--report", str(report)])
    assert good.exit_code == 0 and "Conforms" in good.output
    assert report.stat().st_size > 0
    # Break one mention's anchor so it no longer equals the text between its offsets.
    broken = tmp_path / "broken.nq"
    lines = runner.invoke(app, ["export", "-f", "nq", "--store", str(out / "store")]).stdout
    lines = lines.splitlines()
    index = next(i for i, line in enumerate(lines) if "#anchorOf>" in line and "/mention/" in line)
    lines[index] = re.sub(r'"[^"]*"', '"not the text"', lines[index], count=1)
    broken.write_text("\n".join(lines) + "\n")
    bad_report = tmp_path / "bad-report.ttl"
    bad = runner.invoke(app, ["validate", str(broken), "--report", str(bad_report)])
    assert bad.exit_code == 1 and "violation" in bad.output.lower()
    merged = pyoxigraph.Store()
    merged.load(path=str(bad_report), format=pyoxigraph.RdfFormat.TURTLE)
    focus = merged.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?report ?focus WHERE { "
        "?report a sh:ValidationReport ; sh:conforms false ; sh:result ?r . "
        "?r sh:resultSeverity sh:Violation ; sh:focusNode ?focus }"
    )
    rows = [(row[0].value, row[1].value) for row in focus]
    assert len({report for report, _ in rows}) == 1  # every graph's results under one report
    assert any("/mention/" in node for _, node in rows)
    missing = runner.invoke(app, ["validate", str(tmp_path / "none.trig")])
    assert missing.exit_code == 2 and "none.trig" in missing.output


def test_run_exit_code_and_summary(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(EXAMPLES / "01_wire_report.txt", corpus)
    (corpus / "broken.jsonl").write_text("{not json}\n")
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 3, result.output  # completed, with a failed input
    assert "1 ok, 0 skipped, 1 failed" in result.output
    assert str(tmp_path / "out" / "graph.trig") in result.output


def test_run_of_many_inputs_lists_only_those_not_ok(tmp_path, monkeypatch):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("01_wire_report.txt", "02_analysis.md", "06_interview.txt"):
        shutil.copy(EXAMPLES / name, corpus)
    (corpus / "empty.txt").write_text("  \n")
    (corpus / "broken.jsonl").write_text("{not json}\n")
    command = ["run", str(corpus), "--out", str(tmp_path / "out"), "-q"]
    monkeypatch.setattr("etl.cli.TABLE_INPUTS", 4)
    result = runner.invoke(app, command)
    assert result.exit_code == 3, result.output  # completed, with a failed input
    assert "empty.txt" in result.output and "broken.jsonl" in result.output
    assert "02_analysis" not in result.output
    assert "5 inputs; the table shows the 2 not ok" in result.output
    assert "3 ok, 1 skipped, 1 failed" in result.output
    statuses = {r["identifier"]: r["status"] for r in _run_json(tmp_path / "out")["inputs"]}
    assert statuses["02_analysis.md"] == "ok" and statuses["empty.txt"] == "skipped"

    monkeypatch.setattr("etl.cli.TABLE_INPUTS", 1)
    fewer = runner.invoke(app, command)
    assert "5 inputs; the table shows the first 1 of the 2 not ok" in fewer.output
    assert ("empty.txt" in fewer.output) != ("broken.jsonl" in fewer.output)

    monkeypatch.setattr("etl.cli.TABLE_INPUTS", 10)
    every = runner.invoke(app, command)
    assert "02_analysis" in every.output and "the table shows" not in every.output

    (corpus / "empty.txt").unlink()
    (corpus / "broken.jsonl").unlink()
    monkeypatch.setattr("etl.cli.TABLE_INPUTS", 2)
    all_ok = runner.invoke(app, command)
    assert all_ok.exit_code == 0, all_ok.output
    assert "3 inputs; all ok (every input is in" in all_ok.output
    assert "conflict-kg run" not in all_ok.output  # no table at all


def _run_json(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


def test_extract_writes_trig_without_a_store(tmp_path):
    target = tmp_path / "graph.trig"
    result = runner.invoke(
        app, ["extract", str(EXAMPLES / "02_analysis.md"), "--out", str(target), "-q"]
    )
    assert result.exit_code == 0, result.output
    quads = list(pyoxigraph.parse(path=str(target), format=pyoxigraph.RdfFormat.TRIG))
    assert any(q.predicate.value.endswith("#measure") for q in quads)
    assert not (tmp_path / "store").exists()
    wrong = runner.invoke(
        app, ["extract", str(EXAMPLES / "02_analysis.md"), "--out", str(tmp_path / "graph.xml")]
    )
    assert wrong.exit_code == 2 and ".trig or .nq" in wrong.output


def test_no_text_leaves_the_article_text_out(tmp_path):
    result = runner.invoke(
        app,
        ["run", str(EXAMPLES / "01_wire_report.txt"), "--out", str(tmp_path), "--no-text", "-q"],
    )
    assert result.exit_code == 0, result.output
    predicates = {q.predicate.value for q in pyoxigraph.parse(path=str(tmp_path / "graph.trig"))}
    assert "https://w3id.org/conflict-kg/ontology#text" not in predicates
    assert "https://w3id.org/conflict-kg/ontology#anchorOf" in predicates


def test_readme_quickstart_is_two_commands():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quickstart, re.MULTILINE)
    assert commands == ["make run", "make test"]


def test_ci_calls_make_test():
    assert "make test" in Path(ROOT / ".ci" / "run").read_text()
