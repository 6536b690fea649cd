"""Figures in article text: what number, how qualified, counting what.

"The ministry says over 20,000 Palestinians have died" holds one figure:
value 20000.0, qualifier "over", context "Palestinians died". Years, dates,
times, phone numbers and ordinals are not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|"
    "sep|sept|september|oct|october|nov|november|dec|december"
)
_QUALIFIERS = (
    "more than|less than|fewer than|greater than|at least|at most|up to|as many as|as few as|"
    "an estimated|estimated|nearly|almost|about|around|approximately|roughly|some|over|under|"
    "close to|just over|just under|well over|upwards of|exactly|only|at"
)
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_SUFFIX = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}

_ONES = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "one": 1,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD = "|".join(sorted([*_ONES, *_TENS, "hundred", *_SCALE_WORDS, "a", "and", "dozen"], key=len, reverse=True))

_NUM = r"\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
FIGURE = re.compile(
    rf"(?P<qual>\b(?:{_QUALIFIERS})\s+)?"
    rf"(?P<cur>[$€£¥])?"
    rf"(?P<num>(?<![\w.,:/-])(?:{_NUM}))"
    rf"(?:\s*[-–—]\s*(?P<num2>{_NUM}))?"
    rf"(?P<scale>\s*(?:thousand|million|billion|trillion)\b|(?:k|m|mn|bn|tn|b)\b)?"
    rf"(?P<pct>\s*%|\s+per ?cent\b|\s+percent\b)?"
    rf"(?![\w:]|[.,/]\d)",
    re.IGNORECASE,
)
WORD_FIGURE = re.compile(
    rf"(?P<qual>\b(?:{_QUALIFIERS})\s+)?(?P<words>\b(?:{_WORD})(?:[\s-]+(?:{_WORD}))*\b)",
    re.IGNORECASE,
)

_NOT_FIGURE_AFTER = re.compile(
    rf"^\s*(?:a\.?m\.?|p\.?m\.?|gmt|utc|bst|cet|et|est|edt|pt|hrs?\b|h\b|o'clock|(?:st|nd|rd|th)\b|(?:{_MONTHS})\b)",
    re.IGNORECASE,
)
_NOT_FIGURE_BEFORE = re.compile(rf"(?:\b(?:{_MONTHS})\.?|\bno\.|\bpage|\btel\.?|\bphone|\+|#)\s*$", re.IGNORECASE)

STOPWORDS = frozenset(
    """
    a an the of in on at to for from by with and or but as is are was were be been being has have
    had that which who whom whose this these those it its they their them he she his her we our you
    your said says say according since after before during than then there here into onto over under
    about will would could should may might can not no so if when where while more most less least
    some such also just only very per each every all any both either neither other another what how
    why
    """.split()
)
_LINKING = frozenset(
    """
    reaches reached reach rose rise rises risen climbs climbed climb stands stood stand hit hits
    topped tops passed passes exceeded exceeds exceed is was are were be been now to at of by has
    have had toll's stood surpassed surpasses jumped jumps fell falls dropped drops increased
    decreased grew
    """.split()
)
_COUNT_VERBS = frozenset(
    """
    killed dead died die injured wounded hurt displaced arrested detained missing held freed
    released evacuated rescued hospitalised hospitalized infected affected fled homeless abducted
    kidnapped taken captured executed deported sentenced fired laid employed hired
    """.split()
)

_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True)
class Figure:
    text: str  # as written, qualifier included: "over 20,000"
    value: float
    qualifier: str | None
    unit: str | None  # "%", currency symbol, or None for a count
    context: str | None
    start: int
    end: int


def _to_float(raw: str) -> float:
    raw = raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return float(raw.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw):  # 20.000 in German, French, Spanish
        return float(raw.replace(".", ""))
    return float(raw.replace(",", "."))


def words_to_number(words: str) -> float | None:
    """'twenty thousand' → 20000, 'one hundred and thirty' → 130, 'a dozen' → 12."""
    total = current = 0.0
    seen = False
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("and", ""):
            continue
        if word == "a":
            current = current or 1
            continue
        if word == "dozen":
            current = (current or 1) * 12
        elif word in _ONES:
            current += _ONES[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALE_WORDS:
            total += (current or 1) * _SCALE_WORDS[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _context(sentence: str, start: int, end: int) -> str | None:
    """What the figure counts: the words after it, else the noun before it."""
    after = _WORD_RE.findall(sentence[end:])[:8]
    noun: list[str] = []
    for word in after:
        if word.lower() in STOPWORDS or word.lower() in _COUNT_VERBS:
            break
        noun.append(word)
        if len(noun) == 3:
            break
    verb = next((w for w in after[:6] if w.lower() in _COUNT_VERBS), None)
    if noun:
        return " ".join(noun + ([verb] if verb else []))
    before = _WORD_RE.findall(sentence[:start])[-8:]
    while before and (before[-1].lower() in _LINKING or before[-1].lower() in STOPWORDS):
        before.pop()
    phrase: list[str] = []
    for word in reversed(before):
        if word.lower() in STOPWORDS or word.lower() in _LINKING:
            break
        phrase.insert(0, word)
        if len(phrase) == 3:
            break
    if phrase:
        return " ".join(phrase + ([verb] if verb else []))
    return verb


def _is_year(raw: str, has_qualifier: bool) -> bool:
    return not has_qualifier and bool(re.fullmatch(r"1[89]\d\d|20\d\d", raw))


def find_figures(sentence: str) -> list[Figure]:
    """Every figure in one sentence, in order."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for m in FIGURE.finditer(sentence):
        raw = m.group("num")
        if _NOT_FIGURE_AFTER.match(sentence[m.end() :]) or _NOT_FIGURE_BEFORE.search(sentence[: m.start("num")]):
            continue
        if m.group("cur") is None and m.group("pct") is None and _is_year(raw, bool(m.group("qual"))):
            continue
        if re.search(r"\d[\s-]\d{2,}[\s-]\d{2,}", sentence[m.start() : m.end() + 12]) and not m.group("scale"):
            continue  # a phone number or an identifier
        value = _to_float(raw)
        scale = (m.group("scale") or "").strip().lower()
        value *= _SCALE_WORDS.get(scale, _SCALE_SUFFIX.get(scale, 1.0))
        qual = m.group("qual")
        unit = "%" if m.group("pct") else m.group("cur")
        start = (
            m.start("qual")
            if qual and qual.strip().lower() != "at"
            else m.start("cur")
            if m.group("cur")
            else m.start("num")
        )
        if qual and qual.strip().lower() == "at":
            qual = None
        text = sentence[start : m.end()].strip()
        found.append(
            Figure(
                text,
                value,
                qual.strip().lower() if qual else None,
                unit,
                _context(sentence, start, m.end()),
                start,
                m.end(),
            )
        )
        taken.append((start, m.end()))
    for m in WORD_FIGURE.finditer(sentence):
        words = m.group("words").strip()
        if words.lower() in ("a", "and", "one", "a dozen and", "dozen") or words.lower().startswith("and"):
            continue
        words = re.sub(r"(?:\s+(?:and|a))+$", "", words, flags=re.IGNORECASE)
        word_value = words_to_number(words)
        if word_value is None or words.lower() in ("a", "one"):
            continue
        start = m.start("qual") if m.group("qual") else m.start("words")
        end = m.start("words") + len(words)
        if any(s < end and start < e for s, e in taken):
            continue
        qual = m.group("qual")
        found.append(
            Figure(
                sentence[start:end],
                word_value,
                qual.strip().lower() if qual else None,
                None,
                _context(sentence, start, end),
                start,
                end,
            )
        )
    return sorted(found, key=lambda f: f.start)
