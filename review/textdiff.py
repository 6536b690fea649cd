"""Word diffs as people read them outside a browser: colour on a terminal,
wdiff-style markers everywhere else, and only the sentences around each change.

Off a terminal colour is dropped, and without markers a deletion runs into
the insertion after it (``says 20,05720,258 people``). Markers keep a piped or
saved diff readable and greppable::

    says [-20,057-]{+20,258+} people
"""

from __future__ import annotations

from rich.text import Text

from pipeline.diff import Segment, word_diff
from pipeline.sentences import sentence_starts
from review.inert import inert

DELETE_MARKERS = ("[-", "-]")
INSERT_MARKERS = ("{+", "+}")
STYLES = {"equal": "", "delete": "bold red strike", "insert": "bold green underline"}
GAP = "…"

Hunk = list[Segment]


def sentence_units(segments: list[Segment]) -> list[Hunk]:
    """The diff cut into sentences; only unchanged text is cut, so a change stays inside its sentence."""
    units: list[Hunk] = [[]]
    for seg in segments:
        if seg.op != "equal":
            units[-1].append(seg)
            continue
        pos = 0
        for cut in sentence_starts(seg.text):
            units[-1].append(Segment("equal", seg.text[pos:cut]))
            units.append([])
            pos = cut
        if pos < len(seg.text):
            units[-1].append(Segment("equal", seg.text[pos:]))
    return [u for u in units if u]


def hunks(segments: list[Segment], context: int | None) -> list[Hunk | None]:
    """The changed sentences with ``context`` sentences either side: runs of the diff, with
    None where sentences were left out (the whole diff as one run when ``context`` is None)."""
    if context is None:
        return [segments] if segments else []
    units = sentence_units(segments)
    changed = [i for i, unit in enumerate(units) if any(s.op != "equal" for s in unit)]
    keep = sorted({j for i in changed for j in range(max(0, i - context), min(len(units), i + context + 1))})
    out: list[Hunk | None] = []
    previous = -1
    for i in keep:
        if i != previous + 1:
            out.append(None)
        if i != previous + 1 or not out:
            out.append([])
        run = out[-1]
        assert run is not None
        run.extend(units[i])
        previous = i
    if keep and keep[-1] != len(units) - 1:
        out.append(None)
    return out


def elide(segments: list[Segment], keep: int = 30) -> list[Segment]:
    """Long unchanged runs shortened to ``keep`` characters beside each change."""
    out: list[Segment] = []
    for i, seg in enumerate(segments):
        text = seg.text
        if seg.op == "equal" and len(text) > 2 * keep + len(GAP):
            head = text[:keep] if i > 0 else ""
            tail = text[-keep:] if i < len(segments) - 1 else ""
            text = f"{head}{GAP}{tail}" if head or tail else text
        out.append(Segment(seg.op, text))
    return out


def marked(segments: list[Segment]) -> str:
    """Plain text with ``[-deleted-]`` and ``{+inserted+}`` markers."""
    parts = []
    for seg in segments:
        text = inert(seg.text)
        if seg.op == "delete":
            text = DELETE_MARKERS[0] + text + DELETE_MARKERS[1]
        elif seg.op == "insert":
            text = INSERT_MARKERS[0] + text + INSERT_MARKERS[1]
        parts.append(text)
    return "".join(parts)


def rich_diff(segments: list[Segment], *, markers: bool) -> Text:
    """The diff for a terminal (colour) or for anything else (markers)."""
    if markers:
        return Text(marked(segments))
    out = Text()
    for seg in segments:
        out.append(inert(seg.text), style=STYLES[seg.op])
    return out


def render_hunks(runs: list[Hunk | None], *, markers: bool) -> Text:
    """Runs of the diff, a line holding ``…`` wherever sentences were left out."""
    out = Text()
    for run in runs:
        if run is None:
            out.append(GAP + "\n", style="dim")
            continue
        text = rich_diff(run, markers=markers)
        text.rstrip()
        out.append_text(text)
        out.append("\n")
    out.rstrip()
    return out


def change_diff(old: str | None, new: str | None, *, markers: bool) -> Text:
    """One change record's old → new as one word diff, long unchanged stretches elided."""
    old_text, new_text = " ".join((old or "").split()), " ".join((new or "").split())
    return rich_diff(elide(word_diff(old_text, new_text)), markers=markers)
