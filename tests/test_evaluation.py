"""The evaluation: metric arithmetic, the question files, and the quality bar on the dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Answer, Citation
from qa.answers import Passage
from qa.chunking import Chunk
from qa.confidence import Calibrator
from qa.documents import load_articles
from qa.eval_report import (
    kind_table,
    read_results,
    regraded,
    result_line,
    risk_coverage_table,
    summary_table,
    write_json,
)
from qa.evaluation import (
    EvalFileError,
    EvalItem,
    contains_answer,
    evaluate,
    load_items,
    normalize_answer,
    score,
    token_f1,
)
from qa.metrics import below_bar, by_kind, metrics, risk_coverage, shown_right
from qa.text import Span

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TEXT = "Talks in Malta\nJake Sullivan and Wang Yi held two days of talks in Malta."


def _passage(source: str, start: int = 15, end: int = len(TEXT)) -> Passage:
    chunk = Chunk(source, "Talks in Malta", TEXT[start:end], start, end, (Span(start, end),))
    return Passage(0, chunk, 1.0, 0.8, 3)


def _citation(source: str = "a.txt", start: int = 15, end: int = len(TEXT)) -> Citation:
    return Citation(1, source, "Talks in Malta", TEXT[start:end], start, end)


def test_normalization_follows_squad():
    assert normalize_answer("The talks were in Malta [1].") == "talks were in malta"
    assert normalize_answer("  U.S.-China   “ties” ") == "us china ties"


def test_gold_answer_must_appear_as_whole_words():
    assert contains_answer("He met Xi Jinping [1].", ["Xi"])
    assert not contains_answer("Xinhua reported it.", ["Xi"])
    assert contains_answer("It was a six-day visit.", ["six days", "six-day"])
    assert not contains_answer("anything", [])


def test_token_f1():
    assert token_f1("in Malta", "Malta") == pytest.approx(2 / 3)
    assert token_f1("Malta", "the Malta") == 1.0
    assert token_f1("Moscow", "Malta") == 0.0


def test_score_counts_rank_citations_and_quotes():
    item = EvalItem("q", "Where?", ["Malta"], ["a.txt"])
    answer = Answer(
        "Where?",
        "In Malta [1] [2].",
        [_citation(), _citation("b.txt", 0, 5)],
        passages=[_passage("b.txt"), _passage("a.txt")],
    )
    result = score(item, answer, {"a.txt": TEXT, "b.txt": "Other text"}, 1.5)
    assert result.correct and result.gold_rank == 2
    assert (result.citations, result.gold_citations, result.valid_quotes) == (2, 1, 1)
    assert "right" in result_line(result)


def test_latest_and_conflict_answers_must_give_their_dates():
    latest = EvalItem("l", "Latest toll?", ["27"], ["a.txt"], kind="latest", dates=["2025-10-17"])
    conflict = EvalItem(
        "c", "Toll?", ["19", "23"], ["a.txt"], kind="conflict", dates=["2025-10-16"]
    )

    def right(item: EvalItem, text: str) -> bool:
        return score(item, Answer("q", text, [_citation()]), {"a.txt": TEXT}, 1.0).correct

    assert right(latest, "As of 17 October 2025: the toll is 27 [1].")
    assert not right(latest, "The toll is 27 [1].")
    assert right(conflict, "19 as of 16 Oct 2025 [1]; 23 as of 16 October 2025 [1].")
    assert not right(conflict, "19 as of 16 October 2025 [1].")


def test_passages_never_read_do_not_count_as_retrieved():
    item = EvalItem("q", "Where?", ["Malta"], ["a.txt"])
    answer = Answer(
        "Where?", "nothing", passages=[_passage("a.txt")], reason="no_relevant_passages"
    )
    result = score(item, answer, {"a.txt": TEXT}, 0.1)
    assert result.gold_rank is None and not result.correct and result.f1 == 0.0


def test_metrics_and_bar():
    answerable = EvalItem("a", "Where?", ["Malta"], ["a.txt"])
    unanswerable = EvalItem("u", "How many?", [], [])
    texts = {"a.txt": TEXT}
    results = [
        score(
            answerable,
            Answer("Where?", "Malta [1].", [_citation()], passages=[_passage("a.txt")]),
            texts,
            2.0,
        ),
        score(unanswerable, Answer("How many?", "no", reason="reader_declined"), texts, 4.0),
    ]
    figures = metrics(results)
    assert figures["answer_accuracy"] == 1.0 and figures["abstention_rate"] == 1.0
    assert figures["retrieval_hit"] == 1.0 and figures["mrr"] == 1.0
    assert figures["quote_validity"] == 1.0 and figures["citation_precision"] == 1.0
    assert figures["false_abstention_rate"] == 0.0
    assert figures["latency_p50_s"] == pytest.approx(3.0)
    assert below_bar(figures) == []
    assert "| answered_precision | 1.000 | >= 0.90 |" in summary_table(figures)
    assert below_bar({**figures, "quote_validity": 0.99}) == ["quote_validity = 0.990, bar >= 1.00"]


def test_question_file_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"id": "1", "question": "Where?", "answers": [], "sources": []}\n{oops\n')
    with pytest.raises(EvalFileError, match="line 2"):
        load_items(path)
    path.write_text('{"id": "1", "question": "Where?", "answers": ["Malta"]}\n')
    with pytest.raises(EvalFileError, match="needs its sources"):
        load_items(path)
    line = '{"id": "1", "question": "Where?", "answers": []}\n'
    path.write_text(line + line)
    with pytest.raises(EvalFileError, match="duplicate id"):
        load_items(path)


def test_selective_answering_figures():
    """answered_precision counts every answered question; coverage the answerable answered;
    answer_in_quote asks whether a right answer's quote holds it; answer_in_context whether
    the reader was given it."""
    right = EvalItem("r", "Where?", ["Malta"], ["a.txt"], kind="factoid")
    quote_misses = EvalItem("m", "How long?", ["two days"], ["a.txt"], kind="number")
    near_miss = EvalItem("n", "Where in Malta?", [], ["a.txt"], kind="near_miss")
    withheld = EvalItem("w", "Where?", ["Malta"], ["a.txt"], kind="factoid")
    texts = {"a.txt": TEXT}
    given = [_passage("a.txt")]
    elsewhere = Citation(1, "a.txt", "Talks in Malta", TEXT[:14], 0, 14)  # the title, no "two"
    answers = [
        Answer("Where?", "Malta [1].", [_citation()], passages=given, confidence=0.9),
        Answer("How long?", "Two days [1].", [elsewhere], passages=given, confidence=0.8),
        Answer("In?", "Valletta [1].", [_citation()], passages=given, confidence=0.55),
        Answer(
            "Where?",
            "unsure",
            passages=given,
            reason="low_confidence",
            confidence=0.3,
            draft="Malta [1].",
        ),
    ]
    items = [right, quote_misses, near_miss, withheld]
    results = [score(i, a, texts, 1.0) for i, a in zip(items, answers, strict=True)]
    figures = metrics(results)
    assert figures["answered_precision"] == pytest.approx(2 / 3)
    assert figures["coverage"] == pytest.approx(2 / 3)
    assert figures["answer_in_quote"] == pytest.approx(1 / 2)
    assert figures["answer_in_context"] == 1.0
    kinds = by_kind(results)
    assert kinds["near_miss"] == {
        "questions": 1,
        "handled_right": 0.0,
        "shown_right": 0.0,
        "answered_wrong": 1,
        "abstained": 0,
        "unsure": 0,
    }
    assert kinds["factoid"]["handled_right"] == 0.5
    rows = {row["threshold"]: row for row in risk_coverage(results, (0.0, 0.6, 0.95))}
    assert rows[0.0]["answered_precision"] == pytest.approx(3 / 4)  # the withheld draft counts
    assert rows[0.0]["coverage"] == 1.0 and rows[0.0]["abstention_rate"] == 0.0
    assert rows[0.6]["answered_precision"] == 1.0 and rows[0.6]["abstention_rate"] == 1.0
    assert rows[0.95]["answered_precision"] is None and rows[0.95]["coverage"] == 0.0
    assert "| 0.600 | 1.000 | 0.667 | 1.000 |" in risk_coverage_table(list(rows.values()))
    assert "| near_miss | 1 | 0.00 | 0.00 | 1 | 0 | 0 |" in kind_table(kinds)


def _unsure(question: str, draft: str, quote: Citation) -> Answer:
    text = f"The articles may say: {draft} I could not confirm it."
    return Answer(question, text, [quote], reason="unsure", confidence=0.5, draft=draft)


def test_shown_right_counts_right_answers_and_unsure_replies_whose_quote_holds_it():
    texts = {"a.txt": TEXT}
    title = Citation(1, "a.txt", "Talks in Malta", TEXT[:14], 0, 14)  # holds "Malta" only
    cases = [
        (
            EvalItem("1", "Where?", ["Malta"], ["a.txt"], kind="factoid"),
            Answer("Where?", "Malta [1].", [_citation()], confidence=0.9),
        ),
        (
            EvalItem("2", "Where?", ["Malta"], ["a.txt"], kind="paraphrase"),
            _unsure("Where?", "Malta [1].", _citation()),
        ),
        (
            EvalItem("3", "How long?", ["two days"], ["a.txt"], kind="number"),
            _unsure("How long?", "Two days [1].", title),  # the quote lacks it
        ),
        (
            EvalItem("4", "Who?", ["Wang Yi"], ["a.txt"], kind="followup"),
            _unsure("Who?", "Wang Yi [1].", _citation()),
        ),
        (
            EvalItem("5", "Where?", ["Malta"], ["a.txt"], kind="relation"),
            Answer("Where?", "Valletta [1].", [_citation()], confidence=0.9),
        ),
    ]
    results = [score(item, answer, texts, 1.0) for item, answer in cases]
    figures = metrics(results)
    assert figures["shown_right"] == pytest.approx(3 / 5)  # 1, 2 and 4
    assert figures["shown_right_plain"] == pytest.approx(2 / 4)
    assert figures["coverage_plain"] == pytest.approx(2 / 4)  # 1 and 5 stated
    assert by_kind(results)["plain (all)"]["shown_right"] == pytest.approx(0.5)


def test_a_run_that_showed_every_draft_is_graded_again_at_a_calibrators_thresholds():
    texts = {"a.txt": TEXT}
    item = EvalItem("1", "Where?", ["Malta"], ["a.txt"], kind="factoid")
    calibrator = Calibrator(("support",), (0.5,), (0.1,), (10.0,), 0.0, 0.7, 0.4)
    drafts = {
        s: Answer("Where?", "Malta [1].", [_citation()], signals={"support": s})
        for s in (0.6, 0.5, 0.3)
    }
    results = [score(item, a, texts, 1.0) for a in drafts.values()]
    graded = regraded(results, calibrator)
    assert [r.grade for r in graded] == ["confident", "unsure", "not_found"]
    assert [shown_right(r) for r in graded] == [True, True, False]
    assert graded[1].abstained and not graded[1].correct and graded[1].unsure_quote_right


def test_reports_round_trip_for_calibration(tmp_path: Path):
    item = EvalItem("r", "Where?", ["Malta"], ["a.txt"])
    answer = Answer("Where?", "Malta [1].", [_citation()], confidence=0.7, signals={"support": 0.8})
    result = score(item, answer, {"a.txt": TEXT}, 1.0)
    write_json(tmp_path / "r.json", [result], metrics([result]))
    assert read_results(tmp_path / "r.json") == [result]


DEVSETS = DATA.parent.parent / "qa" / "devsets"
CIVIC, REPORTS, PAGES = DEVSETS / "civic", DEVSETS / "reports", DEVSETS / "pages"
# Each question file and the folder of articles it asks about.
SETS = {
    "dev_qa.jsonl": SEEDS,
    "holdout_qa.jsonl": SEEDS,
    "seeds_mixed_holdout_qa.jsonl": SEEDS,
    "civic_dev_qa.jsonl": CIVIC,
    "civic_holdout_qa.jsonl": CIVIC,
    "civic_mixed_holdout_qa.jsonl": CIVIC,
    "reports_dev_qa.jsonl": REPORTS,
    "reports_holdout_qa.jsonl": REPORTS,
    "pages_dev_qa.jsonl": PAGES,
    "pages_holdout_qa.jsonl": PAGES,
}
KINDS = {"factoid", "number", "date", "paraphrase", "relation", "followup"}
# Reports of one event that change: the newest report's figure, figures that differ (gold: both),
# a date to resolve from the page's date ("on Tuesday").
KINDS |= {"latest", "conflict", "when"}
KINDS |= {"near_miss", "off_topic"}  # the unanswerable kinds


# The page set is smaller: it tests reading pages and their dates, not the reader at large.
MIN_DEV = {"pages_dev_qa.jsonl": 30}


@pytest.mark.parametrize("name", sorted(SETS))
def test_question_files_are_well_formed(name: str):
    items = load_items(DATA / name)
    articles = {p.name for p in SETS[name].iterdir()}
    assert all(set(i.sources) <= articles for i in items)
    assert {i.kind for i in items} <= KINDS
    assert all((i.kind in ("near_miss", "off_topic")) != i.answerable for i in items)
    assert sum(not i.answerable for i in items) >= 10
    assert sum(bool(i.history) for i in items) >= 5
    if "dev" in name:
        assert len(items) >= MIN_DEV.get(name, 45)
        assert articles <= {s for i in items if i.answerable for s in i.sources}


# Questions about reports that change: the dated kinds over the report corpus, and a fresh set
# over its own reports (written after the rules it measures, to check them).
WHEN_SETS = {
    "reports_when_dev_qa.jsonl": REPORTS,
    "reports_when_holdout_qa.jsonl": REPORTS,
    "updates_qa.jsonl": DATA / "updates",
}


@pytest.mark.parametrize("name", WHEN_SETS)
def test_dated_question_files_name_the_dates_of_their_reports(name: str):
    articles = {a.source: a for a in load_articles(WHEN_SETS[name])[0]}
    items = load_items(DATA / name)
    assert {"latest", "conflict", "when"} <= {i.kind for i in items}
    for i in items:
        assert set(i.sources) <= set(articles)
        published = {articles[s].meta.date for s in i.sources}
        assert set(i.dates) == (published if i.kind in ("latest", "conflict") else set()), i.id


# The bar (qa.metrics.BAR) is not met on every metric yet. Until it is, CI holds the mixed seed
# dev set (the packaged calibrator's, qa/devsets/), run through the real pipeline with the
# packaged calibrator, to the figures measured on it (README, "Answer quality"), less about one
# question of slack, so quality cannot silently regress; raise these as the pipeline improves.
# One set keeps CI's clock: the others are measured with `python -m qa eval` (docs/quality.md).
FLOORS: dict[str, dict[str, tuple[str, float]]] = {
    # Measured: answered_precision 1.000, coverage 0.312, shown_right 0.656, abstention 1.000,
    # answer_in_quote 1.000, retrieval_hit 0.969 (40 questions, 32 answerable).
    "seeds_mixed_dev_qa.jsonl": {
        "answered_precision": (">=", 0.90),
        "coverage": (">=", 0.28),
        "shown_right": (">=", 0.62),
        "abstention_rate": (">=", 0.87),
        "answer_in_quote": (">=", 0.90),
        "quote_validity": (">=", 1.00),
        "retrieval_hit": (">=", 0.96),
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_dev_sets_hold_the_quality_floor(name: str, settings, tmp_path_factory):
    """Each development set through the real pipeline; the engine's one build for every CPU of
    this kind and greedy decoding keep its answers the same on every machine."""
    from qa import QA

    qa = QA(SEEDS, tmp_path_factory.mktemp("eval-index"), settings)
    results, figures = evaluate(qa, load_items(DEVSETS / name))
    report = "\n".join([*map(result_line, results), "", summary_table(figures)])
    print(report)
    print("\n".join(f"below the issue's bar: {miss}" for miss in below_bar(figures)))
    assert below_bar(figures, FLOORS[name]) == [], report
