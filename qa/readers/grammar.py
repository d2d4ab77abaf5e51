"""The copy-constrained second pass for a served reader: a GBNF grammar that admits only a span
of the excerpts, from a word's start to a point after a word, so the reply copies their words."""

from __future__ import annotations


class CopySpan:
    """The second pass's constraint for a served reader: a grammar that admits only a span of
    `source` that starts at a word and ends after one (never across a line)."""

    def __init__(self, source: str):
        self.source = source
        self.grammar = copy_grammar(source)

    def allows(self, written: str, piece: str) -> bool:
        """Whether `piece` may follow `written` (an empty piece: the end of the reply)."""
        if not piece:
            return bool(written.strip())
        candidate = (written + piece).lstrip()
        at = self.source.find(candidate)
        while at >= 0:
            if at == 0 or not self.source[at - 1].isalnum() or written.strip():
                return True
            at = self.source.find(candidate, at + 1)
        return False


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _literal(text: str) -> str:
    """`text` as a GBNF string literal: quotes, backslashes and control characters escaped."""
    escaped = "".join(
        _ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch) for ch in text
    )
    return f'"{escaped}"'


def copy_grammar(source: str) -> str:
    """GBNF for any span of `source` from a word's start to a point after a word: one rule per
    place a span may end, each continuing to the next such place or stopping there."""
    rules: list[str] = []
    starts: list[str] = []
    for n, line in enumerate(source.split("\n")):
        ends = [i for i in range(1, len(line) + 1) if i == len(line) or not line[i].isalnum()]
        for end, after in zip(ends, ends[1:], strict=False):
            rules.append(f"l{n}e{end} ::= ({_literal(line[end:after])} l{n}e{after})?")
        if ends:
            rules.append(f'l{n}e{ends[-1]} ::= ""')
        for start in range(len(line)):
            if line[start].isalnum() and (start == 0 or not line[start - 1].isalnum()):
                end = next(e for e in ends if e > start)
                starts.append(f"{_literal(line[start:end])} l{n}e{end}")
    if not starts:
        return 'root ::= ""'
    return "\n".join(['root ::= " "? span', "span ::= " + " | ".join(starts), *rules])
