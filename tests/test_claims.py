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


def test_an_inverted_cue_names_an_unknown_speaker_who_goes_on_speaking(nlp):
    first = "“We cannot hold them, “said Taras, the commander of a Ukrainian mortar unit."
    second = "“They come in groups of 40 North Koreans.”"
    third = "“Nobody knows what comes next,” he said."
    speakers = _speakers(_extract(nlp, f"{first} {second}\n{third}"))
    assert speakers == {first: "Taras", second: "Taras", third: "Taras"}


def test_what_was_reported_is_not_the_reporter(nlp):
    text = "The toll rose, with over 200 North Korean soldiers reported killed in Kursk."
    extraction = _extract(nlp, text)
    assert _speakers(extraction) == {}
    assert [int(q.value) for q in extraction.quantities] == [200]


def test_a_with_phrase_names_the_speaker_of_its_ing_verb(nlp):
    text = (
        "Russian units made several attempts to advance near Sudzha, with spokesperson "
        "Marta Kovalenko from one of Ukraine's brigades revealing that all of them failed."
    )
    assert _speakers(_extract(nlp, text)) == {text: "Marta Kovalenko"}


def test_who_is_the_person_it_follows(nlp):
    text = (
        "The talks are overshadowed by the election, before Donald Trump takes office, "
        "who has indicated a wish to end the war quickly."
    )
    assert _speakers(_extract(nlp, text)) == {text: "Donald Trump"}


def test_pointed_out_by_names_the_speaker(nlp):
    text = "Ukrainian troops, as pointed out by Anna Kuzmenko of the Kyiv School, can choose."
    assert _speakers(_extract(nlp, text)) == {text: "Anna Kuzmenko"}


def test_epistemic_sources_claim_whatever_their_verb(nlp):
    text = "Military analysts remain divided on whether the raid into Russia was worth it."
    assert _speakers(_extract(nlp, text)) == {text: "Military analysts"}


def test_a_possessor_does_not_speak_for_its_noun(nlp):
    text = "Russia's recent losses indicate a need for reinforcements near Kursk."
    assert _speakers(_extract(nlp, text)) == {}


def test_a_named_body_speaks_rather_than_a_group(nlp):
    text = "Russia's defence ministry announced that its troops had retaken Sudzha."
    assert _speakers(_extract(nlp, text)) == {text: "Russian Ministry of Defence"}


def test_according_to_vouches_for_the_whole_sentence(nlp):
    text = (
        "Putin has told his generals to clear the region by spring, "
        "according to a Western intelligence assessment."
    )
    assert _speakers(_extract(nlp, text)) == {text: "Western intelligence assessment"}


def test_the_agency_is_the_organisation_last_named(nlp):
    first = "South Korea's National Intelligence Service briefed lawmakers in Seoul."
    second = "Over 200 North Korean soldiers have been killed, the agency told them."
    speakers = _speakers(_extract(nlp, f"{first} {second}"))
    assert speakers == {second: "National Intelligence Service"}


def test_an_interview_turn_credits_the_guest_not_the_host(nlp):
    lines = [
        "Host: Welcome. What is happening near Kursk?",
        "Dr. Olena Hrytsenko: The arrival of North Korean troops could change the balance. "
        "I am not sure. About 11,000 North Korean soldiers are there now.",
        "Host: Thank you, Dr. Hrytsenko.",
    ]
    extraction = _extract(nlp, "\n".join(lines))
    speakers = _speakers(extraction)
    assert set(speakers.values()) == {"Olena Hrytsenko"}
    assert sorted(speakers) == [
        "About 11,000 North Korean soldiers are there now.",
        "Dr. Olena Hrytsenko: The arrival of North Korean troops could change the balance.",
    ]


def test_a_definite_description_is_the_organisation_whose_name_holds_it(nlp):
    first = "Ukraine's General Staff and the Kremlin traded claims on Monday."
    second = "About 250 Russian soldiers were killed near Sudzha, the General Staff said."
    speakers = _speakers(_extract(nlp, f"{first} {second}"))
    assert speakers == {second: "General Staff of the Armed Forces of Ukraine"}
