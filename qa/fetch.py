"""Adding an article by link: a web page fetched with the standard library, or a local file.

What comes back is checked and saved like an upload (`qa.library`): a page is kept as a saved
`.html` file in the articles folder, so it is read again like any other. The fetch has a
timeout and a size limit, follows redirects only to http(s), and every failure is said in
words: no connection, not an HTML page, too large, too slow, an HTTP error.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .library import ArticleRejected

# What a page may be served as; anything else (a PDF, an image, JSON) is refused.
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "article-qa (+offline news question answering; fetches one page on request)"
_BLOCK = 64 * 1024


def is_link(text: str) -> bool:
    """An http(s) address rather than a file path."""
    return bool(re.match(r"^https?://", text.strip(), re.IGNORECASE))


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed to http(s) addresses only (never ftp:// or file://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_link(newurl):
            raise ArticleRejected(
                f"{req.full_url}: redirects to {newurl}, which is not a web page."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def page_name(url: str) -> str:
    """A file name for a fetched page: the address's last path segment (or its host), .html."""
    parts = urllib.parse.urlsplit(url)
    segment = urllib.parse.unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", segment, flags=re.IGNORECASE)
    if not stem or stem.lower() in ("index", "default"):
        stem = parts.hostname or "page"
    return f"{stem}.html"


def fetch_page(url: str, max_bytes: int, timeout: float) -> bytes:
    """The page at `url` (http or https), at most `max_bytes`; `ArticleRejected` saying why
    it could not be had."""
    url = url.strip()
    if not is_link(url):
        raise ArticleRejected(f"{url}: only http:// and https:// addresses can be fetched.")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html"})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            kind = response.headers.get_content_type()
            if kind not in HTML_TYPES:
                raise ArticleRejected(f"{url}: not an HTML page (the server sent {kind}).")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise _too_large(url, int(length), max_bytes)
            data = bytearray()
            while block := response.read(_BLOCK):
                data += block
                if len(data) > max_bytes:
                    raise _too_large(url, len(data), max_bytes, more=True)
            return bytes(data)
    except ArticleRejected:
        raise
    except urllib.error.HTTPError as exc:
        raise ArticleRejected(f"{url}: the server answered {exc.code} {exc.reason}.") from exc
    except urllib.error.URLError as exc:
        raise _unreachable(url, exc.reason, timeout) from exc
    except TimeoutError as exc:
        raise ArticleRejected(f"{url}: no answer within {timeout:g} seconds.") from exc
    except (OSError, ValueError) as exc:  # a connection dropped midway, a malformed address
        raise _unreachable(url, exc, timeout) from exc


def _too_large(url: str, size: int, limit: int, more: bool = False) -> ArticleRejected:
    over = "more than " if more else ""
    return ArticleRejected(
        f"{url}: the page is {over}{size / 2**20:.1f} MB, over the {limit / 2**20:g} MB limit "
        "for pages."
    )


def _unreachable(url: str, reason: object, timeout: float) -> ArticleRejected:
    if isinstance(reason, TimeoutError):
        return ArticleRejected(f"{url}: no answer within {timeout:g} seconds.")
    host = urllib.parse.urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return ArticleRejected(
            f"{url}: cannot find {host} (no network, or the address is misspelt)."
        )
    detail = getattr(reason, "strerror", None) or str(reason)
    return ArticleRejected(f"{url}: cannot connect to {host} ({detail}).")


def read_file(path: str | Path, max_bytes: int) -> bytes:
    """A local article file's bytes, refused unread when it is over `max_bytes`."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ArticleRejected(f"{path}: not a file.")
        if size > max_bytes:
            raise ArticleRejected(
                f"{path.name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit."
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ArticleRejected(f"{path}: no such file.") from exc
    except OSError as exc:
        raise ArticleRejected(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
