"""The real Gradio app on a free local port, used through gradio_client as a browser would."""

import html
import shutil
from pathlib import Path

import pytest
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file

from benchmarks.load import ask_all, free_port
from qa import QA
from qa.answers import Answer, Citation, Passage
from qa.chunking import Chunk
from qa.ui import build_app, launch
from qa.ui.chat import Line
from qa.ui.render import _words_around, copy_text, plain_answer, render_answer

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def server(tmp_path_factory, settings):
    """The chat over a private copy of the seeds, which the Articles tests may change."""
    folder = tmp_path_factory.mktemp("ui") / "articles"
    shutil.copytree(SEEDS, folder)
    qa = QA(folder, folder.parent / "index", settings)
    app = build_app(qa)
    port = free_port()
    launch(app, qa, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", qa
    app.close()


def _ask(url: str, question: str) -> str:
    """The reply's raw content: HTML as the page gets it."""
    return str(Client(url, verbose=False).predict(question, [], api_name="/chat"))


@pytest.mark.slow
def test_chat_answers_with_linked_sources_over_http(server):
    url, _ = server
    content = _ask(url, "What share of global GDP do APEC economies account for?")
    assert "62" in plain_answer(content)
    assert '<a href="#src-1-1">[1]</a>' in content and 'id="src-1-1"' in content
    shown = html.unescape(content)
    assert "003_aeeab2822e5e7b66.txt" in shown
    assert "<mark>" in content and "62% of global GDP" in shown


def test_off_topic_and_bad_questions_get_a_clear_reply(server):
    url, _ = server
    assert "Nothing relevant found" in html.unescape(_ask(url, "What is the capital of Australia?"))
    assert "type a question" in _ask(url, "   ")
    assert "in words" in _ask(url, "?!?... ;-)")
    assert "100,000 characters long" in html.unescape(_ask(url, "why " * 25_000))


@pytest.mark.slow
def test_articles_view_adds_and_removes_and_the_chat_sees_it(server, tmp_path):
    url, qa = server
    client = Client(url, verbose=False)
    message, table, _, status, *_ = client.predict(
        "Harbour festival draws record crowd",
        "The harbour festival in Port Elwin drew 41,000 visitors on Saturday, organisers said.",
        api_name="/add_text",
    )
    source = "harbour-festival-draws-record-crowd.txt"
    assert f"Added {source} (1 passage)" in html.unescape(message)
    assert "6 articles" in status
    assert source in [row[3] for row in table["data"]]
    assert "41,000" in _ask(url, "How many visitors did the Port Elwin harbour festival draw?")

    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    duplicate = tmp_path / "copy.txt"
    shutil.copy(SEEDS / "004_6412272d63db9382.txt", duplicate)
    uploads = Path(get_upload_folder())
    before = set(uploads.rglob("*.txt"))
    message = client.predict(
        [handle_file(str(binary)), handle_file(str(duplicate))], api_name="/add_files"
    )[0]
    message = html.unescape(message)
    assert "photo.txt: looks binary" in message and "already in the collection" in message
    assert set(uploads.rglob("*.txt")) <= before  # Gradio's copies of the uploads are gone
    assert len(qa.index.articles) == 6

    message, table, *_ = client.predict([source], api_name="/remove")
    assert f"Removed {source}" in html.unescape(message)
    assert source not in [row[3] for row in table["data"]]
    assert "Nothing relevant found" in html.unescape(
        _ask(url, "How many visitors did the Port Elwin harbour festival draw?")
    )


@pytest.mark.slow
def test_twenty_concurrent_questions_each_get_their_own_answer(server):
    """Greedy decoding makes each answer reproducible, so every reply under load must equal the
    one the same question gets alone: nothing lost, nothing mixed up between users."""
    url, _ = server
    questions = [
        "What share of global GDP do APEC economies account for?",
        "What did Elon Musk say about the TikTok ban?",
        "Who did Han Zheng meet in Washington on the eve of Trump's inauguration?",
        "Where was Wang Yi while Blinken met Han Zheng?",
        "What is the capital of Australia?",  # answered without the reader, mixed in
    ] * 4
    expected = {q: plain_answer(_ask(url, q)) for q in set(questions)}
    replies, _, pending = ask_all(url, questions)
    assert [r.error for r in replies] == [""] * 20
    assert [r.text for r in replies] == [expected[q] for q in questions]
    assert max(r.max_rank for r in replies) >= 1  # the server told waiting users their place
    assert pending > 0  # the Articles view answered while answers were still queued


def test_article_html_is_escaped():
    answer = Answer(
        "q", "Done.", [Citation(1, "x.txt", "<b>T</b>", "<script>alert(1)</script>", 0, 5)]
    )
    rendered = render_answer(answer)
    assert "<script>" not in rendered and "&#60;script&#62;" in rendered
    assert "<b>T</b>" not in rendered


def test_copy_text_is_the_answer_then_each_source_as_plain_text():
    answer = Answer(
        "q",
        "Malta [1].",
        [Citation(1, "a_b.txt", "Talks & <more>", "They met in Malta.", 0, 18)],
    )
    assert copy_text(answer) == 'Malta [1].\n[1] Talks & <more> (a_b.txt): "They met in Malta."'
    rendered = render_answer(answer)
    assert html.escape(copy_text(answer)) in rendered  # kept for the Copy button, escaped
    assert plain_answer(rendered) == "Malta[1]."


def test_an_abstention_says_why_and_folds_the_passages_checked():
    chunk = Chunk("x.txt", "Port Elwin festival", "The festival drew crowds.", 0, 25, ())
    answer = Answer("q", "no", passages=[Passage(0, chunk, 1.0, 1.0, 0)], reason="reader_declined")
    rendered = render_answer(answer)
    assert "mention “Port Elwin festival”, but do not say what was asked" in html.unescape(rendered)
    assert "<details" in rendered and "Passages checked (1)" in rendered
    assert "The festival drew crowds." in rendered
    no_articles = Answer("q", "Add files to /tmp/{odd}/.", reason="no_articles")
    assert "/tmp/{odd}/" in render_answer(no_articles)  # the pipeline's own text, as written


def test_an_unsure_reply_shows_what_the_articles_may_say_with_its_quote_not_as_the_answer():
    text = "Arto Kell is the mayor of Port Vessa."
    chunk = Chunk("x.txt", "Ferry capsizes", text, 0, len(text), ())
    answer = Answer(
        "Who is the mayor of Port Vessa?",
        "The articles may say: Arto Kell is the mayor [1]. I could not confirm it.",
        [Citation(1, "x.txt", "Ferry capsizes", text, 0, len(text))],
        passages=[Passage(0, chunk, 1.0, 1.0, 2)],
        reason="unsure",
        draft="Arto Kell is the mayor [1].",
    )
    assert answer.abstained and answer.grade == "unsure"
    rendered = render_answer(answer)
    assert "Not sure" in rendered and 'href="#src-1-1"' in rendered
    assert f"<mark>{text}</mark>".replace(".", ".") in html.unescape(rendered)
    assert "may say" in copy_text(answer)


def test_quote_context_is_cut_at_word_boundaries():
    before, after = _words_around("word " * 100, " next" * 100)
    assert before.startswith("… word") and after.endswith("next …")
    before, after = _words_around(" abcdefgh" * 40, "abcdefgh " * 40)  # cuts fall mid-word
    assert before.startswith("… abcdefgh ") and after.endswith(" abcdefgh …")
    assert _words_around("short", "also") == ("short", "also")
    before, after = _words_around("字" * 300, "字" * 300)  # no spaces: cut where it falls
    assert before == "… " + "字" * 280 and after == "字" * 280 + " …"


def test_the_line_counts_questions_ahead_and_forgets_abandoned_ones():
    line = Line(slots=1, expire=60)
    first, ahead = line.join()
    assert ahead == 0
    line.start(first)
    second, ahead = line.join()
    assert ahead == 1
    line.leave(first)
    line.leave(second)
    assert line.join()[1] == 0
    stale = Line(expire=0)
    stale.join()
    assert stale.join()[1] == 0
    wide = Line(slots=4)  # four answered at a time: the first four wait for nobody
    assert [wide.join()[1] for _ in range(5)] == [0, 0, 0, 0, 1]


def test_each_source_shows_its_outlet_and_date_where_known():
    dated = Citation(
        1, "a.html", "Toll rises", "Nineteen died.", 0, 14, "2015-04-25",
        "https://usatoday.example/story", "USA Today",
    )  # fmt: skip
    bare = Citation(2, "b.txt", "Other", "Something else.", 0, 15)
    hostile = Citation(3, "c.html", "T", "Q.", 0, 2, None, "javascript:alert(1)", "<b>X</b>")
    rendered = render_answer(Answer("q", "Nineteen [1] [2] [3].", [dated, bare, hostile]))
    shown = html.unescape(rendered)
    assert "USA Today, 25 Apr 2015" in shown
    assert 'href="https://usatoday.example/story"' in rendered
    assert "javascript:" not in rendered and "<b>X</b>" not in rendered
    assert copy_text(Answer("q", "N [1].", [dated])).endswith(
        '[1] Toll rises — USA Today, 25 Apr 2015 (a.html): "Nineteen died."'
    )


def test_the_articles_list_is_newest_first_by_publication_date():
    from qa.store import IndexedArticle
    from qa.ui.articles import newest_first

    def article(source: str, date: str | None, indexed_at: float) -> IndexedArticle:
        return IndexedArticle(source, source, "0", 0, 1, indexed_at, date=date)

    articles = [
        article("old.html", "2015-04-25", 3.0),
        article("undated-early.txt", None, 1.0),
        article("new.html", "2026-07-24", 1.0),
        article("undated-late.txt", None, 5.0),
    ]
    order = [a.source for a in newest_first(articles)]
    assert order == ["new.html", "old.html", "undated-late.txt", "undated-early.txt"]
