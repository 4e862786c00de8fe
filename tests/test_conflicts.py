"""The conflicts view: grouping and labelling on the hand-written fixture tests/data/conflicts.trig,
the pair rules on figures built by hand, `ckg conflicts`, and the seeds' disagreements."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store
from typer.testing import CliRunner

from etl.cli import app
from etl.conflicts import (
    AGREEING,
    COMPATIBLE,
    CONFLICTING,
    LATER_UPDATE,
    ConflictGroup,
    Figure,
    classify,
    find_conflicts,
    group_figures,
    group_label,
)
from etl.store import open_store

FIXTURE = Path(__file__).parent / "data" / "conflicts.trig"
runner = CliRunner()


@pytest.fixture(scope="module")
def store() -> Store:
    st = Store()
    st.load(path=str(FIXTURE), format=RdfFormat.TRIG)
    return st


def by_measure(groups: list[ConflictGroup]) -> dict[str, ConflictGroup]:
    found = {g.measure: g for g in groups}
    assert len(found) == len(groups), "one group per measure in the fixture"
    return found


def values(group: ConflictGroup) -> list[tuple[str, Decimal]]:
    return [(f.article, f.value) for f in group.figures]


# --------------------------------------------------------------------------- fixture


def test_groups_and_labels(store: Store) -> None:
    groups = by_measure(find_conflicts(store))
    assert set(groups) == {"TroopCount", "TerritoryShare", "Killed", "Casualties"}
    assert {m: g.label for m, g in groups.items()} == {
        "TroopCount": COMPATIBLE,
        "TerritoryShare": CONFLICTING,
        "Killed": LATER_UPDATE,
        "Casualties": AGREEING,
    }


def test_a_figure_without_place_joins_the_one_group_that_fits(store: Store) -> None:
    troops = by_measure(find_conflicts(store))["TroopCount"]
    assert values(troops) == [
        ("p.txt", Decimal(11000)),
        ("q.txt", Decimal(12000)),  # no place stated
        ("r.txt", Decimal(11000)),
    ]
    assert (troops.subject_label, troops.place_label) == ("Korean People's Army", "Kursk Oblast")
    pairs = {(p.first.article, p.second.article): p.label for p in troops.pairs}
    assert pairs == {
        ("p.txt", "q.txt"): COMPATIBLE,  # [9900, 12100] and [10800, 13200] overlap
        ("p.txt", "r.txt"): AGREEING,  # both 11,000
        ("q.txt", "r.txt"): COMPATIBLE,
    }
    # the 50,000 of no stated force fits the Korean and the Russian groups: it stays apart
    assert Decimal(50000) not in {f.value for f in troops.figures}


def test_sources_speakers_and_sentences_are_listed(store: Store) -> None:
    groups = by_measure(find_conflicts(store))
    p, q, r = groups["TroopCount"].figures
    assert p.speakers == ("Volodymyr Zelensky",) and q.speakers == () and r.speakers == ()
    assert p.source == "Troops reach Kursk" and q.source == "q.txt"  # title, else identifier
    assert p.sentence == "About 11,000 North Korean troops are in Kursk, Zelensky said."
    share = groups["TerritoryShare"]
    assert [(f.value, f.qualifier, f.low, f.high) for f in share.figures] == [
        (Decimal(46), "Approximately", Decimal("41.4"), Decimal("50.6")),
        (Decimal(60), "MoreThan", Decimal(60), Decimal(100)),
    ]
    assert share.figures[0].speakers == ("Institute for the Study of War",)


def test_the_later_figure_supersedes(store: Store) -> None:
    (pair,) = by_measure(find_conflicts(store))["Killed"].pairs
    assert pair.label == LATER_UPDATE
    assert (pair.first.time, pair.first.value) == ("2024-12", Decimal(300))
    assert (pair.second.time, pair.second.value, pair.second.time_text) == (
        "2025-01",
        Decimal(1000),
        "By January",
    )


def test_figures_of_one_article_are_not_compared(store: Store) -> None:
    assert "EquipmentCount" not in by_measure(find_conflicts(store))
    for group in find_conflicts(store):
        assert all(p.first.article != p.second.article for p in group.pairs)


def test_measure_narrows_the_groups(store: Store) -> None:
    assert [g.measure for g in find_conflicts(store, "Killed")] == ["Killed"]
    iri = "https://w3id.org/conflict-kg/ontology#TerritoryShare"
    assert [g.measure for g in find_conflicts(store, iri)] == ["TerritoryShare"]
    assert find_conflicts(store, "Wounded") == []


# --------------------------------------------------------------------------- rules


def figure(value: int, low: int, high: int | None, **changes: object) -> Figure:
    base = Figure(
        iri=f"x/{value}",
        measure="TroopCount",
        unit="Persons",
        subject="kpa",
        subject_label="KPA",
        place=None,
        place_label=None,
        value=Decimal(value),
        qualifier="Approximately",
        low=Decimal(low),
        high=None if high is None else Decimal(high),
        time=None,
        time_text=None,
        article="a",
        title=None,
        issued=None,
        speakers=(),
        sentence=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_pair_rules() -> None:
    more_than_60 = figure(60, 60, None, qualifier="MoreThan")
    assert classify(figure(46, 41, 51), more_than_60).label == CONFLICTING
    assert classify(figure(65, 58, 72), more_than_60).label == COMPATIBLE  # open above
    assert classify(figure(60, 60, 60, qualifier="Exact"), more_than_60).label == AGREEING
    assert classify(figure(10, 9, 11), figure(12, 9, 11)).label == AGREEING  # same interval
    # times: the later supersedes; a month contains its days, so those are not an update
    october, november = figure(46, 41, 51, time="2024-10"), figure(60, 60, None, time="2024-11")
    update = classify(november, october)
    assert (update.label, update.first, update.second) == (LATER_UPDATE, october, november)
    mid_october = figure(60, 60, None, time="2024-10-15")
    assert classify(october, mid_october).label == CONFLICTING
    # a figure without a stated time cannot be ordered
    assert classify(october, figure(60, 60, None)).label == CONFLICTING


def test_group_label_takes_the_strongest_disagreement() -> None:
    a, b = figure(1, 1, 1), figure(2, 2, 2)
    pair = classify(a, b)
    assert group_label([replace(pair, label=AGREEING)] * 2) == AGREEING
    assert group_label([replace(pair, label=AGREEING), pair]) == CONFLICTING
    labels = [AGREEING, COMPATIBLE, LATER_UPDATE]
    assert group_label([replace(pair, label=x) for x in labels]) == LATER_UPDATE
    assert group_label([replace(pair, label=x) for x in labels[:2]]) == COMPATIBLE


def test_grouping_needs_same_measure_and_unit() -> None:
    troops = figure(10, 10, 10, article="a")
    other_unit = figure(10, 10, 10, unit="Items", article="b")
    other_measure = figure(10, 10, 10, measure="Killed", article="c")
    assert len(group_figures([troops, other_unit, other_measure])) == 3


# --------------------------------------------------------------------------- command


def test_cli_formats(store: Store, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    disk = Store(str(store_dir))
    disk.bulk_load(path=str(FIXTURE), format=RdfFormat.TRIG)
    disk.flush()
    del disk
    args = ["conflicts", "--store", str(store_dir)]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "later update" in table.output and "4 group(s)" in table.output
    as_csv = runner.invoke(app, [*args, "--format", "csv", "--measure", "TroopCount"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(r["source"], r["value"], r["speaker"]) for r in rows] == [
        ("Troops reach Kursk", "11000", "Volodymyr Zelensky"),
        ("q.txt", "12000", "(the article)"),
        ("r.txt", "11000", "(the article)"),
    ]
    assert {r["label"] for r in rows} == {COMPATIBLE}
    as_json = runner.invoke(app, [*args, "-f", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert [g["label"] for g in data] == [AGREEING, LATER_UPDATE, CONFLICTING, COMPATIBLE]
    bad = runner.invoke(app, [*args, "-f", "xml"])
    assert bad.exit_code == 2 and "table, json or csv" in bad.output
    missing = runner.invoke(app, ["conflicts", "--store", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no store" in missing.output


def test_a_group_with_many_pairs_counts_them_by_label(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_dir = tmp_path / "store"
    disk = Store(str(store_dir))
    disk.bulk_load(path=str(FIXTURE), format=RdfFormat.TRIG)
    disk.flush()
    del disk
    groups = find_conflicts(Store.read_only(str(store_dir)))
    largest = max(groups, key=lambda g: len(g.pairs))
    assert len(largest.pairs) >= 2
    monkeypatch.setattr("etl.cli.PAIRS_LISTED", len(largest.pairs) - 1)
    table = runner.invoke(app, ["conflicts", "--store", str(store_dir)])
    assert table.exit_code == 0, table.output
    tally = f"{len(largest.pairs):,} pairs across sources: "
    assert tally in table.output and "(-f json lists each)" in table.output
    labels = table.output.split(tally)[1].split(" (-f json")[0]
    for label in {pair.label for pair in largest.pairs}:
        count = sum(pair.label == label for pair in largest.pairs)
        assert f"{count:,} {label}" in labels
    listed = sum(len(g.pairs) for g in groups if len(g.pairs) < len(largest.pairs))
    assert table.output.count(" vs ") == listed


# --------------------------------------------------------------------------- seeds


@pytest.mark.seeds
def test_seeds_list_the_troop_and_territory_disagreements(seeds_run) -> None:
    out, _ = seeds_run
    groups = find_conflicts(open_store(out / "store"))
    korean = [
        g for g in groups if g.measure == "TroopCount" and g.subject_label == "Korean People's Army"
    ]
    assert len(korean) == 1
    figures = {f.value: f for f in korean[0].figures}
    assert {Decimal(10000), Decimal(11000), Decimal(12000)} <= set(figures)
    three = {figures[Decimal(v)].iri for v in (10000, 11000, 12000)}
    assert len({figures[Decimal(v)].article for v in (10000, 11000, 12000)}) == 3
    assert figures[Decimal(11000)].speakers == ("Volodymyr Zelensky",)
    # about 10,000, 11,000 and 12,000: the intervals overlap pair by pair
    among = [p for p in korean[0].pairs if {p.first.iri, p.second.iri} <= three]
    assert len(among) == 3 and {p.label for p in among} == {COMPATIBLE}

    (share,) = [g for g in groups if g.measure == "TerritoryShare"]
    assert [(f.value, f.qualifier) for f in sorted(share.figures, key=lambda f: f.value)] == [
        (Decimal(46), "Approximately"),
        (Decimal(60), "MoreThan"),
    ]
    assert share.label == CONFLICTING  # around 46% and more than 60% cannot both hold
    assert "Institute for the Study of War" in {s for f in share.figures for s in f.speakers}
    assert all(f.sentence for f in share.figures)


def test_help_and_readme() -> None:
    from .conftest import ROOT

    result = runner.invoke(app, ["conflicts", "--help"])
    assert result.exit_code == 0 and "--measure" in result.output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`ckg conflicts" in readme and "`conflicts`" in readme
    assert "later update" in (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
