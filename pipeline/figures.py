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
# Scale words of other languages, after a number written in digits ("85 milhões").
_FOREIGN_SCALES = {
    **dict.fromkeys(("mil", "tausend"), 1e3),
    **dict.fromkeys(("millions", "millionen", "millones", "millón", "milhões", "milhão", "milioni", "mio"), 1e6),
    **dict.fromkeys(("milliard", "milliards", "milliarde", "milliarden", "mrd", "bilhões", "bilhão", "miliardi"), 1e9),
}
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
    rf"(?P<cur>(?:\b[A-Z]{{1,2}})?[$€£¥]\s?)?"
    rf"(?P<num>(?<![\w.,:/-])(?:{_NUM}))"
    rf"(?:\s*[-–—]\s*(?P<num2>{_NUM}))?"
    rf"(?P<scale>\s*(?:thousand|million|billion|trillion|{'|'.join(_FOREIGN_SCALES)})(?!\w)|(?:k|m|mn|bn|tn|b)\b)?"
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
    why through across around near against between within without toward towards among along inside
    outside beyond via upon until till still already yet
    der die das des dem den und oder ist sind war waren wurde wurden hat haben mussten musste ihre ihren sich
    de le la les du et ou est sont était ont été sur pour par dans ne pas
    el los las y o es son fue fueron han ha por para en se
    o os as e ou é são foi foram tem têm devem deve ser em no na nos nas pelo pela
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

_MORE = frozenset("more additional other further extra new fewer".split())
_OF = frozenset("of de d’ d' des du di del von der da do dos das".split())
_ARTICLES = frozenset("the these those them les la le los las die der den dem ihnen".split())

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
    high: float | None = None  # the upper end of a range: "40–50" is 40 to 50


def _to_float(raw: str) -> float:
    raw = raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return float(raw.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw):  # 20.000 in German, French, Spanish
        return float(raw.replace(".", ""))
    return float(raw.replace(",", "."))


def words_to_number(words: str) -> float | None:
    """'twenty thousand' → 20000, 'one hundred and thirty' → 130, 'a dozen' → 12.

    None when the words do not spell one number ("seven eight", "a seven").
    """
    total = current = 0.0
    last = ""  # the kind of the previous word: a, one, ten, hundred, scale
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("and", ""):
            continue
        if word == "a":
            if last not in ("", "scale"):
                return None
            current, last = 1, "a"
        elif word == "dozen":
            current, last = (current or 1) * 12, "one"
        elif word in _ONES:
            if last in ("a", "one") or (last == "ten" and _ONES[word] >= 10):
                return None
            current, last = current + _ONES[word], "one"
        elif word in _TENS:
            if last in ("a", "one", "ten"):
                return None
            current, last = current + _TENS[word], "ten"
        elif word == "hundred":
            current, last = (current or 1) * 100, "hundred"
        elif word in _SCALE_WORDS:
            total += (current or 1) * _SCALE_WORDS[word]
            current, last = 0, "scale"
        else:
            return None
    if last in ("", "a"):
        return None
    return total + current


def _context(sentence: str, start: int, end: int) -> str | None:
    """What the figure counts: the words after it, else the noun before it."""
    after = _WORD_RE.findall(re.split(r"[,;:!?()\[\]\"“”]|\.(?:\s|$)", sentence[end:], maxsplit=1)[0])[:8]
    while after[:1] and after[0].lower() in _MORE:
        after = after[1:]  # "40 more captives" counts captives
    if after[:1] and after[0].lower() in _OF:
        after = after[1:]  # "1,5 million de personnes", "20,000 of the victims"
        while after[:1] and after[0].lower() in _ARTICLES:
            after = after[1:]
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


# Digits that are not quantities: phone numbers, clock times, ISO dates,
# identifiers such as "020 7946 0958" or "+1 (555) 010-4477".
_NOT_QUANTITY = re.compile(
    r"(?<![\w.,])(?:\+\d{1,3}[\s.-]?)?\(\d{2,4}\)[\s.-]?\d{2,5}(?:[\s.-]\d{2,5})+"
    r"|(?<![\w.,])\+\d{1,3}[\s.-]?\d{2,5}(?:[\s.-]\d{2,5})+"
    r"|(?<![\w.,])\d{2,5}(?:[\s.-]\d{2,5}){2,}(?![\w.,]\d)"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?\b"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:([ ,.\u202f\u00a0])\d{3})(?:\1\d{3})*")


def _masked(sentence: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NOT_QUANTITY.finditer(sentence):
        if not _THOUSANDS.fullmatch(m.group()):
            spans.append(m.span())
    return spans


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _digit_figure(sentence: str, m: re.Match[str]) -> Figure | None:
    raw = m.group("num")
    if _NOT_FIGURE_AFTER.match(sentence[m.end() :]) or _NOT_FIGURE_BEFORE.search(sentence[: m.start("num")]):
        return None
    if m.group("cur") is None and m.group("pct") is None and _is_year(raw, bool(m.group("qual"))):
        return None
    scale = (m.group("scale") or "").strip().lower()
    if scale in ("m", "b") and not m.group("cur"):
        return None  # "400m" is a distance more often than 400 million
    factor = _SCALE_WORDS.get(scale) or _FOREIGN_SCALES.get(scale) or _SCALE_SUFFIX.get(scale, 1.0)
    qual = m.group("qual")
    if qual and qual.strip().lower() == "at":
        qual = None  # "at 40" is a position, not a qualifier; it only stops "at" being context
    start = m.start("qual") if qual else m.start("cur") if m.group("cur") else m.start("num")
    high = _to_float(m.group("num2")) * factor if m.group("num2") else None
    return Figure(
        sentence[start : m.end()].strip(),
        _to_float(raw) * factor,
        qual.strip().lower() if qual else None,
        "%" if m.group("pct") else (m.group("cur") or "").strip() or None,
        _context(sentence, start, m.end()),
        start,
        m.end(),
        high,
    )


def _word_figure(sentence: str, m: re.Match[str]) -> Figure | None:
    words = m.group("words").strip()
    words_start = m.start("words")
    lead = re.match(r"(?:(?:a|and)\s+)+", words, re.IGNORECASE)
    if lead and not re.match(r"(?:a\s+)(?:hundred|dozen|thousand|million|billion)\b", words, re.IGNORECASE):
        words, words_start = words[lead.end() :], words_start + lead.end()
    words = re.sub(r"(?:[\s-]+(?:and|a))+$", "", words, flags=re.IGNORECASE)
    if not words or words.lower() in ("a", "one", "dozen", "and", "zero"):
        return None
    value = words_to_number(words)
    if value is None:
        return None
    qual = m.group("qual") if words_start == m.start("words") else None
    start = m.start("qual") if qual else words_start
    end = words_start + len(words)
    return Figure(
        sentence[start:end],
        value,
        qual.strip().lower() if qual else None,
        None,
        _context(sentence, start, end),
        start,
        end,
    )


def find_figures(sentence: str) -> list[Figure]:
    """Every figure in one sentence, in order."""
    masked = _masked(sentence)
    found: list[Figure] = []
    for m in FIGURE.finditer(sentence):
        if _overlaps(m.start("num"), m.end(), masked):
            continue
        figure = _digit_figure(sentence, m)
        if figure:
            found.append(figure)
    taken = [(f.start, f.end) for f in found]
    for m in WORD_FIGURE.finditer(sentence):
        figure = _word_figure(sentence, m)
        if figure and not _overlaps(figure.start, figure.end, taken):
            found.append(figure)
    return sorted(found, key=lambda f: f.start)


def _context_words(f: Figure) -> set[str]:
    return set((f.context or "").lower().split())


def _closeness(a: Figure, b: Figure) -> float:
    """How surely two figures count the same thing: shared context words first."""
    wa, wb = _context_words(a), _context_words(b)
    overlap = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    return 2 * overlap + (1.0 if a.value == b.value and a.high == b.high else 0.0)


def align_figures(old: list[Figure], new: list[Figure]) -> list[tuple[Figure, Figure]]:
    """Pair figures of two versions of one passage by what they count.

    Unchanged figures pair first, then figures sharing context words; what is
    left pairs in order only when both sides have the same number of figures
    of that unit (one figure edited in place). Reordered figures keep their own
    partners: "40 hostages and 130 captives" → "130 captives and 40 hostages"
    changes nothing.
    """
    scored = sorted(
        (
            (_closeness(a, b), -abs(i - j), i, j)
            for i, a in enumerate(old)
            for j, b in enumerate(new)
            if a.unit == b.unit
        ),
        reverse=True,
    )
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for score, _, i, j in scored:
        if score > 0 and i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    for unit in {f.unit for f in old}:
        left_old = [i for i, f in enumerate(old) if f.unit == unit and i not in pairs]
        left_new = [j for j, f in enumerate(new) if f.unit == unit and j not in used]
        if len(left_old) == len(left_new):
            pairs.update(zip(left_old, left_new, strict=True))
    return [(old[i], new[j]) for i, j in sorted(pairs.items())]
