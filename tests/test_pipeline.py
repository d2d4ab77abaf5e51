"""End to end with the real reader: answers, citations, abstention, bad input."""

import dataclasses
from pathlib import Path

import pytest

from qa import QA
from qa.documents import load_articles

pytestmark = pytest.mark.slow


def _article_texts(qa: QA) -> dict[str, str]:
    return {a.source: a.text for a in load_articles(qa.settings.articles_dir)[0]}


def _assert_verbatim(qa: QA, result) -> None:
    texts = _article_texts(qa)
    for c in result.citations:
        assert texts[c.source][c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "expected", "source"),
    [
        ("What did Elon Musk say about the TikTok ban?", "free speech", "000_2cbac0f5d2d1e101.txt"),
        (
            "What share of global GDP do APEC economies account for?",
            "62",
            "003_aeeab2822e5e7b66.txt",
        ),
    ],
)
def test_seed_questions_are_answered_with_verbatim_citations(seed_qa, question, expected, source):
    result = seed_qa.answer(question)
    assert not result.abstained, result
    assert expected in result.text.lower()
    assert result.citations and result.citations[0].source == source
    assert "[1]" in result.text
    assert result.citations[0].title == seed_qa.index.articles[source].title
    _assert_verbatim(seed_qa, result)


def test_off_topic_question_abstains_without_calling_the_model(seed_qa, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the reader must not be called")

    monkeypatch.setattr(seed_qa.reader, "stream", no_model)
    result = seed_qa.answer("What is the capital of Australia?")
    assert result.abstained and not result.citations
    assert "articles don't cover" in result.text


def test_near_miss_question_abstains(seed_qa):
    result = seed_qa.answer("What was the population of Malta at the time of the talks?")
    assert result.abstained and not result.citations


def test_follow_up_is_rewritten_and_answered(seed_qa):
    history = [("How many member economies does APEC have?", "APEC has 21 member economies.")]
    result = seed_qa.answer("What share of global GDP do they account for?", history=history)
    assert "apec" in result.standalone_question.lower()
    assert not result.abstained and "62" in result.text
    _assert_verbatim(seed_qa, result)


def test_self_contained_question_is_not_rewritten(seed_qa, monkeypatch):
    monkeypatch.setattr(seed_qa.reader, "stream", lambda *a, **k: iter(["NOT FOUND"]))
    q = "What did Musk say about X being blocked in China?"
    result = seed_qa.answer(q, history=[("Who is Han Zheng?", "China's vice president.")])
    assert result.standalone_question == q


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Please type a question"),
        ("   \n", "Please type a question"),
        ("?!...", "in words"),
        ("x" * 100_000, "limit is"),
    ],
)
def test_bad_questions_get_a_clear_message(seed_qa, question, message):
    result = seed_qa.answer(question)
    assert result.abstained and result.reason == "invalid_question"
    assert message in result.text


def test_stream_shows_sources_before_the_answer(seed_qa):
    kinds = [u.kind for u in seed_qa.stream("Who followed Blinken to Beijing?")]
    assert kinds.index("sources") < kinds.index("token") < kinds.index("answer")
    assert kinds[-1] == "answer"


def test_new_article_is_seen_by_the_next_question(articles_dir: Path, tmp_path: Path):
    qa = QA(articles_dir, tmp_path / "index", progress=lambda _: None)
    (articles_dir / "penguins.txt").write_text(
        "Penguin colony elects mayor\n"
        "The penguin colony of Zanzibarra elected a penguin named Pingu as its mayor on Tuesday.\n",
        encoding="utf-8",
    )
    result = qa.answer("Who did the Zanzibarra penguin colony elect as mayor?")
    assert not result.abstained and "pingu" in result.text.lower()
    assert result.citations[0].source == "penguins.txt"
    (articles_dir / "penguins.txt").unlink()
    result = qa.answer("Who did the Zanzibarra penguin colony elect as mayor?")
    assert result.abstained
    assert all(p.chunk.source != "penguins.txt" for p in result.passages)


def test_empty_folder_gives_a_clear_message(tmp_path: Path):
    (tmp_path / "articles").mkdir()
    qa = QA(tmp_path / "articles", tmp_path / "index", progress=lambda _: None)
    result = qa.answer("Where did they meet?")
    assert result.abstained and "No articles are indexed" in result.text


def test_a_draft_below_the_confidence_threshold_is_withheld(seed_qa, monkeypatch):
    question = "What share of global GDP do APEC economies account for?"
    assert seed_qa.calibrator is not None  # the packaged one
    unsure = dataclasses.replace(seed_qa.settings, min_confidence=1.01, min_unsure=0.0)
    monkeypatch.setattr(seed_qa, "settings", unsure)  # nothing is confident: shown as unsure
    maybe = seed_qa.answer(question)
    assert maybe.grade == "unsure" and maybe.abstained and maybe.citations
    assert maybe.text.startswith("The articles may say:") and "62" in maybe.draft
    unsure = dataclasses.replace(unsure, min_unsure=1.01)  # nor unsure: withheld
    monkeypatch.setattr(seed_qa, "settings", unsure)
    withheld = seed_qa.answer(question)
    assert withheld.abstained and withheld.reason == "low_confidence"
    assert not withheld.citations and "62" in withheld.draft
    assert 0.0 < withheld.confidence < 1.0
    assert set(seed_qa.calibrator.features) <= set(withheld.signals)

    monkeypatch.setattr(seed_qa, "settings", dataclasses.replace(unsure, min_confidence=0.0))
    shown = seed_qa.answer(question)
    assert not shown.abstained and shown.confidence == withheld.confidence and not shown.draft


def test_a_reply_that_restates_the_question_gets_a_second_extractive_pass(seed_qa):
    """A draft that only restates the question (which of them the reader restates changes with
    what it reads, so the draft is given here) goes to the second pass, which copies the answer
    words out of the passages."""
    from qa import Answer

    question = "Who was Han Zheng's predecessor as vice president?"
    passages = seed_qa.retrieve(question)
    restated = "Han Zheng's predecessor as vice president was the vice president before him."
    drafted = Answer(question, "", [], question, passages, reply=restated)
    result = seed_qa.answerer._extract(drafted)
    assert result is not None and not result.abstained and "wang qishan" in result.text.lower()
    assert result.reply.strip() in " ".join(p.chunk.text for p in result.passages)  # copied
    assert "Wang Qishan" in result.citations[0].quote
    _assert_verbatim(seed_qa, result)


def test_warm_up_indexes_while_the_reader_loads_and_raises_its_failure(
    articles_dir: Path, tmp_path: Path
):
    """The reader loads in another thread alongside indexing; a reader that cannot load fails
    the warm-up with its own message once the index is built."""
    from qa import Settings
    from qa.models import ModelUnavailable

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    settings = Settings.from_env(reader_model=str(broken), reader_url="")
    qa = QA(articles_dir, tmp_path / "index", settings, progress=lambda _: None)
    with pytest.raises(ModelUnavailable, match="Cannot load the reader model"):
        qa.warm_up()
    assert len(qa.index.articles) == len(list(articles_dir.iterdir()))
