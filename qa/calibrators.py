"""A calibrator belongs to a reader: which one judges the drafts of the reader configured.

A calibrator is fitted on one reader's drafts (their signals and whether they were right), so it
is keyed by that reader's identity (its GGUF's sha256, or the model name a server is asked for)
and by a digest of what the signals are made of (the prompts and the signal code), as the index
signature is: a calibrator fitted for other prompts or signals is stale and is not used.

They are looked up in `QA_CALIBRATION` (a file, used as it is), then in the cache
(`~/.cache/article-qa/calibrators/`, where `python -m qa calibrate` writes), then among those
that ship with the package (`qa/calibrators/`, one per packaged reader). Where none matches, the
answerer shows every draft as unsure with its quote and says why (`Choice.note`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from . import confidence, prompts
from .confidence import Calibrator
from .files import sha256_file, write_atomic
from .models import PACKAGED_READERS, packaged_name
from .settings import Settings

PACKAGED_DIR = Path(__file__).with_name("calibrators")
COMMAND = "python -m qa calibrate --dev"


def reader_identity(settings: Settings) -> str:
    """Which reader writes the drafts: "gguf:<sha256>" for a packaged or local GGUF run by the
    engine or served under the packaged name, else the backend and the model's name."""
    model = settings.reader_model
    if model in PACKAGED_READERS and settings.reader_backend != "transformers":
        return f"gguf:{PACKAGED_READERS[model].sha256}"
    if settings.reader_url:
        return f"server:{model}"
    if model.endswith(".gguf") and Path(model).expanduser().is_file():
        return f"gguf:{_file_digest(Path(model).expanduser(), settings.cache_dir)}"
    return f"transformers:{model}"


def code_digest() -> str:
    """A digest of what a draft's signals are made of: the reader's prompts, the signal code,
    and how the served reader reads the first token's P(NOT FOUND). A change to any makes
    every calibrator fitted before it stale."""
    from .readers.served import ServedReader

    parts = [
        prompts.SYSTEM_PROMPT,
        prompts.INSTRUCTION,
        prompts.EXTRACT_INSTRUCTION,
        inspect.getsource(confidence.signals),
        inspect.getsource(ServedReader._decide),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Choice:
    """The calibrator for the configured reader (None where there is none), where it came
    from, and, without one, why: for the status line and `python -m qa calibrate`."""

    calibrator: Calibrator | None
    path: Path | None
    note: str = ""

    def thresholds(self, settings: Settings) -> tuple[float, float]:
        """The confidence a draft needs to be stated, and to be shown as unsure. Without a
        calibrator for this reader a draft is never stated, only shown as unsure (unless
        `min_confidence` is set: 0 states every cited draft)."""
        calibrator = self.calibrator
        confident = settings.min_confidence
        if confident < 0:
            confident = calibrator.threshold if calibrator else math.inf
        unsure = settings.min_unsure
        if unsure < 0:
            unsure = calibrator.unsure_threshold if calibrator else 0.0
        return confident, min(unsure, confident)


def find(settings: Settings) -> Choice:
    """The calibrator that matches the configured reader and today's signal code."""
    if settings.calibration:
        path = Path(settings.calibration).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"QA_CALIBRATION names no file: {path}")
        return Choice(Calibrator.load(path), path)
    identity, digest = reader_identity(settings), code_digest()
    stale = None
    for folder in (settings.cache_dir / "calibrators", PACKAGED_DIR):
        for path in sorted(folder.glob("*.json")):
            key = _key(path)
            if key.get("reader") != identity:
                continue
            if key.get("code") == digest:
                try:
                    return Choice(Calibrator.load(path), path)
                except (KeyError, ValueError, TypeError):  # damaged: fit another
                    pass
            stale = stale or path
    name = packaged_name(settings.reader_model) or settings.reader_model
    if stale is not None:
        why = (
            f"the calibrator for {name} ({stale}) was fitted for other prompts or signals, "
            "or cannot be read"
        )
    else:
        why = f"no calibrator has been fitted for the reader {name}"
    return Choice(
        None,
        None,
        f"{why}, so answers cannot be scored: every draft is shown as unsure, with its "
        f"quote. Run `{COMMAND}` to fit one (most of an hour on two cores).",
    )


def save(calibrator: Calibrator, settings: Settings, path: Path | None = None, **about) -> Path:
    """Write `calibrator` for the configured reader, keyed, into the cache (or `path`)."""
    identity = reader_identity(settings)
    if path is None:
        name = packaged_name(settings.reader_model) or Path(settings.reader_model).name
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "reader"
        tag = hashlib.sha256(identity.encode()).hexdigest()[:8]
        path = settings.cache_dir / "calibrators" / f"{slug}-{tag}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = {"reader": identity, "reader_model": settings.reader_model, "code": code_digest()}
    text = calibrator.dumps(**key, **about)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o644)
    return path


def _key(path: Path) -> dict:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _file_digest(path: Path, cache_dir: Path) -> str:
    """A large file's sha256, computed once per size and modification time (kept beside the
    calibrators), since a GGUF is a gigabyte."""
    stat = path.stat()
    memo = cache_dir / "calibrators" / "digests.json"
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    known = _key(memo)
    if key not in known:
        known[key] = sha256_file(path)
        memo.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(known, indent=1)
        write_atomic(memo, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o644)
    return known[key]
