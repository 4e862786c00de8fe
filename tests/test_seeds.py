"""The seed articles (../shared/seeds): the cross-source questions the product exists for.

Skipped, with the reason, where the seeds are not beside the repository.
"""

from __future__ import annotations

import pyoxigraph

from etl.queries import named_queries, run_query
from etl.store import open_store


def _values(rows, column: str = "value") -> dict[str, set[float]]:
    found: dict[str, set[float]] = {}
    for row in rows:
        found.setdefault(row["article"].value, set()).add(float(row[column].value))
    return found


def test_seeds_conform(seeds_run):
    _, report = seeds_run
    assert report.validation.conforms, report.validation.text()
    assert report.totals()["ok"] == 5


def test_seed_outputs_parse_with_an_independent_parser(seeds_run):
    out, _ = seeds_run
    trig = {str(q.triple) for q in pyoxigraph.parse(path=str(out / "graph.trig"))}
    turtle = {str(t) for t in pyoxigraph.parse(path=str(out / "graph.ttl"))}
    assert trig == turtle


def test_north_korean_troop_figures_of_three_sources(seeds_run):
    out, _ = seeds_run
    store = open_store(out / "store")
    rows = run_query(store, named_queries()["troop-figures"], {"subject": "korean"})
    by_article = _values(rows)
    assert {10000.0, 11000.0, 12000.0} <= set().union(*by_article.values())
    sources = {a for a, values in by_article.items() if values & {10000.0, 11000.0, 12000.0}}
    assert len(sources) == 3


def test_conflicting_figures_report_the_disagreement(seeds_run):
    out, _ = seeds_run
    store = open_store(out / "store")
    rows = list(run_query(store, named_queries()["conflicting-figures"], {}))
    pairs = {
        (
            r["measureName"].value.rsplit("#", 1)[-1],
            frozenset((float(r["value1"].value), float(r["value2"].value))),
        )
        for r in rows
    }
    assert ("TroopCount", frozenset((10000.0, 12000.0))) in pairs
    assert ("TroopCount", frozenset((11000.0, 12000.0))) in pairs
    assert ("TerritoryShare", frozenset((46.0, 60.0))) in pairs


def test_spelling_variants_are_one_entity(seeds_run):
    out, _ = seeds_run
    store = open_store(out / "store")
    rows = run_query(store, named_queries()["shared-entities"], {})
    shared = {row["label"].value: int(row["articles"].value) for row in rows}
    assert shared["Volodymyr Zelensky"] >= 3  # Zelensky, Zelenskyy, President Volodymyr Zelensky
    assert shared["Korean People's Army"] >= 4  # North Korean troops/soldiers/forces, North Koreans
    assert shared["Kyiv"] >= 3  # kyiv, Kyiv, Kiev


def test_paywall_prompts_are_not_facts(seeds_run):
    out, _ = seeds_run
    store = open_store(out / "store")
    rows = store.query(
        "PREFIX ckg: <https://w3id.org/conflict-kg/ontology#> "
        "SELECT ?s WHERE { ?f ckg:evidence ?e . ?e ckg:sentence ?s }",
        use_default_graph_as_union=True,
    )
    assert not [r for r in rows if "subscribe" in r["s"].value.lower()]
