"""All configuration in one place: a dataclass whose fields can be overridden by env vars.

Every field `name` reads the environment variable `QA_<NAME>` (for example `QA_TOP_K=6`), so a
deployment changes behaviour without code; `Settings(...)` keyword arguments win over both.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from .converters import Limits

ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "article-qa"


@dataclass(frozen=True)
class Settings:
    # Where things live.
    articles_dir: Path = ROOT / "seeds"
    index_dir: Path = ROOT / "index"
    # Empty: the FAISS index in index_dir. A path ending in .db: Milvus Lite in that file; an
    # http://host:19530 URI: a Milvus server or cluster (see store.py).
    store: str = ""
    store_batch: int = 256  # passages embedded and written to Milvus at a time
    # False for a chat server that shares a store which another process fills (`python -m qa
    # index --store ...`): it answers from the store and never changes it.
    watch_folder: bool = True
    cache_dir: Path = field(default_factory=_default_cache_dir)

    # Models: a Hub id, a local folder or .gguf, or one of the packaged ones ("packaged:...":
    # the 1.5B reader, or qwen2.5-coder-0.5b-instruct with the `fast` extra). With a
    # `reader_url`, the name of the model the server is asked for.
    embed_model: str = "packaged:all-MiniLM-L6-v2"
    reader_model: str = "packaged:qwen2.5-coder-1.5b-instruct"
    # The dependency parser that says what a figure counts: a spaCy pipeline's name or folder.
    parser_model: str = "packaged:en_core_web_sm"
    # A reader server's OpenAI-compatible base URL (http://host:8080/v1: llama-server, Ollama,
    # vLLM, `python -m qa serve`); empty: the engine in this process (see readers/).
    reader_url: str = ""
    reader_api_key: str = ""  # sent as a bearer token to reader_url; required by `serve` if set
    reader_timeout: float = 120.0  # seconds a reader server may take to send the next piece
    # auto: the llama.cpp engine for a GGUF reader (the packaged ones are), else transformers.
    reader_backend: str = "auto"  # auto | engine | transformers: see readers/
    reader_dtype: str = "float32"  # transformers only: float32 | int8 | bfloat16
    reader_context: int = 4096  # the engine's context window per slot, in tokens
    # Questions the engine in this process reads at once (its parallel slots). On two CPU
    # cores one is as fast: reading a prompt is bound by arithmetic (docs/performance.md).
    reader_slots: int = 1
    threads: int = 0  # model threads; 0 keeps the backend's default (all cores)

    # Chunking.
    chunk_chars: int = 600
    chunk_overlap_sentences: int = 1

    # Retrieval.
    top_k: int = 8  # passages whose sentences are scored for the reader (see context.py)
    # The reader is given the best of those sentences with their neighbours, this many
    # characters in all: as much text as three whole passages, but the sentences that bear on
    # the question (half as much lost the 1.5B reader answers it had: docs/quality.md).
    context_chars: int = 1800
    # Passages read for a latest-state question and searched for other reports of a figure:
    # a newer or second report often matches the question's words less well (reports.py).
    wide_k: int = 16
    candidates: int = 20  # per retriever, before fusion
    rrf_k: int = 60
    # Dense search is exact below this many passages, IVF (approximate) above: see index/dense.py.
    ann_threshold: int = 50_000
    ivf_nprobe: int = 64  # IVF lists searched per query: recall against speed, see benchmarks/
    max_segments: int = 16  # more segments than this are merged into one
    # Below both of these, retrieval "found nothing relevant" and the model is not called.
    min_dense_score: float = 0.30
    min_keyword_hits: int = 2

    # Reader.
    max_new_tokens: int = 96
    # When the reply only restates the question, a second pass copies the answer words out of
    # the passages (pipeline._extract); a copy that runs to this many tokens is no answer.
    extract_pass: bool = True
    max_span_tokens: int = 20
    max_question_chars: int = 1000
    history_turns: int = 3
    # The reader declines when its probability of starting with NOT FOUND reaches this.
    decline_threshold: float = 0.5

    # Grounding: an answer sentence needs at least this support from one passage sentence.
    min_support: float = 0.5
    # Confidence: a cited draft is shown only when the calibrated probability that it is right
    # reaches `min_confidence` (see confidence.py); below 0, the threshold chosen with the
    # calibrator on the development questions; 0 shows every draft. `calibration` is a calibrator
    # file from `python -m qa calibrate`; empty: the one packaged for the packaged reader.
    min_confidence: float = -1.0
    # Below `min_confidence`, a draft whose confidence reaches this is shown as what the articles
    # may say, with its quote, but not stated (Answer.grade "unsure"); below 0, the calibrator's.
    min_unsure: float = -1.0
    calibration: str = ""
    # The reader's own check of a cited draft (probes.py): "agreement" (sampled replies).
    # Off by default: it raised the AUROC by about 0.03 at 4-5 s an answer (docs/quality.md); a
    # calibrator fitted with its signals (`calibrate --features`) needs it on.
    probes: str = ""
    agreement_samples: int = 4
    # Strict mode: the reader's P(yes) that the cited sentences say the answer must reach this,
    # else the bot abstains (see verification.py). 0, the default, skips the check: at 0.8 it
    # withheld six right answers on the dev set to stop four wrong ones (docs/quality.md).
    verify_threshold: float = 0.0
    # Answers told with their dates (timeline.py): "as of" for questions about the latest state,
    # each report's figure where dated reports differ, relative days resolved.
    dated_answers: bool = True

    # Files edited in place are noticed within this many seconds; files added, removed or
    # renamed at once (see documents.FolderScanner).
    rescan_seconds: float = 2.0

    # The app.
    max_upload_bytes: int = 2 * 1024 * 1024  # largest article file a user may add: 2 MB
    # Largest saved web page (.html) that is read, in the folder or added by link: 5 MB.
    max_page_bytes: int = 5 * 1024 * 1024
    # Largest PDF that is read, in the folder, uploaded or added by link: 20 MB.
    max_pdf_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 20.0  # seconds to wait for a page added by link, or a feed
    # Followed news feeds (feeds.py) are polled this often by the process that keeps the index,
    # and at most this many new items' pages are added per feed and poll.
    feed_minutes: float = 30.0
    feed_max_items: int = 20
    chat_concurrency: int = 1  # answers generated at once; further questions wait in a queue

    @property
    def limits(self) -> Limits:
        """The largest page and PDF that are read."""
        return Limits(self.max_page_bytes, self.max_pdf_bytes)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then `QA_*` environment variables, then explicit keyword overrides."""
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f"QA_{f.name.upper()}", raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("articles_dir", "index_dir", "cache_dir"):
            if name in values:
                values[name] = Path(values[name]).expanduser()  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


class SettingError(ValueError):
    """A `QA_*` variable whose value cannot be read as its setting's type."""


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _parse(name: str, raw: str, type_name: object) -> object:
    """`raw` as the setting's type; a value that is not one names the variable."""
    kind = str(type_name)
    value = raw.strip()
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a number ({kind})") from None
    if kind == "bool":
        if value.lower() not in _TRUE + _FALSE:
            raise SettingError(f"{name}={raw!r}: expected true or false (1/0, yes/no, on/off)")
        return value.lower() in _TRUE
    if kind == "Path":
        return Path(raw).expanduser()
    return raw
