"""The real Gradio app on a free local port, asked through gradio_client."""

import socket

import pytest
from gradio_client import Client

from qa.answers import Answer, Citation
from ui import build_app, history_pairs, render_answer

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(seed_qa):
    app = build_app(seed_qa)
    app.queue()
    port = _free_port()
    app.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        inbrowser=False,
        quiet=True,
    )
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_chat_answers_with_sources_over_http(server):
    client = Client(server, verbose=False)
    reply = client.predict("Where did Jake Sullivan and Wang Yi hold talks?", api_name="/chat")
    text = reply if isinstance(reply, str) else str(reply)
    assert "Malta" in text
    assert "004_6412272d63db9382.txt" in text and "Sources" in text


def test_chat_refuses_off_topic_over_http(server):
    client = Client(server, verbose=False)
    reply = client.predict("What is the capital of Australia?", api_name="/chat")
    assert "don't cover" in str(reply)


def test_article_html_is_escaped():
    answer = Answer(
        "q", "Done.", False, [Citation(1, "x.txt", "<b>T</b>", "<script>alert(1)</script>", 0, 5)]
    )
    rendered = render_answer(answer)
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_history_from_gradio_messages_drops_sources():
    history = [
        {"role": "user", "content": "Who met Blinken?"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Han Zheng [1].\n\n**Sources**\n..."}],
        },
    ]
    assert history_pairs(history) == [("Who met Blinken?", "Han Zheng [1].")]
