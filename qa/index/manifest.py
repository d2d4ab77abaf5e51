"""The manifest: the one file that says which segment files make up the index.

`manifest.json` names the live segments and centroids with their size and sha256, the deleted
chunk ids and the article table, and is replaced atomically after the files it names are on
disk. Files of ours that it does not name are leftovers of a crash or of older generations.
"""

from __future__ import annotations

import contextlib
import json
import re
from operator import attrgetter
from pathlib import Path

from ..files import sha256_file, write_atomic
from ..store import ARTICLE_FIELDS, IndexCorrupt, IndexedArticle, article_record

MANIFEST = "manifest.json"
_OUR_FILES = re.compile(
    r"(seg-\d+\.(vectors\.npy|arrays\.npz|chunks\.jsonl)|centroids-\d+\.npy"
    r"|(vectors|chunks)-\d+\.(faiss|jsonl)|\..+\.tmp)"
)


def read_manifest(folder: Path) -> dict | None:
    """The saved manifest, None when there is none; `IndexCorrupt` when it is unreadable."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["signature"]  # noqa: B018 - a manifest without one is damaged
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"{path} is unreadable: {exc}") from exc
    return manifest


def verify(folder: Path, file: dict[str, object]) -> None:
    """Raise `IndexCorrupt` unless the named file has its recorded size and checksum."""
    path = folder / str(file["name"])
    if not path.exists() or path.stat().st_size != file["size"]:
        raise IndexCorrupt(f"Index file {path.name} is missing or truncated.")
    if sha256_file(path) != file["sha256"]:
        raise IndexCorrupt(f"Index file {path.name} does not match its checksum.")


def article_table(articles: dict[str, IndexedArticle]) -> dict[str, list]:
    """The article records by column: half the time of a dict per article at 20k articles."""
    rows = map(attrgetter(*ARTICLE_FIELDS), articles.values())
    columns = list(zip(*rows, strict=True)) or [()] * len(ARTICLE_FIELDS)
    return dict(zip(ARTICLE_FIELDS, map(list, columns), strict=True))


def read_articles(table: dict[str, list]) -> dict[str, IndexedArticle]:
    columns = [f for f in ARTICLE_FIELDS if f in table]
    rows = zip(*(table[f] for f in columns), strict=True)
    return {a.source: a for a in (article_record(dict(zip(columns, r, strict=True))) for r in rows)}


def write_manifest(folder: Path, manifest: dict) -> None:
    """Switch to `manifest`, then delete the files of ours that it does not name."""
    write_atomic(folder / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest), "utf-8"))
    named = {str(f["name"]) for s in manifest["segments"] for f in s["files"].values()}
    if manifest["centroids"]:
        named.add(str(manifest["centroids"]["name"]))
    for path in folder.iterdir():
        if _OUR_FILES.fullmatch(path.name) and path.name not in named:
            with contextlib.suppress(OSError):
                path.unlink()
