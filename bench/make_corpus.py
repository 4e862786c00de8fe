"""A deterministic generator of synthetic conflict dispatches, for benchmarks at scale.

Each article is a wire-style report: a headline, a date, a byline, then
paragraphs of sentences drawn from templates about figures (troops, killed,
wounded, territory, aid money) with qualifiers ("about", "at least", "more
than", "up to", "nearly"), events (offensives, advances, withdrawals,
attacks, captures, deployments, aid packages), and attributed claims by
invented speakers with ranks and roles. Places and states come from the
project's gazetteer, so extraction finds them as it would in real reporting;
people are invented. Lengths vary from 200 to 1,500 words (most near 450).

Each article quotes its own cast of `CAST` named officers, each with one rank and
one role; no two articles share one until the name space is used up (about 100,000
articles). A share of the articles (`FOLLOW_UP`) are follow-ups of the one before
and quote one of its officers too, as a rewrite or a follow-up report does; those
are what source lineage should link. Drawing every speaker from a few hundred
names instead put each name in dozens of articles, each time among the same
template words, and lineage linked every generated article to every other.

Article `i` depends only on (seed, i), so a 1k corpus is the first thousand
articles of the 10k corpus of the same seed.

Usage: python bench/make_corpus.py OUT_DIR --articles 1000 [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

MIN_WORDS, MAX_WORDS = 200, 1500
PER_FOLDER = 1000  # files per sub-folder, so no folder holds 100k entries

STATES = ["Ukraine", "Russia", "North Korea", "Belarus", "Poland", "Germany", "France"]
DEMONYMS = {
    "Ukraine": "Ukrainian",
    "Russia": "Russian",
    "North Korea": "North Korean",
    "Belarus": "Belarusian",
    "Poland": "Polish",
    "Germany": "German",
    "France": "French",
}
FRONT_PLACES = [
    "Pokrovsk",
    "Bakhmut",
    "Avdiivka",
    "Chasiv Yar",
    "Toretsk",
    "Vuhledar",
    "Kurakhove",
    "Kramatorsk",
    "Sloviansk",
    "Siversk",
    "Lyman",
    "Kupiansk",
    "Vovchansk",
    "Huliaipole",
    "Orikhiv",
    "Robotyne",
    "Sudzha",
    "Korenevo",
    "Glushkovo",
    "Plekhovo",
    "Kreminna",
    "Velyka Novosilka",
    "Myrnohrad",
    "Kostiantynivka",
    "Izium",
]
REGIONS = [
    "Donetsk Oblast",
    "Luhansk Oblast",
    "Kharkiv Oblast",
    "Zaporizhzhia Oblast",
    "Kherson Oblast",
    "Kursk Oblast",
    "Belgorod Oblast",
    "Sumy Oblast",
    "Dnipropetrovsk Oblast",
]
CITIES = ["Kyiv", "Moscow", "Kharkiv", "Odesa", "Dnipro", "Lviv", "Zaporizhzhia", "Kherson"]
FIRST = [
    "Oleksandr",
    "Iryna",
    "Mykola",
    "Olena",
    "Serhiy",
    "Tetiana",
    "Dmitry",
    "Anna",
    "Pavel",
    "Natalia",
    "Viktor",
    "Yulia",
    "Andriy",
    "Svitlana",
    "Igor",
    "Maria",
    "Thomas",
    "Claire",
    "Marek",
    "Agnieszka",
    "Jonas",
    "Helena",
    "Petro",
    "Oksana",
]
LAST = [
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Shevchuk",
    "Melnyk",
    "Petrov",
    "Sokolov",
    "Volkova",
    "Lebedev",
    "Moroz",
    "Hrytsiuk",
    "Savchenko",
    "Kravets",
    "Novak",
    "Wiśniewski",
    "Keller",
    "Martin",
    "Dubois",
    "Lindqvist",
    "Marchenko",
    "Zakharov",
    "Rudenko",
]
# Surnames of the speakers, a stem and an ending each, so that names stay rare.
SURNAME_STEMS = [
    "Koval",
    "Bondar",
    "Tkach",
    "Melnych",
    "Savch",
    "Kravch",
    "Rud",
    "Marchu",
    "Hrytsai",
    "Lys",
    "Moroz",
    "Sokol",
    "Petr",
    "Levch",
    "Zakhar",
    "Shevch",
    "Bilous",
    "Honchar",
    "Kuzm",
    "Panas",
    "Yarem",
    "Demch",
    "Fedor",
    "Hnat",
    "Ivas",
    "Klym",
    "Lytv",
    "Mazur",
    "Nazar",
    "Ostrov",
    "Dovzh",
    "Chorn",
    "Bor",
    "Holub",
    "Vasyl",
    "Kost",
    "Prokop",
    "Soroch",
    "Tymosh",
    "Semen",
    "Stepan",
    "Romanch",
]
SURNAME_ENDINGS = [
    "enko",
    "uk",
    "yshyn",
    "iv",
    "ak",
    "ovych",
    "ets",
    "ienko",
    "chuk",
    "ii",
    "ko",
    "ar",
]
INITIALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CAST = 3
FOLLOW_UP = 0.15
# Steps through the name space so that consecutive articles get unrelated names; any
# number prime to the size of the name space would do.
NAME_STRIDE = 7919
NAME_SPACE = len(FIRST) * len(INITIALS) * len(SURNAME_STEMS) * len(SURNAME_ENDINGS)
RANKS = ["Colonel", "General", "Major", "Captain", "Lieutenant Colonel"]
ROLES = [
    "a spokesman for the {d} General Staff",
    "a spokeswoman for the {d} defence ministry",
    "the commander of a {d} brigade",
    "a senior {d} intelligence officer",
    "an adviser to the {d} president",
]
OUTLETS = ["Steppe Wire", "Borderland Post", "Eastern Dispatch", "Frontline Review"]
QUALIFIERS = ["about", "at least", "more than", "up to", "nearly", "roughly", "some", ""]
VERBS = ["said", "told reporters", "said on {day}", "wrote on social media", "told {outlet}"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

FIGURES = [
    "{q} {n:,} {d} soldiers have been deployed to {region}",
    "{q} {n:,} {d} troops were killed in the fighting around {place} since {month}",
    "{q} {n:,} civilians were wounded in {place} over the past week",
    "{d} forces lost {q} {n:,} soldiers killed or wounded near {place} in {month}",
    "{q} {k} square kilometres of {region} changed hands since {month}",
    "{d} units now control {q} {p} percent of {region}",
    "{q} {n:,} {d} servicemen were captured near {place}",
    "{q} {t} tanks and armoured vehicles were destroyed near {place} in {month}",
]
EVENTS = [
    "{d} forces launched an offensive towards {place} on {day}",
    "{d} troops advanced several kilometres west of {place}",
    "{d} units withdrew from positions east of {place} after weeks of shelling",
    "{d} drones attacked an ammunition depot near {place} overnight",
    "{d} forces captured the village of {place} in {month}",
    "{state} announced a new ${m} million military aid package for Ukraine",
]
CONTEXT = [
    "The claim could not be independently verified.",
    "Neither side commented on the figures.",
    "Fighting along the front has intensified in recent weeks as both sides brought up reserves.",
    "Analysts cautioned that battlefield figures are often inflated by both sides.",
    "Residents described near-constant shelling and power cuts in {city}.",
    "The front line has moved only a few kilometres over the past months.",
    "Officials in {city} said evacuation trains would keep running through the winter.",
]


def _qualified(rng: random.Random) -> str:
    return rng.choice(QUALIFIERS)


def _slots(rng: random.Random) -> dict[str, object]:
    state = rng.choice(STATES[:3])
    return {
        "q": _qualified(rng),
        "n": rng.choice([rng.randint(2, 99) * 10, rng.randint(10, 300) * 100]),
        "k": rng.randint(5, 1500),
        "p": rng.randint(5, 95),
        "t": rng.randint(3, 120),
        "m": rng.choice([50, 125, 275, 400, 725, 1000]),
        "d": DEMONYMS[state],
        "state": rng.choice(["Germany", "France", "Poland", "Washington"]),
        "place": rng.choice(FRONT_PLACES),
        "region": rng.choice(REGIONS),
        "city": rng.choice(CITIES),
        "month": rng.choice(MONTHS),
        "day": rng.choice(DAYS),
        "outlet": rng.choice(OUTLETS),
    }


def _officer(seed: int, number: int) -> str:
    """Officer `number` of the name space, as quoted: "Rank First I. Surname, role,"."""
    first, rest = number % len(FIRST), number // len(FIRST)
    initial, rest = rest % len(INITIALS), rest // len(INITIALS)
    stem, ending = rest % len(SURNAME_STEMS), rest // len(SURNAME_STEMS)
    name = f"{FIRST[first]} {INITIALS[initial]}. {SURNAME_STEMS[stem]}{SURNAME_ENDINGS[ending]}"
    rng = random.Random(f"{seed}/officer/{number}")
    role = rng.choice(ROLES).format(d=rng.choice(["Ukrainian", "Russian"]))
    return f"{rng.choice(RANKS)} {name}, {role},"


def article_cast(seed: int, index: int) -> list[str]:
    """The officers article `index` quotes: its own, and one of the article before's if
    it is a follow-up."""
    own = [
        _officer(seed, (index * CAST + member) * NAME_STRIDE % NAME_SPACE) for member in range(CAST)
    ]
    if index > 0 and random.Random(f"{seed}/follow-up/{index}").random() < FOLLOW_UP:
        return [article_cast(seed, index - 1)[0], *own]
    return own


def _speaker(rng: random.Random, cast: list[str]) -> str:
    if rng.random() < 0.5:
        return rng.choice(cast)
    return f"{rng.choice(STATES[:2])}'s defence ministry"


def _sentence(rng: random.Random, cast: list[str]) -> str:
    slots = _slots(rng)
    kind = rng.random()
    if kind < 0.45:
        fact = rng.choice(FIGURES).format(**slots).strip()
    elif kind < 0.8:
        fact = rng.choice(EVENTS).format(**slots)
    else:
        return rng.choice(CONTEXT).format(**slots)
    fact = fact[0].upper() + fact[1:]
    if rng.random() < 0.6:
        verb = rng.choice(VERBS).format(**slots)
        return f"{fact}, {_speaker(rng, cast)} {verb}."
    return f"{fact}."


def _length(rng: random.Random) -> int:
    """Words in the article: log-normal around 450, clipped to 200..1,500."""
    return int(min(MAX_WORDS, max(MIN_WORDS, rng.lognormvariate(6.1, 0.45))))


def article(seed: int, index: int) -> str:
    """The text of article `index` of the corpus of `seed`."""
    rng = random.Random(f"{seed}/{index}")
    cast = article_cast(seed, index)
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
    slots = _slots(rng)
    headline = rng.choice(
        [
            "{d} Forces Press On Near {place} as Losses Mount",
            "Fighting Flares Around {place} in {region}",
            "Allies Weigh New Aid as Front Near {place} Holds",
        ]
    ).format(**slots)
    lines = [
        headline,
        issued.isoformat(),
        f"Author: {rng.choice(FIRST)} {rng.choice(LAST)}",
    ]
    target, words, paragraph = _length(rng), 0, []
    while words < target:
        sentence = _sentence(rng, cast)
        paragraph.append(sentence)
        words += len(sentence.split())
        if len(paragraph) >= rng.randint(2, 5):
            lines.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append(" ".join(paragraph))
    lines.append(f"Original Source: www.{rng.choice(OUTLETS).lower().replace(' ', '')}.example")
    return "\n".join(lines) + "\n"


def write_corpus(out_dir: Path, articles: int, seed: int) -> int:
    """Write `articles` dispatches under `out_dir`; returns the number of words written."""
    total = 0
    for index in range(articles):
        folder = out_dir / f"{index // PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = article(seed, index)
        total += len(text.split())
        (folder / f"dispatch-{index:06d}.txt").write_text(text, encoding="utf-8")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    words = write_corpus(args.out_dir, args.articles, args.seed)
    print(f"wrote {args.articles:,} articles, {words:,} words, to {args.out_dir}")


if __name__ == "__main__":
    main()
