"""Attribution: who is credited with a sentence's facts."""

from __future__ import annotations

from etl.extract import extract_doc
from etl.gazetteer import load_gazetteer
from etl.ingest import sha256
from etl.model import Document, Extraction


def _extract(nlp, text: str) -> Extraction:
    document = Document(id=sha256(text), identifier="t.txt", text=text, regions=((0, len(text)),))
    return extract_doc(nlp(text), document, load_gazetteer(), ("en_test", "0"))


def _speakers(extraction: Extraction) -> dict[str, str]:
    labels = {e.key: e.label for e in extraction.entities}
    return {claim.sentence.text: labels[claim.speaker] for claim in extraction.claims}


def test_a_typed_group_is_a_source_of_its_own(nlp):
    text = "Ukrainian soldiers said that about 300 North Korean troops were killed near Sudzha."
    extraction = _extract(nlp, text)
    assert _speakers(extraction) == {text: "Ukrainian soldiers"}
    speaker = next(e for e in extraction.entities if e.label == "Ukrainian soldiers")
    assert speaker.key.startswith("organization/unnamed-")  # scoped to this article
    claim = extraction.claims[0]
    assert claim.asserts == tuple(q.key for q in extraction.quantities)


def test_a_named_person_in_apposition_speaks_for_themself(nlp):
    text = "A Ukrainian commander, Oleksii, reported that some 2,000 Russian troops had advanced."
    assert _speakers(_extract(nlp, text)) == {text: "Oleksii"}


def test_a_capital_speaks_for_its_state(nlp):
    text = "Kyiv said that nearly 12,000 North Korean soldiers had been deployed to Kursk."
    extraction = _extract(nlp, text)
    assert _speakers(extraction) == {text: "Ukraine"}
    assert any(m.text == "Kyiv" and m.entity == "place/kyiv" for m in extraction.mentions)


def test_according_to_names_the_organisation(nlp):
    text = (
        "Russia has regained about 40 percent of the area, "
        "according to the Institute for the Study of War."
    )
    extraction = _extract(nlp, text)
    assert _speakers(extraction) == {text: "Institute for the Study of War"}
    share = extraction.quantities[0]
    assert (share.measure.value, share.qualifier.value, int(share.value)) == (
        "TerritoryShare",
        "Approximately",
        40,
    )
