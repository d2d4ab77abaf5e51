"""The chat's HTML: answers with linked sources and highlighted quotes, drafts, abstentions
with the passages checked, and the plain text a Copy button puts on the clipboard. Article and
model text is always escaped: nothing from it runs or is formatted."""

from __future__ import annotations

import dataclasses
import html
import re

from ..answers import Answer, Citation, Passage
from ..converters import display_date
from ..text import MARKER, marker_numbers

CONTEXT_CHARS = 280  # surrounding text shown on each side of a quote
# The quote's highlight sets its own text colour, so it reads the same in light and dark themes
# (#1f1f1f on #ffe58a: contrast 14:1, WCAG AA asks 4.5:1).
CSS = """
.qa-sources { margin-top: .8em; font-size: .92em; border-top: 1px solid #8884; padding-top: .4em; }
.qa-source { margin: .5em 0; }
.qa-source blockquote { margin: .2em 0 0 .6em; padding-left: .6em; border-left: 3px solid #8888; }
.qa-source mark, .qa-source mark * { background: #ffe58a; color: #1f1f1f; }
.qa-cursor { opacity: .6; }
.qa-draft { opacity: .8; border-left: 3px dashed #8888; padding-left: .6em; }
.qa-unsure { border-left: 3px dotted #d9a400; padding-left: .6em; }
.qa-note { font-style: italic; }
.qa-copy-text { display: none; }
.qa-copy { margin-top: .5em; font-size: .85em; padding: .1em .6em; border: 1px solid #8888;
           border-radius: 4px; background: transparent; color: inherit; cursor: pointer; }
#chat .message-wrap { padding-top: .5em; }
@media (max-width: 640px) {
  #ask-row { flex-wrap: nowrap !important; }
  #question { flex: 1 1 auto !important; min-width: 0 !important; }
  #ask { flex: 0 0 auto !important; min-width: 4.5em !important; }
}
"""
# The copy button of an answer copies its plain text (answer, then sources), kept in a hidden
# element next to it; the clipboard API needs a secure page (localhost or https), so a
# selection copy is the fallback.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const button = event.target.closest(".qa-copy");
  if (!button) return;
  event.preventDefault();
  const text = button.parentElement.querySelector(".qa-copy-text").textContent;
  const done = () => {
    button.textContent = "Copied";
    setTimeout(() => button.textContent = "Copy", 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove(); done();
  }
});
</script>"""
# HTML, Markdown and LaTeX syntax characters, written as HTML entities so that text from an
# article or the model is shown exactly as written and never formatted or run.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+|~$!"})
# Why an answer was withheld, in one line, by `Answer.reason`; {title} is the article whose
# passage came first. Other reasons show the pipeline's own text.
WHY = {
    "no_relevant_passages": "Nothing relevant found: no passage in the articles is about this.",
    "reader_declined": "The articles mention {title}, but do not say what was asked.",
    "low_confidence": "The articles mention {title}, but I could not confirm they say what "
    "was asked, so I won't guess.",
    "unsupported": "The answer I drafted was not supported by the passages, so I won't state it.",
    "restated": "The passages I found did not state an answer to this, so I won't guess.",
    "unverified": "The answer I drafted was not supported by the passages, so I won't state it.",
}


def escape(text: str) -> str:
    """Article and model text shown as text, on one line: no HTML or Markdown from it runs."""
    return " ".join(text.split()).translate(_ENTITIES)


def _link_markers(text: str, turn: int) -> str:
    """The answer text, escaped, with each cited number a link `[n]` to its source below."""
    parts = MARKER.split(text)
    out = [
        (" " if p[:1].isspace() else "") + escape(p) + (" " if p[-1:].isspace() else "")
        if i % 2 == 0
        else "".join(f'<a href="#src-{turn}-{n}">[{n}]</a>' for n in marker_numbers(p))
        for i, p in enumerate(parts)
    ]
    return "".join(out)


def _words_around(before: str, after: str) -> tuple[str, str]:
    """At most `CONTEXT_CHARS` of text on each side of a quote, cut at a word boundary when
    there is one near the cut (text without spaces, such as Chinese, is cut where it falls)."""
    n = CONTEXT_CHARS
    if len(before) > n:
        cut = before[-n:]
        if not before[-n - 1].isspace() and (space := re.search(r"\s", cut[:40])):
            cut = cut[space.end() :]
        before = "… " + cut.lstrip()
    if len(after) > n:
        cut = after[:n]
        if not after[n].isspace() and (space := re.search(r"\s\S*$", cut[-40:])):
            cut = cut[: n - 40 + space.start()]
        after = cut.rstrip() + " …"
    return before, after


def _in_context(c: Citation, passages: list[Passage]) -> str:
    """The quote highlighted inside the sentences around it, from the passage that holds it."""
    for p in passages:
        chunk = p.chunk
        if chunk.source == c.source and chunk.start <= c.start and c.end <= chunk.end:
            before, after = _words_around(
                chunk.text[: c.start - chunk.start], chunk.text[c.end - chunk.start :]
            )
            return f"{escape(before)} <mark>{escape(c.quote)}</mark> {escape(after)}"
    return f"<mark>{escape(c.quote)}</mark>"


def byline(outlet: str, date: str | None) -> str:
    """Who published an article and when, as people write it ("USA Today, 25 Apr 2015");
    empty when neither is known."""
    return ", ".join(part for part in (outlet.strip(), display_date(date)) if part)


def _byline_html(outlet: str, date: str | None, url: str = "") -> str:
    """The byline after a source's title, linked to the page when its address is known."""
    said = byline(outlet, date)
    if not said:
        return ""
    if re.match(r"^https?://", url):  # only web addresses become links, never javascript:
        return (
            f' — <a href="{html.escape(url, quote=True)}" rel="noopener noreferrer" '
            f'target="_blank">{escape(said)}</a>'
        )
    return f" — {escape(said)}"


def render_sources(answer: Answer, turn: int) -> str:
    items = [
        f'<div class="qa-source" id="src-{turn}-{c.number}"><b>[{c.number}]</b> '
        f"<i>{escape(c.title)}</i>{_byline_html(c.outlet, c.date, c.url)} — "
        f"<code>{escape(c.source)}</code> "
        f"({f'page {c.page}, ' if c.page else ''}characters {c.start}–{c.end})"
        f"<blockquote>{_in_context(c, answer.passages)}"
        "</blockquote></div>"
        for c in answer.citations
    ]
    return f'<div class="qa-sources"><b>Sources</b>{"".join(items)}</div>'


def _passage_items(passages: list[Passage]) -> str:
    return "".join(
        f'<div class="qa-source"><b>{n}.</b> <i>{escape(p.chunk.title)}</i>'
        f"{_byline_html(p.chunk.meta.outlet, p.chunk.meta.date)} — "
        f"<code>{escape(p.chunk.source)}</code><blockquote>{escape(p.chunk.text[:300])}"
        f"{'…' if len(p.chunk.text) > 300 else ''}</blockquote></div>"
        for n, p in enumerate(passages, 1)
    )


def render_passages(passages: list[Passage]) -> str:
    """What the reader is reading, shown while it writes."""
    return f'<div class="qa-sources"><b>Reading these passages</b>{_passage_items(passages)}</div>'


def copy_text(answer: Answer) -> str:
    """The answer as plain text, for the clipboard: the answer, then each source."""
    lines = [answer.text]
    for c in answer.citations:
        said = byline(c.outlet, c.date)
        where = f"{c.source}, page {c.page}" if c.page else c.source
        lines.append(f'[{c.number}] {c.title}{f" — {said}" if said else ""} ({where}): "{c.quote}"')
    return "\n".join(lines)


def _copy_button(answer: Answer) -> str:
    text = html.escape(copy_text(answer))
    return f'<pre class="qa-copy-text">{text}</pre><button class="qa-copy">Copy</button>'


def render_answer(answer: Answer, turn: int = 1) -> str:
    """The final reply: the answer with linked sources, or why there is none and, folded,
    the passages that were checked."""
    if answer.grade == "unsure":
        return render_unsure(answer, turn)
    if answer.abstained:
        title = answer.passages[0].chunk.title if answer.passages else ""
        why = WHY[answer.reason].format(title=f"“{title}”") if answer.reason in WHY else answer.text
        text = f"<div>{escape(why)}</div>"
        if answer.passages:
            text += (
                f'<details class="qa-sources"><summary>Passages checked '
                f"({len(answer.passages)})</summary>{_passage_items(answer.passages)}</details>"
            )
        return text + _copy_button(dataclasses.replace(answer, text=why))
    text = f"<div>{_link_markers(answer.text, turn)}</div>"
    if answer.citations:
        text += render_sources(answer, turn)
    return text + _copy_button(answer)


def render_unsure(answer: Answer, turn: int) -> str:
    """What the articles may say, not asserted: the drafted sentence marked as unconfirmed, and
    its quote highlighted in context so the reader can judge it at a glance."""
    text = (
        '<div class="qa-unsure"><div class="qa-note">Not sure: the articles may say this, but I '
        f"could not confirm it answers the question.</div>{_link_markers(answer.draft, turn)}"
        "</div>"
    )
    if answer.citations:
        text += render_sources(answer, turn)
    return text + _copy_button(answer)


def render_draft(draft: str, note: str, passages: list[Passage]) -> str:
    """A reply still being written or checked: marked as a draft until the answer replaces it."""
    head = f'<div class="qa-note">{escape(note)}</div>' if note else ""
    if draft:
        head += (
            '<div class="qa-draft"><div class="qa-note">Draft, being checked against the '
            f'articles…</div>{escape(draft)}<span class="qa-cursor"> ▌</span></div>'
        )
    return head + (render_passages(passages) if passages else "")


def plain_answer(message: str) -> str:
    """A rendered reply as the text a person reads, without its sources or copy button."""
    text = re.split(r'<(?:div|details) class="qa-sources"|<pre class="qa-copy-text"', message)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
