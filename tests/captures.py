"""The real captures of ../shared/realrevisions: consecutive versions of real pages.

The bundle is cloned into a temporary directory (git needs no network for
that); a page is used only when its ``<link rel="canonical">`` is the same in
every version (the crawler's file names sometimes collide).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent.parent.parent / "shared" / "realrevisions" / "foxnews.bundle"
_CANONICAL = re.compile(rb'<link[^>]+rel=["\']?canonical["\']?[^>]*>', re.IGNORECASE)


@dataclass
class Capture:
    path: str
    url: str
    versions: list[bytes]  # distinct consecutive versions, capture order


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _canonical(html: bytes) -> bytes | None:
    found = _CANONICAL.search(html)
    if found is None:
        return None
    href = re.search(rb'href=["\']([^"\']+)', found.group())
    return href.group(1) if href else None


def captures(limit: int | None = None) -> Iterator[Capture]:
    """Every page with two or more distinct versions, oldest version first."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "captures"
        subprocess.run(["git", "clone", "-q", str(BUNDLE), str(repo)], check=True, capture_output=True)
        commits = _git(repo, "rev-list", "--reverse", "HEAD").split()
        blobs: dict[str, list[str]] = {}
        for commit in commits:
            for line in _git(repo, "ls-tree", "-r", commit).splitlines():
                meta, path = line.split("\t", 1)
                if path.endswith(".html"):
                    seq = blobs.setdefault(path, [])
                    blob = meta.split()[2]
                    if not seq or seq[-1] != blob:
                        seq.append(blob)
        reader = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert reader.stdin is not None and reader.stdout is not None

        def read(blob: str) -> bytes:
            reader.stdin.write(blob.encode() + b"\n")  # type: ignore[union-attr]
            reader.stdin.flush()  # type: ignore[union-attr]
            size = int(reader.stdout.readline().split()[2])  # type: ignore[union-attr]
            data = reader.stdout.read(size)  # type: ignore[union-attr]
            reader.stdout.read(1)  # type: ignore[union-attr]
            return data

        try:
            done = 0
            for path, seq in sorted(blobs.items()):
                if len(seq) < 2:
                    continue
                versions = [read(b) for b in seq]
                canon = {_canonical(v) for v in versions}
                if len(canon) != 1 or None in canon:
                    continue
                yield Capture(path, (canon.pop() or b"").decode("latin-1"), versions)
                done += 1
                if limit is not None and done >= limit:
                    return
        finally:
            reader.stdin.close()
            reader.wait()
