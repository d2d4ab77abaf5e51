"""The agreement probe on the real reader: sampled replies agree with the draft they echo."""

import pytest

from qa.probes import agreement


@pytest.mark.slow
def test_sampled_replies_agree_with_a_draft_the_passages_state(seed_qa):
    question = "What share of global GDP do APEC economies account for?"
    passages = seed_qa.retrieve(question)
    right = agreement(seed_qa.reader, question, passages, "about 62% of global GDP", 3)
    wrong = agreement(seed_qa.reader, question, passages, "about 17% of global GDP", 3)
    assert set(right) == {"agree_share", "agree_distinct", "agree_declined"}
    assert right["agree_share"] > wrong["agree_share"]
    assert 1 <= right["agree_distinct"] <= 3 and right["agree_declined"] == 0
