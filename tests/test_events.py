"""Events: only what a sentence reports as happening, typed by English and the domain."""

from __future__ import annotations

import pytest

from etl.extract import extract_doc
from etl.gazetteer import load_gazetteer
from etl.ingest import sha256
from etl.model import Document


def _events(nlp, text: str) -> list[tuple[str, str]]:
    document = Document(id=sha256(text), identifier="t.txt", text=text, regions=((0, len(text)),))
    extraction = extract_doc(nlp(text), document, load_gazetteer(), ("en_test", "0"))
    return [(event.type.value, event.text) for event in extraction.events]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian troops captured the village of Nikolaevo on Sunday.", [("Capture", "captured")]),
        ("Russia has won back about half of the ground it lost.", [("Capture", "won")]),
        ("Ukrainian units gave up ground near Sudzha.", [("Withdrawal", "gave")]),
        ("Russia has regained momentum in the Donbas.", [("Advance", "regained")]),
        ("Russia seems to be making progress near Kursk.", [("Advance", "progress")]),
        (
            "Russian forces made repeated attempts to advance into the town.",
            [("Offensive", "advance")],
        ),
        ("North Korean troops spearheaded the assault on the town.", [("Attack", "assault")]),
        ("Ukraine launched a surprise assault into the Kursk region.", [("Offensive", "assault")]),
        ("Russia has amassed about 50,000 troops near Kursk.", [("Deployment", "amassed")]),
        (
            "Zelensky said Russia had mobilized troops in the region where Ukraine launched "
            "its offensive.",
            [("Deployment", "mobilized")],
        ),
    ],
)
def test_reported_events(nlp, text: str, expected: list[tuple[str, str]]) -> None:
    assert _events(nlp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What are the signs that a deployment is near?",
        "If Ukrainian forces were forced to withdraw, Kyiv would lose leverage.",
        "A withdrawal could weaken Ukraine's position in talks.",
        "Russia plans to attack the bridgehead before spring.",
        "Analysts discussed a possible offensive in the north.",
        "The offensive was a gamble that paid off.",
        "The raid represented a strategic advance for Ukraine.",
        "Capturing the mood of the front is hard.",
        "North Korean soldiers are told to avoid capture at all costs.",
    ],
)
def test_unreported_events_are_left_out(nlp, text: str) -> None:
    assert _events(nlp, text) == []
