"""What redline would store from one page, and what it left out and why (`redline inspect`).

It runs the crawl's own extraction (pipeline/extract.py) and asks it to report
what it pruned: blocks removed by an override, link blocks and teaser lists.
Whatever else of the page's text is not in the body was left out by the
extractor as boilerplate (navigation, footers, rails, promos it recognised).
Pure: HTML in, an :class:`Inspection` out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline import jsshell
from pipeline.extract import MIN_TEXT_CHARS, Pruned, SiteOverrides, extract, parse_page
from pipeline.normalise import normalise_line
from pipeline.sentences import comparable

_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "dd", "dt", "td", "th")
# Text shorter than this is a label or a button, not worth a line of the report.
MIN_REPORTED = 12


@dataclass
class Inspection:
    url: str | None
    title: str | None
    headlines: dict[str, str]
    byline: str | None
    published_at: str | None
    modified_at: str | None
    canonical_url: str | None
    paragraphs: list[str]
    pruned: list[dict[str, str]] = field(default_factory=list)
    overrides: dict[str, Any] | None = None
    verdict: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _blocks(html: str) -> list[str]:
    """The page's text blocks, innermost first, each once."""
    tree = parse_page(html)
    if tree is None:
        return []
    for node in tree.xpath("//script | //style | //noscript | //template | //head"):
        node.drop_tree()
    seen: set[str] = set()
    found = []
    for node in tree.iter(*_BLOCKS):
        if any(child.tag in _BLOCKS for child in node.iterdescendants()):
            continue
        text = normalise_line(node.text_content()) or ""
        if len(text) >= MIN_REPORTED and text not in seen:
            seen.add(text)
            found.append(text)
    return found


def inspect_page(html: str, url: str | None = None, overrides: SiteOverrides | None = None) -> Inspection:
    pruned: Pruned = []
    extracted = extract(html, url, overrides, pruned)
    body = comparable(extracted.text)
    report = [{"reason": reason, "text": text} for reason, text in pruned if text]
    accounted = [comparable(r["text"]) for r in report]
    for text in _blocks(html):
        key = comparable(text)
        if key in body or any(key in other for other in accounted):
            continue
        if any(key in comparable(h) for h in (extracted.title, *extracted.headlines.values()) if h):
            continue  # a headline, reported as one
        report.append({"reason": "boilerplate: left out by the extractor", "text": text})
    if extracted.is_empty:
        verdict = (
            f"empty_extraction: {len(extracted.text)} characters, under {MIN_TEXT_CHARS}; no version would be stored"
        )
        if jsshell.script_built(html):
            verdict += f"; {jsshell.HINT}"
    else:
        verdict = f"a version of {len(extracted.text)} characters"
    return Inspection(
        url=url,
        title=extracted.title,
        headlines=dict(extracted.headlines),
        byline=extracted.byline,
        published_at=extracted.published_at,
        modified_at=extracted.modified_at,
        canonical_url=extracted.canonical_url,
        paragraphs=[p for p in extracted.text.split("\n") if p.strip()],
        pruned=report,
        overrides=_as_mapping(overrides),
        verdict=verdict,
    )


def _as_mapping(overrides: SiteOverrides | None) -> dict[str, Any] | None:
    if overrides is None:
        return None
    data: dict[str, Any] = {k: v for k in ("body", "title", "byline") if (v := getattr(overrides, k))}
    if overrides.remove:
        data["remove"] = list(overrides.remove)
    return data or None


def toml_snippet(source_url: str, kind: str, overrides: dict[str, Any]) -> str:
    """The redline.toml lines that make a tried override permanent."""
    import json

    inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in overrides.items())
    return f'[[sources]]\nurl = "{source_url}"\nkind = "{kind}"\noverrides = {{{inner}}}\n'
