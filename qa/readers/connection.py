"""Where chat completions go: a reader server over HTTP (`QA_READER_URL`), speaking the
OpenAI-compatible API that llama.cpp's `llama-server`, Ollama, vLLM and `python -m qa serve`
share. `engine.EngineConnection` is the same thing for the engine in this process.

A connection takes a request body and returns the reply (`chat`) or its chunks (`stream`);
every failure (refused, timed out, an error status) is a `ReaderUnavailable` whose message names
the server, so the chat and the command line can say it plainly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx


class ReaderUnavailable(RuntimeError):
    """The reader cannot answer now (its server is down, slow or failing); the message names
    where it was asked and why."""


class HttpConnection:
    """A reader server at `url` (its OpenAI-compatible base, as `http://host:8080/v1`)."""

    def __init__(self, url: str, api_key: str = "", timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.where = f"the reader server at {self.url}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Connecting must be quick; a reply's next piece may take as long as `timeout` (a
        # busy server reads other prompts first).
        limits = httpx.Timeout(timeout, connect=min(10.0, timeout))
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=limits)
        self.llama = False

    def probe(self) -> None:
        """Check that the server answers, and whether it is llama.cpp's (grammars and its
        request options work only there: its `/props` says so)."""
        try:
            response = self._client.get("/models")
        except httpx.HTTPError as exc:
            raise ReaderUnavailable(f"{self.where} is not answering: {_why(exc)}") from exc
        _raise_for_status(response, self.where)
        root = self.url.removesuffix("/v1")
        try:
            props = self._client.get(f"{root}/props", timeout=5.0)
            self.llama = props.status_code == 200 and "default_generation_settings" in props.json()
        except (httpx.HTTPError, ValueError):
            self.llama = False

    def chat(self, body: dict) -> dict:
        try:
            response = self._client.post("/chat/completions", json={**body, "stream": False})
            _raise_for_status(response, self.where)
            return response.json()
        except httpx.HTTPError as exc:
            raise ReaderUnavailable(f"{self.where} did not answer: {_why(exc)}") from exc
        except ValueError as exc:
            raise ReaderUnavailable(f"{self.where} sent a reply that is not JSON") from exc

    def stream(self, body: dict) -> Iterator[dict]:
        """The reply's chunks (server-sent events) as they arrive; closing the iterator closes
        the connection, which stops the server's work on it."""
        try:
            with self._client.stream(
                "POST", "/chat/completions", json={**body, "stream": True}
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_status(response, self.where)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    chunk = json.loads(data)
                    if isinstance(chunk, dict) and chunk.get("error"):
                        raise ReaderUnavailable(f"{self.where} failed: {_message(chunk)}")
                    yield chunk
        except httpx.HTTPError as exc:
            raise ReaderUnavailable(f"{self.where} did not answer: {_why(exc)}") from exc
        except ValueError as exc:
            raise ReaderUnavailable(f"{self.where} sent a reply that is not JSON") from exc

    def close(self) -> None:
        self._client.close()


def _message(body: object) -> str:
    error = body.get("error", body) if isinstance(body, dict) else body
    return str(error.get("message", error) if isinstance(error, dict) else error)[:300]


def _raise_for_status(response: httpx.Response, where: str) -> None:
    if response.status_code < 400:
        return
    try:
        detail = _message(response.json())
    except ValueError:
        detail = response.text[:300]
    if response.status_code in (401, 403):
        detail += " (check QA_READER_API_KEY)"
    raise ReaderUnavailable(f"{where} answered HTTP {response.status_code}: {detail}")


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "it timed out (QA_READER_TIMEOUT)"
    if isinstance(exc, httpx.ConnectError):
        return "the connection was refused or the host is unreachable"
    return str(exc) or type(exc).__name__
