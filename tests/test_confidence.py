"""The confidence signals and the calibrator that turns them into P(right)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answers import Citation
from qa.confidence import SIGNALS, Calibrator, choose_threshold, signals

TITLE = "Riverton awards bridge contract"
TEXT = (
    "Riverton's council awarded the Elm Street bridge contract to Hartwell Construction on "
    "Tuesday. The work will cost $4.8 million, officials said."
)


def _cited(quote: str) -> list[Citation]:
    start = TEXT.index(quote)
    return [Citation(1, "riverton.txt", TITLE, quote, start, start + len(quote))]


def test_signals_notice_a_quote_that_gives_the_name_for_something_else(embedder):
    """Class 3: the quote names Hartwell as the winner, not as the designer that was asked."""
    citations = _cited(TEXT.split(" The work")[0])
    args = (citations, embedder, 0.8, 0.001, [0.9, 0.6, 0.95])
    won = signals(
        "Which firm was awarded the Elm Street bridge contract?",
        "Hartwell Construction was awarded the contract [1].",
        *args,
    )
    designed = signals(
        "Which firm designed the Elm Street bridge?", "Hartwell designed the bridge [1].", *args
    )
    assert won["echo_in_quote"] == 1.0 and designed["echo_in_quote"] < 1.0
    assert won["question_in_quote"] > designed["question_in_quote"]
    assert won["token_min_log"] == pytest.approx(-0.5108, abs=1e-3)
    assert won["decline_log"] == pytest.approx(-3.0)
    assert set(won) == set(SIGNALS) and all(isinstance(v, float) for v in won.values())


def test_words_for_now_are_not_sought_in_the_quote(embedder):
    """ "Latest" and "so far" are answered by the report's date; a sentence that states the
    figure does not say them, and its coverage of the question is the same without them."""
    citations = _cited("The work will cost $4.8 million, officials said.")
    args = ("It will cost $4.8 million [1].", citations, embedder, 0.8, 0.001, [0.9])
    latest = signals("What is the latest cost of the Elm Street bridge work so far?", *args)
    plain = signals("What is the cost of the Elm Street bridge work?", *args)
    assert latest["question_in_quote"] == plain["question_in_quote"] > 0
    assert latest["echo_in_quote"] == plain["echo_in_quote"]


@pytest.mark.parametrize("boosted", [False, True])
def test_calibrator_fits_saves_and_loads(tmp_path: Path, boosted: bool):
    rows = [{name: 0.5 for name in SIGNALS} for _ in range(20)]
    for i, row in enumerate(rows):
        row["support"], row["echo_in_quote"] = 0.5 + i / 40, float(i % 2)
    labels = [r["support"] > 0.75 or r["echo_in_quote"] == 1.0 for r in rows]
    calibrator = Calibrator.fit(rows, labels, target=0.9, boosted=boosted)
    high = calibrator.probability({**rows[0], "support": 0.95, "echo_in_quote": 1.0})
    low = calibrator.probability({**rows[0], "support": 0.5, "echo_in_quote": 0.0})
    assert high > 0.5 > low
    (tmp_path / "c.json").write_text(calibrator.dumps(fitted_on=["x.json"]), encoding="utf-8")
    assert Calibrator.load(tmp_path / "c.json") == calibrator
    assert Calibrator.load(tmp_path / "missing.json") is None


def test_boosted_calibrator_learns_signals_that_matter_only_together():
    """Where one signal's meaning turns on another, no weighted sum draws the line; shallow
    trees do, and the saved trees give the fitted probabilities back."""
    rows, labels = [], []
    for i in range(80):
        a, b = float(i % 2), float((i // 2) % 2)
        rows.append({"anchor_level": a, "agree_share": b + (i % 7) / 100})
        labels.append(a == b)
    features = ("anchor_level", "agree_share")
    boosted = Calibrator.fit(rows, labels, features=features, boosted=True)
    logistic = Calibrator.fit(rows, labels, features=features)
    corners = [{"anchor_level": a, "agree_share": b} for a in (0.0, 1.0) for b in (0.0, 1.0)]
    assert [boosted.probability(c) > 0.8 for c in corners] == [True, False, False, True]
    assert all(0.3 < logistic.probability(c) < 0.7 for c in corners)


def test_threshold_is_the_lowest_that_reaches_the_target():
    probabilities = [0.1, 0.3, 0.5, 0.7, 0.9]
    labels = [False, True, False, True, True]
    assert choose_threshold(probabilities, labels, 0.95) == 0.55
    assert choose_threshold(probabilities, labels, 0.6) == 0.0
