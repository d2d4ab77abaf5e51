"""llama.cpp's own server engine (the `xllamacpp` wheel), run in this process on a GGUF file.

The same engine that `llama-server` runs: parallel slots, a prompt cache (the state of a prompt's
leading tokens is kept, so the fixed instruction is read once), OpenAI-compatible chat
completions with `logprobs`, and GBNF grammars. `EngineConnection` hands it the same request
bodies `HttpConnection` sends over HTTP, so one client (`served.py`) serves both; the engine also
listens on 127.0.0.1, which `python -m qa serve` uses to serve it to other processes.

Two engine settings make an answer independent of what was asked before it: flash attention
off and no repacked weights. With either on, the state kept from an earlier prompt changes how
the rest is batched, and that changes the sums enough to flip a greedy answer near a tie; with
both off, only a prompt read in full from the cache differs (its last token is read alone), and
`ServedReader` never asks for that for a greedy reply.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
from collections.abc import Callable, Iterator

from ..models import ModelUnavailable
from ..settings import Settings
from .connection import ReaderUnavailable

log = logging.getLogger(__name__)

_DONE = object()


def engine_info() -> str:
    """The instruction sets the engine was built for ("AVX = 1 | AVX2 = 1 | ..."), or why not."""
    try:
        import xllamacpp
    except ImportError:
        return "not installed"
    return xllamacpp.get_system_info().strip().removeprefix("CPU :").strip(" |")


def start_engine(
    gguf: str,
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "",
):
    """An `xllamacpp.Server` over `gguf`, loaded and listening on `host:port` (0: any free
    port) for clients with `api_key` (none: a random one); `settings.reader_slots` questions
    are read at once."""
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelUnavailable(
            "The reader engine needs `xllamacpp` (pip install xllamacpp), or set "
            "QA_READER_URL to a server, or QA_READER_BACKEND=transformers."
        ) from exc
    slots = max(1, settings.reader_slots)
    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.n_parallel = slots
    params.n_ctx = settings.reader_context * slots
    threads = settings.threads or max(os.cpu_count() or 1, 1)
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.flash_attn_type = 0  # off, and no repacked weights: see the module's docstring
    params.no_extra_bufts = True
    params.cache_ram_mib = 0  # no prompts kept aside in memory: only each slot's own
    params.hostnames = [host]
    params.port = port
    # The engine always listens; in process nobody is meant to reach it, so it takes a key
    # nobody knows.
    params.api_keys = [api_key or secrets.token_hex(16)]
    params.verbosity = -1  # the engine's log stays quiet; errors come back in the replies
    try:
        return xllamacpp.Server(params)
    except Exception as exc:
        raise ModelUnavailable(f"Cannot load the reader model {gguf!r}: {exc}") from exc


class EngineConnection:
    """Chat completions answered by the engine in this process."""

    llama = True  # llama.cpp's request options (grammar, cache_prompt, seed, top_k) work

    def __init__(self, server, name: str):
        self.server = server
        self.where = f"the reader engine in this process ({name})"

    def chat(self, body: dict) -> dict:
        reply = self.server.handle_chat_completions({**body, "stream": False})
        _raise_for_error(reply, self.where)
        return reply

    def stream(self, body: dict) -> Iterator[dict]:
        """The reply's chunks as the engine writes them; closing the iterator stops it."""
        chunks: queue.Queue = queue.Queue()
        stop = threading.Event()

        def take(chunk: dict) -> bool:
            chunks.put(chunk)
            return stop.is_set()  # True: the engine stops this reply

        def run() -> None:
            try:
                self.server.handle_chat_completions({**body, "stream": True}, take)
            except Exception as exc:  # surfaced in the reader's thread below
                chunks.put(exc)
            chunks.put(_DONE)

        worker = threading.Thread(target=run, daemon=True, name="engine-reply")
        worker.start()
        try:
            while (chunk := chunks.get()) is not _DONE:
                if isinstance(chunk, Exception):
                    raise ReaderUnavailable(f"{self.where} failed: {chunk}") from chunk
                _raise_for_error(chunk, self.where)
                yield chunk
        finally:
            stop.set()
            worker.join()

    def close(self) -> None:
        self.server = None


def _raise_for_error(reply: dict, where: str) -> None:
    error = reply.get("error") if isinstance(reply, dict) else None
    if error is None and isinstance(reply, dict) and "code" in reply and "message" in reply:
        error = reply
    if error is not None:
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ReaderUnavailable(f"{where} answered with an error: {message}")


def serve(settings: Settings, gguf: str, host: str, port: int, say: Callable[[str], None]) -> None:
    """Serve the engine over HTTP until interrupted (`python -m qa serve`)."""
    server = start_engine(gguf, settings, host, port, settings.reader_api_key)
    say(f"Serving {gguf} at {server.listening_address}/v1 (Ctrl-C stops it)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        say("Stopped.")
    finally:
        del server
