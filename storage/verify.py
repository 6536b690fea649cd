"""`redline verify`: is every stored version still what was stored?

For each version: its text rebuilds through its delta chain to the SHA-1
recorded with it (storage/versiontext.py), and its WARC records (the raw page,
storage/warc.py) still match their own block and payload digests, the digest
and record id indexed beside them, and the version their metadata record names.
Each problem is named by article and version; one bad version never stops the
others being checked. The daemon runs a sample of this in housekeeping.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import versiontext, warc
from storage.models import Article, Version, WarcRecord

logger = logging.getLogger(__name__)

ARTICLE_BATCH = 500


@dataclass(frozen=True)
class Problem:
    article_id: int
    url: str
    seq: int | None
    what: str

    def line(self) -> str:
        where = f"version {self.seq}" if self.seq is not None else "article"
        return f"article {self.article_id} {self.url} {where}: {self.what}"


@dataclass
class Report:
    articles: int = 0
    versions: int = 0
    texts: int = 0  # texts rebuilt and matched to their hash
    warc_records: int = 0  # versions whose WARC records were checked
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "all match" if self.ok else f"{len(self.problems)} problem(s)"
        return (
            f"checked {self.versions} version(s) of {self.articles} article(s): "
            f"{self.texts} text(s), {self.warc_records} WARC record set(s); {verdict}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "versions": self.versions,
            "texts": self.texts,
            "warc_records": self.warc_records,
            "problems": [
                {"article_id": p.article_id, "url": p.url, "version": p.seq, "problem": p.what} for p in self.problems
            ],
            "ok": self.ok,
        }


def verify(session: Session, *, sample: int | None = None) -> Report:
    """Check every version (or ``sample`` versions picked at random)."""
    report = Report()
    for article_id, url, seqs in _targets(session, sample):
        report.articles += 1
        check_article(session, article_id, url, seqs, report)
    return report


def _targets(session: Session, sample: int | None) -> Iterator[tuple[int, str, set[int] | None]]:
    if sample is not None:
        yield from _sampled(session, sample)
        return
    last = 0
    while True:
        rows = session.execute(
            select(Article.id, Article.url).where(Article.id > last).order_by(Article.id).limit(ARTICLE_BATCH)
        ).all()
        if not rows:
            return
        for article_id, url in rows:
            yield article_id, url, None
        last = rows[-1].id


def _sampled(session: Session, sample: int) -> Iterator[tuple[int, str, set[int] | None]]:
    """About ``sample`` versions at random: the first version at or after each of
    ``sample`` random ids, each one primary-key lookup (ORDER BY random() would
    read and sort every version, every housekeeping)."""
    top = session.scalar(select(func.max(Version.id)))
    if not top:
        return
    rng = random.Random()
    by_article: dict[tuple[int, str], set[int]] = {}
    for start in rng.sample(range(1, top + 1), min(sample, top)):
        row = session.execute(
            select(Version.article_id, Article.url, Version.seq)
            .join(Article, Article.id == Version.article_id)
            .where(Version.id >= start)
            .order_by(Version.id)
            .limit(1)
        ).first()
        if row is not None:
            by_article.setdefault((row.article_id, row.url), set()).add(row.seq)
    for (article_id, url), seqs in sorted(by_article.items()):
        yield article_id, url, seqs


def check_article(session: Session, article_id: int, url: str, seqs: Collection[int] | None, report: Report) -> None:
    """Check the versions ``seqs`` of one article (None: all of them) into ``report``."""
    rows = session.execute(
        select(
            Version.id,
            Version.seq,
            Version.text_z,
            Version.text_delta,
            Version.text_sha1,
            Version.content_hash,
        )
        .where(Version.article_id == article_id)
        .order_by(Version.seq)
    ).all()
    wanted = [r for r in rows if seqs is None or r.seq in seqs]
    report.versions += len(wanted)

    def problem(seq: int | None, what: str) -> None:
        report.problems.append(Problem(article_id, url, seq, what))

    stored = [versiontext.Stored(r.seq, r.text_z, r.text_delta, r.text_sha1) for r in rows]
    for seq, error in _rebuild_each(stored, [r.seq for r in wanted]):
        if error is None:
            report.texts += 1
        else:
            problem(seq, error)
    by_id = {r.id: r for r in wanted}
    if not by_id:
        return
    fragments = session.execute(
        select(WarcRecord.version_id, WarcRecord.record_id, WarcRecord.payload_digest, WarcRecord.warc_gz).where(
            WarcRecord.version_id.in_(list(by_id))
        )
    )
    for version_id, record_id, payload_digest, data in fragments:
        row = by_id[version_id]
        report.warc_records += 1
        expected = {
            "redline_article_id": article_id,
            "version": row.seq,
            "content_hash": row.content_hash,
            "text_sha1": row.text_sha1,
        }
        for what in check_fragment(data, record_id, payload_digest, expected):
            problem(row.seq, what)


def _rebuild_each(stored: list[versiontext.Stored], seqs: list[int]) -> Iterator[tuple[int, str | None]]:
    """(seq, None) for each of ``seqs`` whose text rebuilds to its hash, else (seq, why)."""
    try:
        texts = versiontext.rebuild(stored, wanted=set(seqs)) if stored else {}
    except versiontext.CorruptText:
        texts = None  # somewhere on the chain: find which, one version at a time
    for seq in seqs:
        if texts is not None and seq in texts:
            yield seq, None
            continue
        try:
            versiontext.rebuild(versiontext.chain_to(stored, seq), wanted={seq})
        except versiontext.CorruptText as exc:
            yield seq, str(exc).removeprefix(f"version {seq}: ")
        else:
            yield seq, None


def check_fragment(data: bytes, record_id: str, payload_digest: str, expected: dict[str, Any]) -> list[str]:
    """What is wrong with one version's WARC records (empty: nothing)."""
    problems: list[str] = []
    main_id = main_digest = None
    link: dict[str, Any] | None = None
    try:
        for record, content in warc.records(data, check=True):
            kind = record.rec_type
            checker = record.digest_checker
            if checker.passed is False:
                problems.extend(f"WARC {kind} record: {p}" for p in checker.problems)
            if kind in ("response", "resource"):
                main_id = record.rec_headers.get_header("WARC-Record-ID")
                main_digest = record.rec_headers.get_header("WARC-Payload-Digest")
            elif kind == "metadata":
                link = json.loads(content)
    except Exception as exc:  # a damaged gzip member, a cut record: warcio raises many kinds
        return [*problems, f"WARC records unreadable ({type(exc).__name__}: {exc})"]
    if main_id is None:
        problems.append("WARC records hold no response or resource record")
    elif main_id != record_id or main_digest != payload_digest:
        problems.append("WARC response record is not the one indexed for this version (record id or payload digest)")
    if link is None:
        problems.append("WARC records hold no metadata record linking them to the version")
    else:
        wrong = sorted(k for k, v in expected.items() if link.get(k) != v)
        if wrong:
            problems.append(f"WARC metadata record names another version ({', '.join(wrong)} differ)")
    return problems
