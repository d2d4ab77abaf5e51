"""The Articles tab: what is indexed (newest publication date first), adding files, a page by
its address or pasted text, and removing articles after a confirmation. Each action answers
with the table, the remove choices and the status line, refreshed."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from ..converters import HTML_SUFFIXES, PDF_SUFFIXES, TEXT_SUFFIXES
from ..feeds import Poll, describe
from ..library import ArticleRejected, size_limit
from ..pipeline import QA
from ..store import IndexedArticle, IndexWriteError
from .feeds import feeds_section
from .render import escape

# Failures of adding or removing an article that the user is told about, not crashes.
USER_ERRORS = (ArticleRejected, IndexWriteError, OSError)
Status = Callable[[], str]


def _passages(n: int) -> str:
    return f"{n} passage" if n == 1 else f"{n} passages"


def newest_first(articles: list[IndexedArticle]) -> list[IndexedArticle]:
    """By publication date, newest first; undated articles after them, the most recently
    indexed first."""
    by_indexed = sorted(articles, key=lambda a: (-a.indexed_at, a.source))
    dated = sorted((a for a in by_indexed if a.date), key=lambda a: a.date or "", reverse=True)
    return dated + [a for a in by_indexed if not a.date]


def article_rows(qa: QA) -> list[list[object]]:
    """The Articles table: title, outlet, date, file, passages and when it was indexed."""
    return [
        [
            a.title,
            a.outlet,
            a.date or "",
            a.source,
            a.count,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(a.indexed_at)),
        ]
        for a in newest_first(qa.articles())
    ]


def megabytes(qa: QA) -> str:
    return f"{qa.settings.max_upload_bytes / 2**20:g} MB"


def pdf_megabytes(qa: QA) -> str:
    return f"{max(qa.settings.max_pdf_bytes, qa.settings.max_upload_bytes) / 2**20:g} MB"


def page_megabytes(qa: QA) -> str:
    return f"{max(qa.settings.max_page_bytes, qa.settings.max_upload_bytes) / 2**20:g} MB"


def table_and_choices(qa: QA, status: Status, message: str):
    rows = article_rows(qa)
    choices = [(f"{row[0]} ({row[3]})", row[3]) for row in rows]
    return message, rows, gr.Dropdown(choices=choices, value=[]), status()


def add_files(qa: QA, status: Status, files: list[str] | None):
    results = []
    for path in files or []:
        name = Path(path).name
        s = qa.settings
        try:
            limit = size_limit(name, s.max_upload_bytes, s.limits)
            if Path(path).stat().st_size > limit:
                raise ArticleRejected(f"{name}: over the {limit / 2**20:g} MB limit.")
            added = qa.add_article(name, Path(path).read_bytes())
            results.append(f"Added {escape(added.source)} ({_passages(added.count)}).")
        except USER_ERRORS as exc:
            results.append(f"Not added: {escape(str(exc))}")
        finally:  # Gradio's copy of the upload: saved into the folder or refused
            with contextlib.suppress(OSError):
                Path(path).unlink()
                Path(path).parent.rmdir()  # its folder, when nothing else is in it
    return (*table_and_choices(qa, status, "<br>".join(results) or "Choose files first."), None)


def add_link(qa: QA, status: Status, link: str):
    """A page or PDF fetched by its address (or a file copied by its path) into the folder; a
    feed's address is followed."""
    try:
        added = qa.add_link(link)
    except USER_ERRORS as exc:
        return (*table_and_choices(qa, status, f"Not added: {escape(str(exc))}"), link)
    if isinstance(added, Poll):
        done = f"Following the feed {escape(link.strip())}: {escape(describe(added))}."
    else:
        done = f"Added {escape(added.source)} ({_passages(added.count)})."
    return (*table_and_choices(qa, status, done), "")


def add_text(qa: QA, status: Status, title: str, text: str):
    try:
        added = qa.add_text(title, text)
    except USER_ERRORS as exc:
        return (*table_and_choices(qa, status, f"Not added: {escape(str(exc))}"), title, text)
    return (
        *table_and_choices(qa, status, f"Added {escape(added.source)} ({_passages(added.count)})."),
        "",
        "",
    )


def confirm_removal(qa: QA, sources: list[str] | None):
    if not sources:
        return "Choose articles to remove first.", gr.Row(visible=False)
    titles = {a.source: a.title for a in qa.articles()}
    names = "<br>".join(
        f"<i>{escape(titles.get(s, s))}</i> (<code>{escape(s)}</code>)" for s in sources
    )
    question = f"Remove {len(sources)} article{'s' if len(sources) > 1 else ''}? "
    return (
        f"{question}The files are deleted from the folder.<br>{names}",
        gr.Row(visible=True),
    )


def remove(qa: QA, status: Status, sources: list[str] | str | None):
    if isinstance(sources, str):  # one name, as an API caller may send it
        sources = [sources]
    results = []
    for source in [name for name in sources or [] if isinstance(name, str)]:
        try:
            qa.remove_article(source)
            results.append(f"Removed {escape(source)}.")
        except USER_ERRORS as exc:
            results.append(f"Not removed: {escape(str(exc))}")
    return table_and_choices(qa, status, "<br>".join(results) or "Choose articles to remove first.")


def articles_tab(qa: QA, status_line: gr.Markdown, status: Status, app: gr.Blocks) -> None:
    """The tab's components and events, inside the current `gr.Blocks`."""
    message = gr.Markdown(elem_id="articles-message", latex_delimiters=[])
    table = gr.Dataframe(
        headers=["Title", "Outlet", "Date", "File", "Passages", "Indexed"],
        interactive=False,
        elem_id="articles",
        wrap=True,
        max_height=900,
        column_widths=["34%", "14%", "10%", "24%", "8%", "10%"],
    )
    upload, add_files_btn, link, add_link_btn, title, text, add_text_btn = _adding(qa)
    with gr.Row():
        # Typed names are allowed: an API caller has no session whose choices were loaded.
        picked = gr.Dropdown(
            label="Remove articles",
            multiselect=True,
            allow_custom_value=True,
            scale=4,
            elem_id="picked",
        )
        remove_btn = gr.Button("Remove…", variant="stop", scale=1, elem_id="remove")
    with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
        yes = gr.Button("Yes, delete them", variant="stop", elem_id="confirm-remove")
        no = gr.Button("Cancel", elem_id="cancel-remove")

    private = {"api_visibility": "private"}
    tables = [message, table, picked, status_line]
    app.load(functools.partial(table_and_choices, qa, status, ""), outputs=tables, **private)
    add_files_btn.click(
        functools.partial(add_files, qa, status), [upload], [*tables, upload], api_name="add_files"
    )
    add_link_btn.click(
        functools.partial(add_link, qa, status), [link], [*tables, link], api_name="add_link"
    )
    add_text_btn.click(
        functools.partial(add_text, qa, status),
        [title, text],
        [*tables, title, text],
        api_name="add_text",
    )
    remove_btn.click(
        functools.partial(confirm_removal, qa), [picked], [message, confirm_row], **private
    )
    yes.click(functools.partial(remove, qa, status), [picked], tables, api_name="remove").then(
        lambda: gr.Row(visible=False), outputs=confirm_row, **private
    )
    no.click(lambda: ("", gr.Row(visible=False)), outputs=[message, confirm_row], **private)
    # A changed selection was not confirmed: ask again.
    picked.change(lambda: gr.Row(visible=False), outputs=confirm_row, **private)
    feeds_section(qa, tables, functools.partial(table_and_choices, qa, status))


def _adding(qa: QA) -> tuple:
    """The controls that add articles: files, an address (a page, PDF or feed), pasted text."""
    with gr.Row():
        with gr.Column():
            upload = gr.File(
                label=(
                    f"Upload .txt or .md files (up to {megabytes(qa)} each), saved web pages "
                    f"(.html, up to {page_megabytes(qa)}) or PDFs (up to {pdf_megabytes(qa)})"
                ),
                file_count="multiple",
                file_types=[*TEXT_SUFFIXES, *HTML_SUFFIXES, *PDF_SUFFIXES],
                type="filepath",
            )
            add_files_btn = gr.Button("Add files", elem_id="add-files")
            link = gr.Textbox(
                label="Or the address (https://...) of a page, a PDF, or a news feed to follow",
                placeholder="https://news.example/2025/03/04/story.html",
                elem_id="new-link",
            )
            add_link_btn = gr.Button("Add", elem_id="add-link")
        with gr.Column():
            title = gr.Textbox(label="Title", elem_id="new-title")
            text = gr.Textbox(label="Article text", lines=6, elem_id="new-text")
            add_text_btn = gr.Button("Add text", elem_id="add-text")
    return upload, add_files_btn, link, add_link_btn, title, text, add_text_btn
