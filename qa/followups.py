"""Follow-up questions: rewrite "Where did they meet?" into a question that stands alone.

Retrieval sees only the question, so a pronoun that points back into the conversation must be
resolved first. Only questions that look like they refer back are rewritten (by the reader
model); a self-contained question is used as it is, which costs nothing.
"""

from __future__ import annotations

import re

from .anchors import Vocabulary, anchors
from .prompts import rewrite_messages
from .readers import Reader
from .text import terms

History = list[tuple[str, str]]

_REFERS_BACK = re.compile(
    r"\b(he|she|it|they|them|him|his|her|hers|its|their|theirs|this|that|these|those|there|then"
    r"|the same|the (two|pair|meeting|talks?|call|summit|visit|trip|article|man|woman|leaders?))\b"
    r"|^\s*(and|also|what about|how about|why|when|where)\b[^?]{0,25}\??\s*$",
    re.IGNORECASE,
)


def needs_rewrite(question: str, history: History | None) -> bool:
    return bool(history) and bool(_REFERS_BACK.search(question))


def _clean(reply: str) -> str:
    line = next((x for x in reply.strip().splitlines() if x.strip()), "")
    line = re.sub(
        r"^(rewritten question|question|standalone question)\s*:\s*",
        "",
        line.strip(),
        flags=re.IGNORECASE,
    )
    return line.strip().strip('"“”').strip()


def standalone_question(
    question: str, history: History | None, reader: Reader, turns: int = 3
) -> str:
    """`question` made self-contained using the last `turns` exchanges of `history`."""
    if not needs_rewrite(question, history):
        return question
    recent = [(str(q), str(a)) for q, a in (history or [])][-turns:]
    rewritten = _clean(reader.complete(rewrite_messages(question, recent), max_new_tokens=40))
    # A rewrite must still be a question about something: otherwise keep the user's words and
    # give retrieval the last exchange for context.
    if not rewritten or len(rewritten) > 400 or not terms(rewritten):
        last_q, last_a = recent[-1]
        return f"{question} ({last_q} {last_a})"
    return keep_subject(rewritten, recent[-1][0])


def keep_subject(rewritten: str, previous: str) -> str:
    """The rewrite with the previous question's names, places and years that it dropped,
    when it kept none of them: "And what did the USGS give?" after a question about the
    Dravik quake is still about the Dravik quake."""
    before = [a for a in anchors(previous) if a.kind in ("name", "year", "date")]
    now = Vocabulary.of(rewritten)
    if not before or any(now.holds(a) for a in before):
        return rewritten
    asked = set(terms(rewritten))
    kept = [a.text for a in before if not a.words & asked]
    return f"{rewritten.rstrip('?')} ({', '.join(kept)})?" if kept else rewritten
