"""The feeds part of the Articles tab: the followed news feeds with their last poll, pages and
last error; polling them now; and no longer following one (its articles stay unless the user
asks). A feed is followed by giving its address to the Articles tab's address box."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import gradio as gr

from ..feeds import describe
from ..pipeline import QA
from .render import escape

USER_ERRORS = (ValueError, OSError)  # ArticleRejected is a ValueError


def feed_rows(qa: QA) -> list[list[object]]:
    return [
        [
            f.url,
            f.title,
            f.pages,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(f.last_poll)) if f.last_poll else "",
            f.last_error,
        ]
        for f in qa.feeds.list()
    ]


def _shown(qa: QA, articles: Callable, message: str):
    """Every view the feeds change: the articles' (message, table, choices, status line) and
    the feeds' (table, choices)."""
    rows = feed_rows(qa)
    return (*articles(message), rows, gr.Dropdown(choices=[r[0] for r in rows], value=None))


def poll_now(qa: QA, articles: Callable):
    try:
        said = [f"{escape(p.feed)}: {escape(describe(p))}" for p in qa.feeds.poll()]
    except USER_ERRORS as exc:
        said = [f"Not polled: {escape(str(exc))}"]
    return _shown(qa, articles, "<br>".join(said) or "No feeds are followed.")


def unfollow(qa: QA, articles: Callable, url: str | None, delete: bool):
    if not url or not isinstance(url, str):
        return _shown(qa, articles, "Choose a feed first.")
    try:
        deleted = qa.feeds.remove(url, delete)
    except USER_ERRORS as exc:
        return _shown(qa, articles, f"Not removed: {escape(str(exc))}")
    kept = f"{len(deleted)} of its articles deleted" if delete else "its articles are kept"
    return _shown(qa, articles, f"No longer following {escape(url)}; {kept}.")


def feeds_section(qa: QA, tables: list, articles: Callable[[str], tuple]) -> None:
    """The feeds' components and events; `tables` are the articles' views, which
    `articles(message)` refreshes."""
    gr.Markdown(
        "**News feeds followed** (polled every "
        f"{qa.settings.feed_minutes:g} minutes; add one by its address above)"
    )
    table = gr.Dataframe(
        headers=["Feed", "Title", "Pages", "Last poll", "Last error"],
        interactive=False,
        elem_id="feeds",
        wrap=True,
    )
    with gr.Row():
        picked = gr.Dropdown(label="Feed", allow_custom_value=True, scale=3, elem_id="picked-feed")
        delete = gr.Checkbox(label="Also delete its articles", scale=1, elem_id="feed-articles")
        remove_btn = gr.Button("Stop following", variant="stop", scale=1, elem_id="unfollow")
        poll_btn = gr.Button("Poll now", scale=1, elem_id="poll-feeds")
    views = [*tables, table, picked]
    gr.on(
        [t.change for t in tables[1:2]],
        lambda: (feed_rows(qa), gr.Dropdown(choices=[r[0] for r in feed_rows(qa)])),
        outputs=[table, picked],
        api_visibility="private",
    )
    poll_btn.click(functools.partial(poll_now, qa, articles), outputs=views, api_name="poll_feeds")
    remove_btn.click(
        functools.partial(unfollow, qa, articles), [picked, delete], views, api_name="unfollow"
    )
