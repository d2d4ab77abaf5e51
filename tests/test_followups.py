from qa.followups import needs_rewrite, rewrite_messages

HISTORY = [("Who met Blinken at the UN?", "Han Zheng.")]


def test_referring_questions_need_rewriting():
    for q in [
        "Where did they hold their talks?",
        "What did he say?",
        "What about the summit?",
        "When was that meeting?",
    ]:
        assert needs_rewrite(q, HISTORY), q


def test_self_contained_or_first_questions_do_not():
    assert not needs_rewrite("Where did Jake Sullivan and Wang Yi hold talks?", HISTORY)
    assert not needs_rewrite("Where did they hold their talks?", [])


def test_rewrite_prompt_carries_the_conversation():
    messages = rewrite_messages("What did he say?", HISTORY)
    assert "Han Zheng." in messages[-1]["content"] and "What did he say?" in messages[-1]["content"]
