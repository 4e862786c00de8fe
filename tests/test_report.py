"""The HTML report (etl/report.py): content, evidence links, offline-ness, grouping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl import report as report_module
from etl.cli import app
from etl.pipeline import RunReport
from etl.report import Figure, build_report, classify, group_figures, marked_text
from etl.store import open_store


class _Page(HTMLParser):
    """Tags, ids, links and resource references of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: dict[str, list[str]] = {}  # id -> enclosing tags, outermost first
        self.hrefs: list[str] = []
        self.resources: list[str] = []  # src= and <link href=> values
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if values.get("id"):
            self.ids[str(values["id"])] = [*self.stack, tag]
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if values.get("src"):
            self.resources.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.resources.append(str(values["href"]))
        void = {"meta", "br", "img", "link", "input", "hr", "circle", "line", "path", "i"}
        if tag not in void:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def examples_html(examples_run: tuple[Path, RunReport]) -> str:
    out, _ = examples_run
    return (out / "report.html").read_text(encoding="utf-8")


def _figure(
    source: str, value: float, low: float | None, high: float | None, date: str = ""
) -> Figure:
    return Figure(
        id=f"{source}/{value}",
        anchor="a",
        article=source,
        source=source,
        date=date,
        measure="TroopCount",
        unit="Persons",
        value=value,
        low=low,
        high=high,
        qualifier="Approximately",
        subject="Korean People's Army",
        place="",
        text=str(value),
        sentence="",
        speakers="",
    )


def test_run_writes_the_report_and_lists_it(examples_run, examples_html: str) -> None:
    out, report = examples_run
    assert report.outputs["report.html"] == str(out / "report.html")
    assert examples_html.startswith("<!DOCTYPE html>")


def test_report_loads_nothing_from_anywhere(examples_html: str) -> None:
    page = _parse(examples_html)
    assert page.resources == []
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert all(href.startswith("#") for href in page.hrefs), "links stay inside the page"
    assert "url(" not in examples_html and "@import" not in examples_html
    assert "default-src 'none'" in examples_html  # the page forbids itself any fetch


def test_overview_has_a_row_per_article_with_shacl_status(examples_run, examples_html: str):
    _, report = examples_run
    table = examples_html.split('<table class="sources">')[1].split("</table>")[0]
    ok = [r for r in report.inputs if r.status == "ok"]
    assert table.count("<tr>") == len(ok) + 1  # the header row too
    for record in ok:
        assert record.identifier in table
    assert table.count(">conforms<") == len(ok)
    assert "www.steppewire.example" in table and "2024-11-14" in table


def test_every_figure_link_lands_on_a_highlighted_figure(examples_html: str) -> None:
    page = _parse(examples_html)
    conflicts = examples_html.split('id="conflicts"')[1].split('id="charts"')[0]
    links = re.findall(r'href="#(n-[^"]+/quantity[^"]*|n-[^"]+)"', conflicts)
    assert links, "the conflicts view links figures to their evidence"
    for anchor in links:
        assert anchor in page.ids, anchor
        assert page.ids[anchor][-2:] == ["mark", "strong"], anchor  # figure inside its sentence


def test_conflicts_view_groups_the_korean_troop_estimates(examples_html: str) -> None:
    conflicts = examples_html.split('id="conflicts"')[1].split('id="charts"')[0]
    caption = "TroopCount of Korean People&#39;s Army"
    groups = [part.split("</table>")[0] for part in conflicts.split(caption)[1:]]
    assert groups
    figures = {value for group in groups for value in re.findall(r">([\d,]+)</a>", group)}
    assert {"11,000", "12,000"} <= figures


def test_charts_network_lineage_and_timeline_are_drawn(examples_html: str) -> None:
    charts = examples_html.split('id="charts"')[1].split('id="network"')[0]
    assert charts.count('<svg class="chart"') >= 5
    assert "TroopCount (Persons)" in charts and "<circle" in charts
    network = examples_html.split('id="network"')[1].split('id="lineage"')[0]
    assert network.count("<circle") >= 5 and "Korean People&#39;s Army" in network
    lineage = examples_html.split('id="lineage"')[1].split('id="timeline"')[0]
    assert re.search(r"07_digest\.txt</a></td><td><a [^>]+>01_wire_report\.txt", lineage)
    timeline = examples_html.split('id="timeline"')[1].split('id="articles"')[0]
    assert '<svg class="timeline"' in timeline and "TreatyRatification" in timeline


def test_report_is_deterministic(examples_run) -> None:
    store = open_store(examples_run[0] / "store")
    assert build_report(store) == build_report(store)


def test_report_command_reads_run_json_for_shacl_status(examples_run, tmp_path: Path) -> None:
    out, _ = examples_run
    target = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--store", str(out / "store"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert ">conforms<" in target.read_text(encoding="utf-8")
    missing = CliRunner().invoke(app, ["report", "--store", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no store" in missing.output


def test_marked_text_escapes_and_nests() -> None:
    text = "A <b> & C said 300 died. Then 40 more. End"
    html = marked_text(text, [(0, 24), (20, 24), (25, 38)], {(15, 18): "f1", (30, 32): "f2"})
    assert html.startswith("<mark>A &lt;b&gt; &amp; C said ")
    assert '<strong id="f1" class="figure">300</strong>' in html
    assert '<mark>Then <strong id="f2" class="figure">40</strong> more.</mark> End' in html
    assert html.count("<mark>") == html.count("</mark>") == 2


def test_classify_tells_agreement_from_conflict() -> None:
    a = _figure("a", 11000, 9900, 12100, "2024-11")
    assert classify([a, _figure("b", 11000, 11000, 11000, "2024-11")]) == "agreeing"
    assert classify([a, _figure("b", 12000, 10800, 13200, "2024-11")]) == "compatible"
    assert classify([a, _figure("b", 50000, 45000, None, "2024-11")]) == "conflicting"
    assert classify([a, _figure("b", 50000, 45000, None, "")]) == "conflicting"
    assert classify([a, _figure("b", 3000, 3000, 3000, "2025-03")]) == "later update"


def test_group_figures_needs_two_articles() -> None:
    alone = [_figure("a", 1, 1, 1), _figure("a", 2, 2, 2)]
    assert group_figures(alone) == []
    (group,) = group_figures([*alone, _figure("b", 2, 2, 2)])
    assert group.status == "conflicting" and len(group.figures) == 3


def test_a_large_network_keeps_the_most_mentioned_entities() -> None:
    """Hundreds of shared entities: the picture keeps the most mentioned, without SciPy."""
    from etl.property_graph import Edge, Node, PropertyGraph
    from etl.report import MAX_NETWORK_NODES, entity_network

    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for index in range(600):
        entity = f"urn:entity:{index:03}"
        nodes[entity] = Node(entity, "Entity", {"kind": "Person", "name": f"Person {index}"})
        # entity i is mentioned in 2 + i % 5 articles, so the most mentioned are i % 5 == 4
        for article in range(2 + index % 5):
            edges.append(Edge(f"urn:article:{(index + article) % 50}", entity, "MENTIONS"))
    network = entity_network(PropertyGraph(nodes, edges))
    assert len(network.nodes) == MAX_NETWORK_NODES
    assert all(node["tip"].endswith(": 6 articles") for node in network.nodes)


def test_run_writes_a_note_instead_of_the_report_for_a_large_corpus(
    examples_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, run_report = examples_run
    ok = {r.identifier: r.violations for r in run_report.inputs if r.status == "ok"}
    store = open_store(out / "store")
    monkeypatch.setattr(report_module, "REPORT_MAX_ARTICLES", len(ok) - 1)
    page = report_module.run_report(store, ok)
    assert f"This run holds {len(ok):,} articles" in page
    assert "ckg report" in page and "<svg" not in page
    monkeypatch.setattr(report_module, "REPORT_MAX_ARTICLES", len(ok))
    assert report_module.run_report(store, ok) == build_report(store, ok)
