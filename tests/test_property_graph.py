"""Property-graph exports: GraphML, Neo4j import CSVs and the ACLED-shaped CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import networkx as nx
import pytest
from pyoxigraph import Store
from typer.testing import CliRunner

from etl.cli import app
from etl.pipeline import RunReport
from etl.property_graph import (
    ACLED_COLUMNS,
    EVENT_TYPES,
    PropertyGraph,
    acled_csv,
    graphml,
    neo4j_csvs,
    read_property_graph,
)
from etl.store import open_store

PREFIXES = """PREFIX ckg: <https://w3id.org/conflict-kg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
EVENT_VALUES = " ".join(f"ckg:{t}" for t in EVENT_TYPES)


def _count(store: Store, where: str) -> int:
    query = f"{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    (row,) = store.query(query, use_default_graph_as_union=True)  # type: ignore[misc]
    return int(row["n"].value)


@pytest.fixture(scope="module")
def store(examples_run: tuple[Path, RunReport]) -> Store:
    return open_store(examples_run[0] / "store")


@pytest.fixture(scope="module")
def graph(store: Store) -> PropertyGraph:
    return read_property_graph(store)


def test_graphml_loads_in_networkx_with_every_node_and_edge(store: Store, graph: PropertyGraph):
    nodes = _count(
        store,
        "SELECT DISTINCT ?n WHERE { { ?n a ckg:Article } UNION { ?n a ckg:Quantity } UNION "
        "{ ?n a ckg:Claim } UNION { VALUES ?t { ckg:Person ckg:Organization ckg:State "
        "ckg:ArmedForce ckg:Place } ?n a ?t } UNION "
        f"{{ VALUES ?t {{ {EVENT_VALUES} }} ?n a ?t }} }}",
    )
    fact_links = _count(
        store,
        "SELECT DISTINCT ?f ?p ?o WHERE { VALUES ?p { ckg:about ckg:place ckg:agent ckg:target "
        "ckg:claimedBy ckg:asserts ckg:reportedIn } ?f ?p ?o }",
    )
    mentions = _count(
        store, "SELECT DISTINCT ?a ?e WHERE { ?m ckg:inArticle ?a ; ckg:refersTo ?e }"
    )
    derivations = _count(store, "SELECT DISTINCT ?a ?b WHERE { ?a prov:wasDerivedFrom ?b }")
    loaded = nx.read_graphml(io.BytesIO(graphml(graph)))
    assert isinstance(loaded, nx.MultiDiGraph)
    assert loaded.number_of_nodes() == nodes > 100
    assert loaded.number_of_edges() == fact_links + mentions + derivations
    assert derivations == 1
    kinds = {
        data.get("kind") for _, data in loaded.nodes(data=True) if data["node_label"] == "Entity"
    }
    assert kinds == {"Person", "Organization", "State", "ArmedForce", "Place"}
    figure = next(
        data
        for _, data in loaded.nodes(data=True)
        if data["node_label"] == "Quantity"
        and data.get("value") == 11000.0
        and data["sentence"].startswith("About 11,000")
    )
    assert figure["qualifier"] == "Approximately" and "11,000" in figure["sentence"]
    types = {data["type"] for _, _, data in loaded.edges(data=True)}
    assert {"REPORTED_IN", "MENTIONS", "CLAIMED_BY", "ASSERTS", "DERIVED_FROM"} <= types


def test_neo4j_csvs_follow_the_import_header_format(graph: PropertyGraph) -> None:
    files = neo4j_csvs(graph)
    assert set(files) == {
        "nodes-article.csv",
        "nodes-entity.csv",
        "nodes-quantity.csv",
        "nodes-event.csv",
        "nodes-claim.csv",
        "relationships.csv",
    }
    ids: set[str] = set()
    for name, data in files.items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        header, body = rows[0], rows[1:]
        assert body, name
        assert all(len(row) == len(header) for row in body), name
        if name == "relationships.csv":
            assert header[:3] == [":START_ID", ":END_ID", ":TYPE"]
            relationships = body
            continue
        assert header[0] == "id:ID" and header[-1] == ":LABEL", name
        ids.update(row[0] for row in body)
        for column, title in enumerate(header):
            kind = title.partition(":")[2]
            values = [row[column] for row in body if row[column]]
            if kind == "float":
                assert all(float(v) >= 0 for v in values), (name, title)
            elif kind == "int":
                assert all(v.isdigit() for v in values), (name, title)
    assert all(start in ids and end in ids for start, end, *_ in relationships)
    entity_labels = {row[-1] for row in csv.reader(io.StringIO(files["nodes-entity.csv"].decode()))}
    assert "Entity;ArmedForce" in entity_labels


def test_acled_csv_has_one_row_per_event_and_figure(store: Store, graph: PropertyGraph) -> None:
    reader = csv.DictReader(io.StringIO(acled_csv(graph).decode("utf-8")))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == ACLED_COLUMNS
    events = _count(store, f"SELECT DISTINCT ?v WHERE {{ VALUES ?t {{ {EVENT_VALUES} }} ?v a ?t }}")
    figures = _count(store, "SELECT DISTINCT ?q WHERE { ?q a ckg:Quantity }")
    assert len(rows) == events + figures
    assert len({row["event_id"] for row in rows}) == len(rows)
    assert sum(row["event_type"] == "Figure" for row in rows) == figures
    assert {row["event_type"] for row in rows} - {"Figure"} <= set(EVENT_TYPES)
    troops = [r for r in rows if r["figure"] == "11000" and r["source"] == "01_wire_report.txt"]
    (troop,) = troops
    assert troop["sub_event_type"] == "TroopCount" and troop["qualifier"] == "Approximately"
    assert (troop["figure_min"], troop["figure_max"]) == ("9900", "12100")
    assert "Volodymyr Zelensky" in troop["speaker"]
    assert troop["event_date"].startswith("2024") and troop["notes"].startswith("About 11,000")
    dated = [r["event_date"] for r in rows if r["event_date"]]
    assert dated == sorted(dated)


def test_export_command_writes_each_format(examples_run, tmp_path: Path) -> None:
    store = str(examples_run[0] / "store")
    runner = CliRunner()
    graph_file = tmp_path / "g.graphml"
    result = runner.invoke(
        app, ["export", "-f", "graphml", "-o", str(graph_file), "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert nx.read_graphml(graph_file).number_of_nodes() > 100
    folder = tmp_path / "neo4j"
    result = runner.invoke(app, ["export", "-f", "neo4j", "-o", str(folder), "--store", store])
    assert result.exit_code == 0, result.output
    assert (folder / "relationships.csv").is_file()
    assert "neo4j-admin database import full" in result.output
    result = runner.invoke(app, ["export", "-f", "acled", "--store", store])
    assert result.exit_code == 0
    assert result.stdout.startswith(",".join(ACLED_COLUMNS))
    result = runner.invoke(app, ["export", "-f", "neo4j", "-o", str(graph_file), "--store", store])
    assert result.exit_code == 2 and "folder" in result.output
