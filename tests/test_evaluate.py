"""The scorer's matching rules on tiny hand-written graphs and gold lines, its errors, and the
`ckg evaluate` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store
from typer.testing import CliRunner

from etl.cli import app
from etl.errors import InputError
from etl.evaluate import (
    evaluate,
    merge_rate,
    normalise,
    read_predictions,
    same_sentence,
    same_words,
    score,
)
from etl.gold import read_gold, read_gold_file

runner = CliRunner()

PREFIXES = """
@prefix ckg: <https://w3id.org/conflict-kg/ontology#> .
@base <https://w3id.org/conflict-kg/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
S1 = "About 11,000 North Korean troops are in Kursk, Zelensky said."
S2 = "Russia lost 300 tanks and more than 300 troops in the battle."
S3 = "North Korean units attacked near Sudzha."
ENTITIES = """
<graph/entities> {
  <entity/kpa> a ckg:ArmedForce ; skos:prefLabel "Korean People's Army"@en ;
      skos:altLabel "North Korean troops"@en .
  <entity/zelensky> a ckg:Person ; skos:prefLabel "Volodymyr Zelensky"@en .
  <entity/kursk> a ckg:Place ; skos:prefLabel "Kursk Oblast"@en .
  <entity/north-korea> a ckg:State ; skos:prefLabel "North Korea"@en .
}
"""


def article(name: str, body: str) -> str:
    return f"""
<article/{name}> {{
  <article/{name}> a ckg:Article ; dcterms:identifier "folder/{name}.txt" .
  {body}
}}
"""


ARTICLE_A = article(
    "a",
    f"""
  <s1> ckg:sentence "{S1}" .
  <s2> ckg:sentence "{S2}" .
  <s3> ckg:sentence "{S3}" .
  <q1> a ckg:Quantity ; ckg:reportedIn <article/a> ; ckg:evidence <s1> ; ckg:beginIndex 0 ;
      ckg:measure ckg:TroopCount ; ckg:value 11000.0 ; ckg:qualifier ckg:Approximately .
  <q2> a ckg:Quantity ; ckg:reportedIn <article/a> ; ckg:evidence <s2> ; ckg:beginIndex 70 ;
      ckg:measure ckg:EquipmentCount ; ckg:value 300.0 ; ckg:qualifier ckg:Exact .
  <q3> a ckg:Quantity ; ckg:reportedIn <article/a> ; ckg:evidence <s2> ; ckg:beginIndex 90 ;
      ckg:measure ckg:Killed ; ckg:value 300.0 ; ckg:qualifier ckg:Exact .
  <c1> a ckg:Claim ; ckg:reportedIn <article/a> ; ckg:evidence <s1> ; ckg:beginIndex 55 ;
      ckg:claimedBy <entity/zelensky> ; ckg:asserts <q1> .
  <v1> a ckg:Attack ; ckg:reportedIn <article/a> ; ckg:evidence <s3> ; ckg:beginIndex 120 .
  <v2> a ckg:Deployment ; ckg:reportedIn <article/a> ; ckg:evidence <s1> ; ckg:beginIndex 5 .
  <m1> ckg:refersTo <entity/kpa> ; ckg:anchorOf "North Korean troops" ; ckg:beginIndex 13 .
  <m2> ckg:refersTo <entity/zelensky> ; ckg:anchorOf "Zelensky" ; ckg:beginIndex 47 .
  <m3> ckg:refersTo <entity/kursk> ; ckg:anchorOf "Kursk" ; ckg:beginIndex 40 .
  <m4> ckg:refersTo <entity/kpa> ; ckg:anchorOf "North Korean units" ; ckg:beginIndex 100 .
""",
)
ARTICLE_B = article(
    "b",
    """
  <m5> ckg:refersTo <entity/kpa> ; ckg:anchorOf "North Korean soldiers" ; ckg:beginIndex 0 .
  <m6> ckg:refersTo <entity/north-korea> ; ckg:anchorOf "North Korea" ; ckg:beginIndex 30 .
""",
)


def gold_line(kind: str, **fields: object) -> str:
    return json.dumps({"kind": kind, **fields})


GOLD_A = [
    gold_line("entity", type="ArmedForce", name="Korean People's Army",
              mentions=["North Korean troops", "North Korean units"]),
    gold_line("entity", type="Person", name="Volodymyr Zelensky", mentions=["Zelensky"]),
    gold_line("entity", type="Country", name="Kursk Oblast", mentions=["Kursk"]),
    gold_line("quantity", measure="troop_count", value=11000, qualifier="approximately",
              attributed_to="Zelensky", sentence=S1),
    gold_line("quantity", measure="equipment_count", value=300, qualifier="exact",
              attributed_to=None, sentence=S2),
    gold_line("quantity", measure="killed", value=300, qualifier="more_than",
              attributed_to="Ukraine's army", sentence=S2),
    gold_line("quantity", measure="troop_count", value=None, value_text="thousands",
              qualifier="vague", sentence=S3),
    gold_line("event", type="Attack", sentence=S3),
    gold_line("event", type="Deployment", sentence="An unrelated sentence about something else."),
    gold_line("event", type="Statement", sentence=S1),
    gold_line("claim", speaker="Volodymyr Zelensky", sentence=S1),
]  # fmt: skip
GOLD_B = [
    gold_line("entity", type="ArmedForce", name="Korean People's Army",
              mentions=["North Korean soldiers"]),
    gold_line("entity", type="Country", name="North Korea", mentions=["North Korea"]),
]  # fmt: skip


def write_gold(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    graph = tmp_path / "graph.trig"
    graph.write_text(PREFIXES + ENTITIES + ARTICLE_A + ARTICLE_B, encoding="utf-8")
    gold = write_gold(tmp_path / "gold", {"a": GOLD_A, "b": GOLD_B})
    return graph, gold


# --------------------------------------------------------------------------- text rules


def test_normalise_folds_case_quotes_possessives_punctuation_and_a_leading_the() -> None:
    assert normalise("The Kremlin’s  “offer”, ") == "kremlin offer"
    assert normalise("Ukraine's army") == "ukraine army"
    assert normalise("the") == "the"
    assert normalise(None) == ""


def test_same_words_needs_whole_words_in_order() -> None:
    assert same_words("Zelensky", "Volodymyr Zelensky")
    assert same_words("Volodymyr Zelensky", "zelensky")  # either way round
    assert not same_words("Zelen", "Volodymyr Zelensky")  # part of a word
    assert not same_words("Zelensky Volodymyr", "Volodymyr Zelensky")
    assert not same_words("", "Zelensky")


def test_same_sentence_by_containment_or_most_words() -> None:
    assert same_sentence("Kursk fell.", "Kursk fell, officials said.")
    long = "North Korean troops are fighting in the Kursk region now"
    assert same_sentence(long, long.replace("now", "today"))  # 9 of 11 words shared
    assert not same_sentence(long, "North Korean troops left")
    assert not same_sentence(None, long)


# --------------------------------------------------------------------------- matching


def test_tiny_graph_scores(tiny: tuple[Path, Path]) -> None:
    graph, gold = tiny
    result = evaluate(gold, graph)
    assert result.articles_missing == ()
    # quantities: 11,000 troops, 300 tanks and 300 killed each match their own gold line
    # (same value, told apart by measure); the vague figure has no value and is not scored
    assert (result.quantity.tp, result.quantity.predicted, result.quantity.gold) == (3, 3, 3)
    # qualifier: approximately right, exact right, more_than predicted as exact
    assert (result.qualifier_accuracy.correct, result.qualifier_accuracy.total) == (2, 3)
    # attribution: Zelensky right ("Zelensky" inside "Volodymyr Zelensky"), no speaker for
    # the tanks right, no speaker for the killed figure wrong
    assert (result.attribution_accuracy.correct, result.attribution_accuracy.total) == (2, 3)
    # events: Attack in its sentence; the Deployment's sentence differs; Statement not scored
    assert (result.event.tp, result.event.predicted, result.event.gold) == (1, 2, 2)
    assert result.event.precision == 0.5 and result.event.recall == 0.5
    assert (result.claim_with_speaker.tp, result.claim_with_speaker.gold) == (1, 1)
    # entities: three in a, two in b; Kursk is typed Place but annotated Country
    assert (result.entity.tp, result.entity.predicted, result.entity.gold) == (5, 5, 5)
    assert (result.entity_type_accuracy.correct, result.entity_type_accuracy.total) == (4, 5)
    # the Korean People's Army is one IRI in both articles
    assert (result.cross_source_merge_rate.correct, result.cross_source_merge_rate.total) == (
        1,
        1,
    )
    assert result.overmerged_entities == ()


def test_a_prediction_matches_one_gold_fact_only(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    graph, _ = tiny
    twice = GOLD_A[3]
    gold = write_gold(tmp_path / "twice", {"a": [twice, twice]})
    result = evaluate(gold, graph)
    assert (result.quantity.tp, result.quantity.gold) == (1, 2)


def test_measure_matters_except_for_value_only(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    graph, _ = tiny
    wrong_measure = gold_line(
        "quantity", measure="injured", value=11000, qualifier="exact", sentence=S1
    )
    other = gold_line("quantity", measure="other", value=300, qualifier="exact", sentence=S2)
    gold = write_gold(tmp_path / "measure", {"a": [wrong_measure, other]})
    result = evaluate(gold, graph)
    assert (result.quantity.tp, result.quantity.gold) == (0, 1)  # "other" is left out
    assert (result.quantity_value_only.tp, result.quantity_value_only.gold) == (2, 2)
    assert result.qualifier_accuracy.value is None  # nothing matched, nothing to check


def test_alternative_units_match(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    graph, _ = tiny
    dual = gold_line(
        "quantity",
        measure="troop_count",
        value=10,
        alt_values=[{"value": 11000, "unit": "persons"}],
        qualifier="approximately",
        sentence=S1,
    )
    result = evaluate(write_gold(tmp_path / "dual", {"a": [dual]}), graph)
    assert result.quantity.tp == 1


def test_entities_sharing_a_word_are_not_merged_and_over_merging_is_named() -> None:
    rate, overmerged = merge_rate(
        {
            "Korean People's Army": {"a": "kpa", "b": "kpa", "c": "north-korea"},
            "North Korea": {"b": "north-korea"},
        }
    )
    assert (rate.correct, rate.total) == (1, 3)  # a-b merged; a-c and b-c not
    assert overmerged == ("north-korea",)


def test_gold_entity_takes_the_entity_with_most_evidence(tmp_path: Path, tiny) -> None:
    graph, _ = tiny
    store = Store()
    store.load(path=str(graph), format=RdfFormat.TRIG)
    facts = read_predictions(store)
    # entities come in the text order of their first mention
    assert [e.iri.rsplit("/", 1)[-1] for e in facts["a"].entities] == ["kpa", "kursk", "zelensky"]
    # the army comes first and has one mention in common, but Kursk Oblast has a mention
    # and its label: it wins
    both = gold_line("entity", type="Place", name="Kursk Oblast",
                     mentions=["North Korean troops", "Kursk"])  # fmt: skip
    (gold,) = read_gold(write_gold(tmp_path / "most", {"a": [both]}))
    result = score([gold], facts)
    assert (result.entity.tp, result.entity_type_accuracy.correct) == (1, 1)


def test_claims_match_speaker_first_then_sentence(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    graph, _ = tiny
    claims = [
        gold_line("claim", speaker="Somebody Else", sentence=S1),
        gold_line("claim", speaker="Zelensky", sentence=S1),
    ]
    result = evaluate(write_gold(tmp_path / "claims", {"a": claims}), graph)
    # one predicted claim: it goes to the gold claim whose speaker it names
    assert (result.claim_with_speaker.tp, result.claim.tp, result.claim.predicted) == (1, 1, 1)


def test_missing_articles_are_reported_and_score_as_empty(
    tmp_path: Path, tiny: tuple[Path, Path]
) -> None:
    graph, _ = tiny
    gold = write_gold(tmp_path / "missing", {"zzz": [GOLD_A[3]]})
    result = evaluate(gold, graph)
    assert result.articles_missing == ("zzz",)
    assert (result.quantity.tp, result.quantity.predicted, result.quantity.gold) == (0, 0, 1)


# --------------------------------------------------------------------------- bad gold


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"kind": "fact"}', "'kind' must be one of"),
        ('{"kind": "claim", "speaker": "X"}', "'sentence'"),
        ('{"kind": "quantity", "measure": "troops", "qualifier": "exact"}', "measure 'troops'"),
        (gold_line("quantity", measure="killed", value="300", qualifier="exact", sentence="s"),
         "'value' must be a number"),
        (gold_line("entity", type="Army", name="X", mentions=[]), "type 'Army'"),
        (gold_line("entity", type="Place", name="X", mentions="X"), "'mentions'"),
    ],
)  # fmt: skip
def test_a_bad_gold_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(GOLD_A[0] + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_gold_file(path)
    assert caught.value.path == f"{path}:3"
    assert problem in caught.value.problem


def test_a_gold_folder_must_exist_and_hold_gold_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such gold folder"):
        read_gold(tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"no \.jsonl files"):
        read_gold(tmp_path)


# --------------------------------------------------------------------------- command


def test_cli_table_and_json(tiny: tuple[Path, Path]) -> None:
    graph, gold = tiny
    table = runner.invoke(app, ["evaluate", "--gold", str(gold), "--graph", str(graph)])
    assert table.exit_code == 0, table.output
    assert "claim with speaker" in table.output and "cross source merge rate" in table.output
    as_json = runner.invoke(
        app, ["evaluate", "--gold", str(gold), "--graph", str(graph), "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["quantity"]["tp"] == 3 and data["event"]["f1"] == 0.5
    assert data["qualifier_accuracy"] == {"correct": 2, "total": 3, "value": 2 / 3}
    assert data["overmerged_entities"] == []


def test_cli_errors_exit_2_naming_the_file(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    graph, gold = tiny
    no_graph = runner.invoke(
        app, ["evaluate", "--gold", str(gold), "--graph", str(tmp_path / "none.trig")]
    )
    assert no_graph.exit_code == 2 and "none.trig" in no_graph.output
    (gold / "a.jsonl").write_text('{"kind": "claim"}\n', encoding="utf-8")
    bad = runner.invoke(app, ["evaluate", "--gold", str(gold), "--graph", str(graph)])
    assert bad.exit_code == 2
    assert "a.jsonl:1" in bad.output
    wrong_format = runner.invoke(app, ["evaluate", "--gold", str(gold), "-f", "xml"])
    assert wrong_format.exit_code == 2 and "table or json" in wrong_format.output


def test_help_and_docs() -> None:
    from .conftest import ROOT

    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0 and "--gold" in result.output
    assert "`ckg evaluate" in (ROOT / "README.md").read_text(encoding="utf-8")
    rules = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    assert "Jaccard" in rules and "cross_source_merge_rate" in rules
