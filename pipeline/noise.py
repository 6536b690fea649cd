"""What is not an edit: reading furniture, date lines, site boilerplate; and
what is a signal: correction and update notes.

All pure functions on sentences. A sentence that only a page template put
there (a relative time, a view counter, a line every article of the site
carries) is stored as ``metadata`` and never reaches a reporter's list.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from pipeline.sentences import comparable, split_sentences

_RELATIVE_TIME = re.compile(
    r"\b(?:\d+|an?|one|few)\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago\b"
    r"|\bjust now\b|\byesterday at\b|\bposted\b|\bviews?\b|\bcomments?\b"
    r"|\b\d+\s*(?:min(?:ute)?s?)\s+(?:read|listen|watch)\b|\breading time\b|\bread time\b"
    r"|^\W*\d[\d,.]*\s*[kKmM]?\s+(?:comments?|views?|shares?|reactions?|likes?|replies|responses|reads)\W*$"
    r"|^\W*(?:comments?|views?|shares?)\s*[:(]?\s*\d[\d,.]*\s*[kKmM]?\W*$"
    r"|\bvor\s+\d+\s+(?:minuten|stunden|tagen)\b|\bil y a\s+\d+\s+(?:minutes?|heures?|jours?)\b"
    r"|\bhace\s+\d+\s+(?:minutos?|horas?|días?)\b|\bhá\s+\d+\s+(?:minutos?|horas?|dias?)\b",
    re.IGNORECASE,
)

_NOTE_WORDS = (
    r"correction|corrections|clarification|editor'?s note|update|updated|note"
    r"|korrektur|berichtigung|aktualisierung|aktualisiert|correctif|rectificatif|mise à jour|mis à jour"
    r"|corrección|fe de errores|actualización|actualizado|correção|atualização|atualizado"
    r"|rettifica|aggiornamento|aggiornato|исправление|обновлено|обновление"
)
# A correction note: branches that can only match where the sentence starts,
# and phrases that may stand anywhere in it.
_NOTE_AT_START = (
    rf"^\W*(?:{_NOTE_WORDS})\s*(?:\([^)]*\)\s*)?[:—–-]",
    r"^\W*(?:updated|last updated|corrected|amended)\s+(?:at|on)\b",
    r"^\W*(?:updated|last updated)\s+\d",
)
_NOTE_ANYWHERE = (
    r"\ban earlier version of this (?:article|story|report|post|piece)\b",
    r"\bthis (?:article|story|report|post|piece) (?:has been|was) (?:updated|corrected|amended|changed)\b",
    r"\bthis (?:article|story|report|post|piece) (?:has been|was) (?:updated|corrected|amended) (?:to|on|at)\b",
    r"\b(?:we|the (?:article|story)) (?:previously|originally|incorrectly) (?:reported|stated|said)\b",
)
_CORRECTION_AT_START = re.compile("|".join(_NOTE_AT_START), re.IGNORECASE)
_CORRECTION_ANYWHERE = re.compile("|".join(_NOTE_ANYWHERE), re.IGNORECASE)
# Words every phrase of _NOTE_ANYWHERE contains, lower-cased. A sentence
# without one of them cannot match it: a substring test is a fraction of the
# regex's walk over every position (classifying a new version ran the regex
# once per paragraph, 1.1 of its 2.7 ms). IGNORECASE matches an ASCII letter
# of the pattern with its two cases and with only these four other letters
# (the re module's documentation): where none of them is, lower() finds what
# the regex would.
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"  # İ ı ſ K (Kelvin)
_ANYWHERE_WORDS = (
    "an earlier version of this ",
    "this article ",
    "this story ",
    "this report ",
    "this post ",
    "this piece ",
    "previously ",
    "originally ",
    "incorrectly ",
)


def _note_words(sentence: str) -> bool:
    """Whether ``sentence`` matches any branch of _NOTE_AT_START or _NOTE_ANYWHERE
    (one regex of them all is what tests/test_noise.py holds this to), the
    start-only branches tried once, the others only where their words are there."""
    if _CORRECTION_AT_START.match(sentence):
        return True
    if sentence.isascii() or not any(c in sentence for c in _FOLDS_TO_ASCII):
        lowered = sentence.lower()
        if not any(word in lowered for word in _ANYWHERE_WORDS):
            return False
    return bool(_CORRECTION_ANYWHERE.search(sentence))


_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août"
    r"|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
    r"|octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro"
)
MONTHS = _MONTHS  # month names and abbreviations, as one regex alternation (no group)
_DAYS = r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
_DATE_FILLER = re.compile(
    rf"\b(?:{_MONTHS}|{_DAYS}|published|posted|first published|on|at|am|pm|a\.m|p\.m|gmt|utc|bst|cet|cest"
    r"|est|edt|cst|pst|pdt|et|pt|ist|jst|kst|de|du|le|um|am|uhr|h|publicado|publié|veröffentlicht)\b"
    r"|\d+(?:st|nd|rd|th)?\b|[^\w\s]",
    re.IGNORECASE,
)


def is_metadata(sentence: str) -> bool:
    """Reading furniture: relative times, reading time, counters, bare date lines.

    Only a line that is little else: "seen 20 minutes ago near the station" in
    a sentence of the story is reporting, not furniture.
    """
    if not _RELATIVE_TIME.search(sentence):
        return is_date_line(sentence)
    rest = _DATE_FILLER.sub(" ", _RELATIVE_TIME.sub(" ", sentence))
    return len(re.findall(r"[^\W\d_]+", rest)) <= 2


_DATE_EVIDENCE = re.compile(rf"\b(?:{_MONTHS})\b|\d:\d\d|\d[/.-]\d", re.IGNORECASE)
_UPDATE_WORD = re.compile(
    r"\b(?:last updated|updated|modified|aktualisiert|mis à jour|actualizado|atualizado|aggiornato|обновлено)\b",
    re.IGNORECASE,
)


def _only_dates(sentence: str) -> bool:
    if len(sentence) > 100 or not _DATE_EVIDENCE.search(sentence):
        return False
    return not _DATE_FILLER.sub(" ", sentence).strip()


def is_date_line(sentence: str) -> bool:
    """A line that only states when it was published: "Published 10:32 GMT, 25 Nov 2026"."""
    return not _UPDATE_WORD.search(sentence) and _only_dates(sentence)


def is_update_line(sentence: str) -> bool:
    """A visible update stamp: "Updated 10:32 GMT", "Published 24 Nov, updated 25 Nov 2026"."""
    return bool(_UPDATE_WORD.search(sentence)) and _only_dates(_UPDATE_WORD.sub(" ", sentence))


def is_correction(sentence: str) -> bool:
    """A correction or update note addressed to readers: words, not just a date.

    A visible update stamp ("UPDATED: Tue., Nov. 19, 2019") only says when; it is
    a modified-date signal (:func:`is_update_line`), never a correction."""
    return _note_words(sentence) and not is_update_line(sentence)


# A site's boilerplate: a sentence carried by at least this many other
# articles of the same site is template text, not reporting.
BOILERPLATE_MIN_ARTICLES = 3


@functools.lru_cache(maxsize=256)
def _sentence_set(text: str) -> frozenset[str]:
    # Every new version re-reads the same 40 sibling articles, which mostly
    # have not changed since: each distinct text is split once per process.
    return frozenset(comparable(s) for s in split_sentences(text))


def learn_boilerplate(texts: Iterable[str], min_articles: int = BOILERPLATE_MIN_ARTICLES) -> dict[str, str]:
    """Sentences that recur across articles of one site, with the reason.

    ``texts`` holds one string per *other* article (join several versions of
    one article into one string so a line that changed the same way on every
    article counts once per article, on both its old and new wording).
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_sentence_set(text))
    return {
        sentence: f"site boilerplate: on {n} other articles of this site"
        for sentence, n in counts.items()
        if n >= min_articles
    }
