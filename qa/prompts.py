"""Every chat the reader is given, in one place: the answer prompt and its extractive second
pass, the follow-up rewrite, and the strict mode's yes/no check."""

from __future__ import annotations

import re

from .answers import Citation, Passage
from .text import strip_markers

NOT_FOUND = "NOT FOUND"
# The reader's engine keeps the computed state of a prompt's leading tokens (its prompt cache),
# so fixed text goes first, then the excerpts, then the question: the instruction is read once
# per process, and a second pass over the same excerpts reads only its own last words.

SYSTEM_PROMPT = (
    "You are a helpful assistant that answers questions about news articles using only the "
    "given excerpts."
)
INSTRUCTION = (
    "Answer the question in one short sentence, using the words of the excerpts. "
    f"Reply {NOT_FOUND} only if no excerpt answers it."
)

# The second pass, when the first reply only restated the question: the reply is held to words
# copied from the excerpts, so it cannot echo this instruction or the question.
EXTRACT_INSTRUCTION = (
    "Reply with only the words of the excerpts that answer the question: the name, number, "
    "date or place itself."
)

# Phrases a reader uses when it declines instead of saying NOT FOUND verbatim.
_DECLINE = re.compile(
    r"not found|(do|does|did) not (contain|mention|say|provide|specify|state|include)"
    r"|no (information|mention|details?)|not (mentioned|provided|specified|stated|given)"
    r"|cannot (be )?(determined|answer|find)|unable to (answer|determine|find)"
    r"|not enough information",
    re.IGNORECASE,
)


def declined(reply: str) -> bool:
    """True when the reader said the passages do not hold the answer."""
    return not reply.strip() or bool(_DECLINE.search(reply))


def excerpts_text(passages: list[Passage]) -> str:
    """The excerpts, numbered, under one title line per article (a title costs as many tokens
    as a sentence, and several excerpts often come from one article)."""
    blocks: list[str] = []
    previous = None
    for n, p in enumerate(passages, 1):
        if p.chunk.source != previous:
            blocks.append(f'From "{p.chunk.title}":')
            previous = p.chunk.source
        blocks[-1] += f"\n[{n}] {' '.join(p.chunk.text.split())}"
    return "\n\n".join(blocks)


def answer_messages(
    question: str, passages: list[Passage], instruction: str = ""
) -> list[dict[str, str]]:
    """The chat for one question: the instruction, the question, the excerpts, then the
    question again and an instruction of this call's own. A 1.5B reader that reads the
    excerpts knowing what it looks for declines far less often when the answer is there; the
    last statement comes after the excerpts so that a second pass that changes it reuses their
    computed state. It is not asked for citation markers: grounding assigns them."""
    last = f"Question: {question}" + (f"\n\n{instruction}" if instruction else "")
    excerpts = f"Question: {question}\n\n{excerpts_text(passages)}\n\n"
    user = f"{INSTRUCTION}\n\n{excerpts}{last}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def extract_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    """The chat for the second, extractive pass (decoded under the reader's copy constraint)."""
    return answer_messages(question, passages, EXTRACT_INSTRUCTION)


REWRITE_PROMPT = (
    "Rewrite the user's last question so that it can be understood without the conversation: "
    "replace pronouns and vague references with the names and things they refer to. Keep it a "
    "question, keep its meaning, add nothing else. Reply with the rewritten question only."
)


VERIFY_PROMPT = "You check answers against news excerpts."


def rewrite_messages(question: str, history: list[tuple[str, str]]) -> list[dict[str, str]]:
    lines = []
    for q, a in history:
        lines.append(f"User: {q}")
        lines.append(f"Assistant: {a}")
    conversation = "\n".join(lines)
    last = f"Last question: {question}\n\nRewritten question:"
    user = f"Conversation:\n{conversation}\n\n{last}"
    return [{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": user}]


def verify_messages(question: str, answer: str, citations: list[Citation]) -> list[dict[str, str]]:
    """The yes/no check for an answer (its `[n]` markers dropped) and the quotes it cites."""
    quotes = "\n".join(c.quote for c in citations)
    user = (
        f"Excerpt:\n{quotes}\n\nQuestion: {question}\nAnswer: {strip_markers(answer)}\n\n"
        "Does the excerpt say this answer to the question? Reply Yes or No."
    )
    return [{"role": "system", "content": VERIFY_PROMPT}, {"role": "user", "content": user}]
