"""A calibrator belongs to a reader: keyed by the reader and by the code its signals come from;
the packaged ones match today's code; none, or a stale one, is said."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qa import Settings, calibrators
from qa.confidence import FITTED, Calibrator
from qa.devrun import DEVSETS, SETS
from qa.evaluation import load_items
from qa.models import FAST_READER, PACKAGED_READER, PACKAGED_READERS


def _settings(tmp_path: Path, **changes) -> Settings:
    defaults = {
        "cache_dir": tmp_path,
        "calibration": "",
        "reader_url": "",
        "reader_backend": "auto",
    }
    return Settings.from_env(**{**defaults, **changes})


def test_a_reader_is_known_by_its_weights_or_its_served_name(tmp_path: Path):
    packaged = f"gguf:{PACKAGED_READERS[PACKAGED_READER].sha256}"
    assert calibrators.reader_identity(_settings(tmp_path)) == packaged
    url = "http://reader:8080/v1"
    assert calibrators.reader_identity(_settings(tmp_path, reader_url=url)) == packaged
    ollama = _settings(tmp_path, reader_url=url, reader_model="qwen2.5:7b")
    assert calibrators.reader_identity(ollama) == "server:qwen2.5:7b"
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF weights")
    mine = calibrators.reader_identity(_settings(tmp_path, reader_model=str(gguf)))
    assert mine.startswith("gguf:") and mine != packaged
    hub = _settings(tmp_path, reader_model="Qwen/Qwen2.5-7B-Instruct")
    assert calibrators.reader_identity(hub) == "transformers:Qwen/Qwen2.5-7B-Instruct"


@pytest.mark.parametrize("path", sorted(calibrators.PACKAGED_DIR.glob("*.json")), ids=str)
def test_each_packaged_calibrator_is_for_a_packaged_reader_and_todays_signals(path: Path):
    """A change to the prompts or the signal code makes these stale: refit them
    (`python -m qa calibrate --dev --out qa/calibrators/NAME.json` with each packaged reader)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    readers = {f"gguf:{r.sha256}": model for model, r in PACKAGED_READERS.items()}
    assert raw["reader"] in readers and raw["reader_model"] == readers[raw["reader"]]
    assert raw["code"] == calibrators.code_digest()
    assert 0 < raw["threshold"] < 1 and raw["unsure_threshold"] <= raw["threshold"]
    assert path.stem == PACKAGED_READERS[raw["reader_model"]].name


def test_the_packaged_readers_find_their_calibrators(tmp_path: Path):
    for model in (PACKAGED_READER, FAST_READER):
        choice = calibrators.find(_settings(tmp_path, reader_model=model))
        if choice.calibrator is None:
            assert model == FAST_READER, choice.note  # shipped only if it earns its place
            continue
        assert choice.path.parent == calibrators.PACKAGED_DIR and not choice.note


def test_a_reader_without_one_is_told_the_command_and_a_fitted_one_is_found(tmp_path: Path):
    other = _settings(tmp_path, reader_url="http://reader:8080/v1", reader_model="qwen2.5:7b")
    none = calibrators.find(other)
    assert none.calibrator is None and none.path is None
    assert "no calibrator" in none.note and calibrators.COMMAND in none.note
    fitted = Calibrator(FITTED, (0.0,) * 6, (1.0,) * 6, (0.1,) * 6, 0.0, 0.8, 0.2)
    path = calibrators.save(fitted, other, fitted_on=["dev"])
    assert path.parent == tmp_path / "calibrators"
    found = calibrators.find(other)
    assert found.calibrator == fitted and found.path == path
    # Another reader does not take it.
    assert calibrators.find(dataclasses.replace(other, reader_model="llama3")).calibrator is None


def test_a_calibrator_fitted_for_other_signals_is_stale(tmp_path: Path):
    settings = _settings(tmp_path, reader_url="http://reader:8080/v1", reader_model="m")
    fitted = Calibrator(FITTED, (0.0,) * 6, (1.0,) * 6, (0.1,) * 6, 0.0, 0.8, 0.2)
    path = calibrators.save(fitted, settings)
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**raw, "code": "0123456789abcdef"}), encoding="utf-8")
    choice = calibrators.find(settings)
    assert choice.calibrator is None and "other prompts or signals" in choice.note


def test_a_named_calibrator_file_is_used_as_it_is(tmp_path: Path):
    fitted = Calibrator(FITTED, (0.0,) * 6, (1.0,) * 6, (0.1,) * 6, 0.0, 0.8, 0.2)
    path = tmp_path / "mine.json"
    path.write_text(fitted.dumps(), encoding="utf-8")
    assert calibrators.find(_settings(tmp_path, calibration=str(path))).calibrator == fitted
    with pytest.raises(FileNotFoundError, match="QA_CALIBRATION"):
        calibrators.find(_settings(tmp_path, calibration=str(tmp_path / "none.json")))


def test_the_dev_sets_ship_mixed_like_real_use():
    """Mostly plain and paraphrased questions, about a fifth unanswerable, some follow-ups."""
    items = [item for name in SETS for item in load_items(DEVSETS / name)]
    assert len(items) >= 150
    for name, folder in SETS.items():
        sources = {p.name for p in (DEVSETS / folder).iterdir()}
        assert all(set(i.sources) <= sources for i in load_items(DEVSETS / name)), name
    kinds = [i.kind for i in items]
    plain = sum(k in ("factoid", "number", "date", "relation", "paraphrase") for k in kinds)
    unanswerable = sum(not i.answerable for i in items)
    assert plain / len(items) >= 0.6 and 0.15 <= unanswerable / len(items) <= 0.25
    assert kinds.count("followup") >= 10 and kinds.count("paraphrase") >= 30


@pytest.mark.slow
def test_a_dev_run_shows_progress_and_goes_on_where_it_was_stopped(
    tmp_path: Path, settings, monkeypatch
):
    from qa import devrun

    lines = (DEVSETS / "seeds_mixed_dev_qa.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "tiny_dev_qa.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    (tmp_path / "seeds").symlink_to(DEVSETS / "seeds", target_is_directory=True)
    monkeypatch.setattr(devrun, "DEVSETS", tmp_path)
    monkeypatch.setattr(devrun, "SETS", {"tiny_dev_qa.jsonl": "seeds"})
    run_settings = dataclasses.replace(settings, cache_dir=tmp_path / "cache")
    said: list[str] = []

    def stop_after_one(line: str) -> None:
        said.append(line)
        if line.startswith("[1/2]"):
            raise KeyboardInterrupt  # the person stops it

    with pytest.raises(KeyboardInterrupt):
        devrun.run(run_settings, stop_after_one)
    said.clear()
    results = devrun.run(run_settings, said.append)["tiny_dev_qa.jsonl"]
    asked = [line for line in said if line.startswith("[")]
    assert len(asked) == 1 and asked[0].startswith("[2/2]")  # the first was kept
    assert [r.id for r in results] == ["smd01", "smd02"] and all(r.signals for r in results)
    said.clear()
    devrun.run(run_settings, said.append, fresh=True)
    assert [line[:5] for line in said if line.startswith("[")] == ["[1/2]", "[2/2]"]
