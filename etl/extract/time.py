"""Stated times: the text as written, and a calendar value when the text supports one.

Resolution uses the article's date when it is known and never invents one:

| stated                                  | resolved to (xsd)                       |
| --------------------------------------- | --------------------------------------- |
| "12 November 2024", "2024-11-12"        | that date (date)                        |
| "October 2024"                          | that month (gYearMonth)                 |
| "2024"                                  | that year (gYear)                       |
| "January", "mid-October", "since May"   | the latest such month up to the article date   |
|                                         | (gYearMonth)                                   |
| "Monday", "on Tuesday"                  | the latest such weekday up to the article date |
|                                         | (date)                                         |
| "yesterday", "today"                    | relative to the article date (date)     |
| "last summer", "last year"              | the year meant (gYear)                  |

Anything else keeps its text only.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from ..nlp import doc_text, sentence_ents

MONTHS = {
    name: i
    for i, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {
    name: i
    for i, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
}
SEASONS = {"spring": 4, "summer": 7, "autumn": 10, "fall": 10, "winter": 1}
LEADING_WORDS = {
    "since",
    "in",
    "as",
    "of",
    "by",
    "until",
    "till",
    "from",
    "during",
    "through",
    "before",
    "after",
    "on",
    "at",
    "earlier",
    "late",
    "early",
    "mid",
}


def resolve(text: str, issued: date | None) -> str | None:
    """The ISO lexical form (date, year-month or year) of a stated time, or None."""
    lowered = text.lower().replace("mid-", "").replace("’", "'")
    words = re.findall(r"[a-z]+|\d+", lowered)
    years = [int(w) for w in words if re.fullmatch(r"(19|20)\d\d", w)]
    months = [MONTHS[w] for w in words if w in MONTHS]
    days = [int(w) for w in words if re.fullmatch(r"\d{1,2}", w) and 1 <= int(w) <= 31]
    if iso := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", lowered):
        return iso.group(0)
    if years and months and days:
        return _safe_date(years[0], months[0], days[0])
    if years and months:
        return f"{years[0]:04d}-{months[0]:02d}"
    if years:
        return f"{years[0]:04d}"
    if issued is None:
        return None
    if months:
        month = months[0]
        year = issued.year if month <= issued.month else issued.year - 1
        if days:
            return _safe_date(year, month, days[0])
        return f"{year:04d}-{month:02d}"
    for word in words:
        if word in WEEKDAYS:
            back = (issued.weekday() - WEEKDAYS[word]) % 7
            return (issued - timedelta(days=back)).isoformat()
    if "yesterday" in words:
        return (issued - timedelta(days=1)).isoformat()
    if "today" in words:
        return issued.isoformat()
    if "last" in words:
        if "year" in words:
            return f"{issued.year - 1:04d}"
        for season, month in SEASONS.items():
            if season in words:
                return f"{issued.year if month < issued.month - 2 else issued.year - 1:04d}"
    if "this" in words and "year" in words:
        return f"{issued.year:04d}"
    return None


def _safe_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _is_duration(ent: SpacySpan) -> bool:
    """'three years', 'a decade-spanning', 'recent months': spans of time, not times."""
    lowered = ent.text.lower()
    if re.search(r"\b(ago|last|next|this|since|of)\b", lowered):
        return False
    if re.search(r"\b(months|years|weeks|days|decades|hours)\b", lowered):
        return True
    return bool(
        re.fullmatch(r"(a|an|one|two|three|four|five|six|\d+)[ -]\w+", lowered)
    ) and not re.search("|".join(MONTHS), lowered)


def stated_time(doc: Doc, ent: SpacySpan) -> tuple[int, int]:
    """The character span of a DATE entity widened to 'since January', 'in October alone'."""
    start, end = ent.start, ent.end
    while start > ent.sent.start and doc[start - 1].lower_ in LEADING_WORDS:
        start -= 1
    if end < len(doc) and doc[end].lower_ == "alone":
        end += 1
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def time_near(
    doc: Doc, sent: SpacySpan, position: int, issued: object = None
) -> tuple[str | None, str | None]:
    """The stated time of the sentence closest to `position`, and its resolved value."""
    candidates = [e for e in sentence_ents(sent) if e.label_ == "DATE" and not _is_duration(e)]
    if not candidates:
        return None, None
    ent = min(candidates, key=lambda e: abs(e.start_char - position))
    begin, end = stated_time(doc, ent)
    text = doc_text(doc)[begin:end]
    return text, resolve(ent.text, issued if isinstance(issued, date) else None)
