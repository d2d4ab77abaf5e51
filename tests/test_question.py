"""The question analysed once: its words, anchors, numbers and what it asks."""

import pytest

from qa.question import analysed, asks_latest, asks_when


@pytest.mark.parametrize(
    "question, latest",
    [
        ("What is the latest death toll from the Korvane landslide?", True),
        ("How many people have died so far?", True),
        ("How many people have been evacuated because of the breach?", True),
        ("How wide is the breach now?", True),
        ("How many people died in the first reports?", False),
        ("Who is the mayor of Korvane?", False),
    ],
)
def test_latest_state_questions_are_recognised(question, latest):
    assert asks_latest(question) is latest


def test_when_questions_are_recognised():
    assert asks_when("On what date did the landslide happen?")
    assert asks_when("When did the dam give way?")
    assert not asks_when("How many homes were buried?")


def test_a_question_is_analysed_once_for_every_step():
    q = analysed("How many people have died in the 2024 Karsa earthquake so far?")
    assert q is analysed(q.text)  # each step reads the same value
    assert q.latest and q.figure and not q.when
    assert q.numbers == {"2024"} and [a.kind for a in q.anchors] == ["name", "year"]
    assert analysed("Who raised $1.2m?").numbers == {"1.2", "1200000"}
