"""Figures: the measure a sentence gives a number, found from the grammar around it."""

from __future__ import annotations

import pytest

from etl.extract import extract_doc
from etl.gazetteer import load_gazetteer
from etl.ingest import sha256
from etl.model import Document


def _figures(nlp, text: str) -> list[tuple[str, int, str | None]]:
    document = Document(id=sha256(text), identifier="t.txt", text=text, regions=((0, len(text)),))
    extraction = extract_doc(nlp(text), document, load_gazetteer(), ("en_test", "0"))
    return [
        (q.measure.value, int(q.value), q.unit.value if q.unit else None)
        for q in extraction.quantities
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ukrainian troops captured three wounded Russian soldiers near Sudzha.",
            [("Captured", 3, "Persons")],
        ),
        (
            "Ukraine holds about 400 square kilometres (155 square miles) of the region.",
            [("TerritoryArea", 400, "SquareKilometre")],
        ),
        (
            "Chechen fighters, who number about 3,000 according to Kyiv, joined the assault.",
            [("TroopCount", 3000, "Persons")],
        ),
        (
            "Officials put the number of Russian troops in the region at an estimated 45,000.",
            [("TroopCount", 45000, "Persons")],
        ),
        (
            "Russia lost some 20,000 soldiers killed or wounded in the spring, and about 4,000 "
            "in May alone.",
            [("Casualties", 20000, "Persons"), ("Casualties", 4000, "Persons")],
        ),
        (
            "As many as 300 Russian soldiers are still listed as missing.",
            [("Missing", 300, "Persons")],
        ),
    ],
)
def test_measure_from_the_grammar(nlp, text: str, expected: list[tuple[str, int, str]]) -> None:
    assert _figures(nlp, text) == expected
