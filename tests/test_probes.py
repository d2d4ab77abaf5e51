"""The binding probe's swap, and the probe itself on the real reader."""

import math

import pytest

from qa.probes import aligned_swap, binding

SAME_SENTENCE = "In the region around Port Vessa, the mayor of Lenn, Arto Kell, told reporters."


@pytest.mark.parametrize(
    ("question", "quote", "old", "new"),
    [
        (
            "Who chairs Riverton's public works committee?",
            "Council member Ana Ruiz, who chairs the finance committee, said so.",
            "public works",
            "finance",
        ),
        (
            "How many were injured in the Dravik quake?",
            "At least 12 people were killed in the Dravik quake, officials said.",
            "injured",
            "killed",
        ),
        (
            "What did the centre report for the 2016 quake?",
            "The centre reported a magnitude of 6.1 for the 2024 quake near Dravik.",
            "2016",
            "2024",
        ),
        ("Who is the mayor of Port Vessa?", SAME_SENTENCE, "Port Vessa", "Lenn"),
    ],
)
def test_the_swap_puts_the_quotes_words_where_the_question_differs(question, quote, old, new):
    swap = aligned_swap(question, quote)
    assert swap is not None and (swap.old, swap.new) == (old, new)


def test_no_swap_when_the_quote_says_what_was_asked():
    assert aligned_swap("Who is the mayor of Lenn?", SAME_SENTENCE) is None


@pytest.mark.slow
def test_an_answer_for_another_committee_is_not_bound_to_the_one_asked(seed_qa):
    """Asked the chair of one committee, the reply names the chair of another: it is at least
    as likely when the question names the quote's committee."""
    from qa.answers import Passage
    from qa.chunking import Chunk
    from qa.text import split_sentences

    text = (
        "Council member Ana Ruiz, who chairs the finance committee, said the bridge would be "
        "paid for with a federal grant. Lyle Brandt, who chairs the public safety committee, "
        "voted against it."
    )
    spans = tuple(split_sentences(text))
    passages = [Passage(0, Chunk("a.txt", "Riverton bridge", text, 0, len(text), spans), 1, 1, 3)]
    quote = text[spans[0].start : spans[0].end]
    wrong = binding(
        seed_qa.reader,
        "Who chairs Riverton's public works committee?",
        "Ana Ruiz chairs Riverton's public works committee.",
        passages,
        quote,
    )
    right = binding(
        seed_qa.reader,
        "Who chairs Riverton's public safety committee?",
        "Lyle Brandt chairs Riverton's public safety committee.",
        passages,
        text[spans[1].start : spans[1].end],
    )
    assert wrong["bind_swap"] <= 0.05
    assert math.isnan(right["bind_swap"])
