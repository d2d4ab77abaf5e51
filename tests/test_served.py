"""The reader as a served engine: a real reader server on 127.0.0.1 (`python -m qa serve`, the
packaged GGUF) answers as the engine in this process does; a server that gives no logprobs and
takes no grammar, one that is gone, one that never answers and one that fails each get a plain
answer that names it; the chat stays up; two slots answer as one."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from benchmarks.load import free_port
from qa import QA
from qa.ui import build_app, launch
from qa.ui.render import plain_answer

ROOT = Path(__file__).resolve().parent.parent
KEY = "a-key-for-the-tests"  # the reader server requires it
SEEDS = ROOT / "seeds"
QUESTIONS = [
    "What share of global GDP do APEC economies account for?",  # confident
    "Who met Blinken at the UN?",  # unsure
    "How many member economies does APEC have?",
    "What did the mayor of Lisbon say about the bridge?",  # nothing relevant: no reader
]


@pytest.fixture(scope="module")
def reader_server():
    """`python -m qa serve` in its own process, on a free port; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "QA_READER_API_KEY": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the reader server did not start")
    yield url
    process.terminate()
    process.wait(30)


def _served(settings, tmp_path: Path, url: str, **changes) -> QA:
    served = dataclasses.replace(settings, reader_url=url, **{"reader_api_key": KEY, **changes})
    return QA(SEEDS, tmp_path / "index", served)


def _graded(qa: QA, question: str) -> tuple[str, str, float | None]:
    answer = qa.answer(question)
    confidence = None if answer.confidence is None else round(answer.confidence, 3)
    return answer.grade, answer.text, confidence


@pytest.mark.slow
def test_a_reader_server_answers_as_the_engine_in_process(seed_qa, reader_server, tmp_path):
    served = _served(seed_qa.settings, tmp_path, reader_server)
    in_process = [_graded(seed_qa, q) for q in QUESTIONS]
    over_http = [_graded(served, q) for q in QUESTIONS]
    assert over_http == in_process
    assert [g for g, _, _ in in_process][:2] == ["confident", "unsure"]
    assert served.answerer.notes == []
    keyless = _served(seed_qa.settings, tmp_path / "other", reader_server, reader_api_key="")
    refused = keyless.answer(QUESTIONS[0])
    assert refused.reason == "reader_unavailable" and "HTTP 401" in refused.text
    assert "QA_READER_API_KEY" in refused.text and reader_server in refused.text


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A server of another kind in front of the real one: no `/props`, no logprobs in its
    replies (so neither grammars nor confidence), or an error for every chat request."""

    upstream = ""
    fail = False

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/models"):
            self._send(200, json.dumps({"data": [{"id": "any"}]}).encode())
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.fail:
            self._send(500, json.dumps({"error": {"message": "out of memory"}}).encode())
            return
        body.pop("logprobs", None), body.pop("top_logprobs", None)
        headers = {"Authorization": f"Bearer {KEY}"}
        reply = httpx.post(
            f"{self.upstream}/chat/completions", json=body, headers=headers, timeout=120
        )
        if not body.get("stream"):
            data = reply.json()
            for choice in data.get("choices", []):
                choice.pop("logprobs", None)
            self._send(200, json.dumps(data).encode())
            return
        self._send(200, reply.content, "text/event-stream")

    def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _proxy(upstream: str, fail: bool = False) -> tuple[http.server.HTTPServer, str]:
    handler = type("Proxy", (_Proxy,), {"upstream": upstream, "fail": fail})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.mark.slow
def test_a_server_without_logprobs_or_grammars_shows_drafts_as_unsure(
    seed_qa, reader_server, tmp_path
):
    proxy, url = _proxy(reader_server)
    try:
        served = _served(seed_qa.settings, tmp_path, url)
        answer = served.answer(QUESTIONS[0])
        assert answer.grade == "unsure" and answer.confidence is None
        assert "62%" in answer.draft and answer.citations
        notes = " ".join(served.answerer.notes)
        assert "no token probabilities" in notes and "no grammars" in notes
        assert url in notes
        assert served.reader.copy_constraint("Malta talks") is None
    finally:
        proxy.shutdown()


def test_a_server_that_fails_is_named_in_a_plain_message(settings, tmp_path):
    proxy, url = _proxy("http://127.0.0.1:9", fail=True)
    try:
        answer = _served(settings, tmp_path, url).answer(QUESTIONS[0])
    finally:
        proxy.shutdown()
    assert answer.reason == "reader_unavailable" and answer.grade == "not_found"
    assert url in answer.text and "HTTP 500" in answer.text and "out of memory" in answer.text


def test_a_server_that_is_gone_is_named_within_a_minute(settings, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    started = time.monotonic()
    answer = _served(settings, tmp_path, url).answer(QUESTIONS[0])
    assert time.monotonic() - started < 60
    assert answer.reason == "reader_unavailable" and not answer.citations
    assert url in answer.text and "not answering" in answer.text


def test_a_server_that_never_answers_times_out_with_a_message(settings, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never replies
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        started = time.monotonic()
        answer = _served(settings, tmp_path, url, reader_timeout=2.0).answer(QUESTIONS[0])
        assert time.monotonic() - started < 30
    finally:
        listener.close()
    assert answer.reason == "reader_unavailable" and url in answer.text
    assert "timed out" in answer.text


def test_the_chat_stays_up_when_the_reader_server_is_gone(settings, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    qa = _served(settings, tmp_path, url)
    app = build_app(qa)
    port = free_port()
    launch(app, qa, port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for _ in range(2):  # asked again: the chat answers again, with the same message
            reply = plain_answer(str(client.predict(QUESTIONS[0], [], api_name="/chat")))
            assert url in reply and "Traceback" not in reply
    finally:
        app.close()


@pytest.mark.slow
def test_two_slots_give_the_same_replies_as_one(seed_qa, tmp_path):
    """Two questions read at once by a two-slot engine get the answers one slot gives them in
    turn (the packaged reader, a second engine in this process)."""
    two = QA(SEEDS, tmp_path / "index", dataclasses.replace(seed_qa.settings, reader_slots=2))
    questions = QUESTIONS[:3] + ["Who did Wang Yi meet in Moscow?"]
    alone = [seed_qa.answer(q) for q in questions]
    together: list = [None] * len(questions)

    def ask(i: int) -> None:
        together[i] = two.answer(questions[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(a.grade, a.text) for a in together] == [(a.grade, a.text) for a in alone]


@pytest.mark.slow
def test_a_reader_without_a_calibrator_shows_drafts_as_unsure_and_says_why(
    seed_qa, reader_server, tmp_path
):
    """The same server asked for another model name is another reader: no calibrator is keyed
    to it, so its drafts are shown as unsure, and the notes give the command that fits one."""
    served = _served(
        seed_qa.settings, tmp_path, reader_server, reader_model="my-model", cache_dir=tmp_path
    )
    answer = served.answer(QUESTIONS[0])
    assert answer.grade == "unsure" and answer.confidence is None
    assert "62%" in answer.draft and answer.citations
    (note,) = served.answerer.notes
    assert "no calibrator has been fitted for the reader my-model" in note
    assert "python -m qa calibrate --dev" in note
