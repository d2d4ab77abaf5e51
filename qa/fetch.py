"""Adding an article by link: a web page, a PDF or a news feed fetched with the standard
library, or a local file.

What comes back is checked and saved like an upload (`qa.library`): a page is kept as a saved
`.html` file in the articles folder (a PDF as a `.pdf`), so it is read again like any other; a
feed is followed (`feeds.py`). The fetch has a timeout and a size limit per kind, follows
redirects only to http(s), asks again only for what changed (ETag, Last-Modified), and every
failure is said in words: no connection, not a page, too large, too slow, an HTTP error.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .converters import Limits
from .library import ArticleRejected

# What a page may be served as; anything else (an image, JSON) is refused.
HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf",)
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
MAX_FEED_BYTES = 20 * 1024 * 1024  # a feed of 10,000 items is a few megabytes
FEED_KINDS = {t: ("feed", MAX_FEED_BYTES) for t in FEED_TYPES}
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


def page_name(url: str, kind: str = "html") -> str:
    """A file name for a fetched page: the address's last path segment (or its host), with
    the suffix of its kind (.html, .pdf)."""
    parts = urllib.parse.urlsplit(url)
    segment = urllib.parse.unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = re.sub(r"\.(s?html?|php|aspx?|jsp|pdf)$", "", segment, flags=re.IGNORECASE)
    if not stem or stem.lower() in ("index", "default"):
        stem = parts.hostname or "page"
    return f"{stem}.{kind}"


@dataclass(frozen=True)
class Fetched:
    """What an address gave: its bytes, their kind ("html", "pdf" or "feed"), the address it
    was fetched from after redirects, and the validators to ask again only if it changed."""

    data: bytes
    kind: str
    url: str
    etag: str = ""
    modified: str = ""


def page_kinds(limits: Limits) -> dict[str, tuple[str, int]]:
    """What a page may be served as: its content types, their kind and size limit."""
    kinds = {t: ("html", limits.page) for t in HTML_TYPES}
    return kinds | {t: ("pdf", limits.pdf) for t in PDF_TYPES}


def is_private(url: str) -> bool:
    """Whether `url`'s host is this machine or a private network's (loopback, private,
    link-local): a public feed's items may not lead there."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False  # not resolved: the fetch says so
    addresses = [ipaddress.ip_address(str(a).split("%")[0]) for a in found]
    return any(a.is_private or a.is_loopback or a.is_link_local for a in addresses)


def fetch_page(url: str, limits: Limits, timeout: float, feeds: bool = False) -> Fetched:
    """The page or PDF at `url` (http or https), within its kind's size limit, or with `feeds`
    a news feed; `ArticleRejected` saying why it could not be had."""
    kinds = page_kinds(limits) | (FEED_KINDS if feeds else {})
    fetched = fetch(url, kinds, timeout)
    assert fetched is not None  # asked without validators: never "not modified"
    return fetched


def fetch(
    url: str,
    kinds: dict[str, tuple[str, int]],
    timeout: float,
    etag: str = "",
    modified: str = "",
) -> Fetched | None:
    """The resource at `url` if it is served as one of `kinds` (content type -> kind, size
    limit); None when `etag` or `modified` say it has not changed since."""
    url = url.strip()
    if not is_link(url):
        raise ArticleRejected(f"{url}: only http:// and https:// addresses can be fetched.")
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(kinds)}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            content_type = response.headers.get_content_type()
            if content_type not in kinds:
                names = {"html": "a web page", "pdf": "a PDF", "feed": "a news feed"}
                wanted = " or ".join(dict.fromkeys(names[k] for k, _ in kinds.values()))
                raise ArticleRejected(f"{url}: not {wanted} (the server sent {content_type}).")
            kind, max_bytes = kinds[content_type]
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise _too_large(url, int(length), max_bytes, kind)
            data = bytearray()
            while block := response.read(_BLOCK):
                data += block
                if len(data) > max_bytes:
                    raise _too_large(url, len(data), max_bytes, kind, more=True)
            return Fetched(
                bytes(data),
                kind,
                response.geturl(),
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
            )
    except ArticleRejected:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and (etag or modified):
            return None
        raise ArticleRejected(f"{url}: the server answered {exc.code} {exc.reason}.") from exc
    except urllib.error.URLError as exc:
        raise _unreachable(url, exc.reason, timeout) from exc
    except TimeoutError as exc:
        raise ArticleRejected(f"{url}: no answer within {timeout:g} seconds.") from exc
    except (OSError, ValueError) as exc:  # a connection dropped midway, a malformed address
        raise _unreachable(url, exc, timeout) from exc


def _too_large(url: str, size: int, limit: int, kind: str, more: bool = False) -> ArticleRejected:
    over = "more than " if more else ""
    name = {"html": "page", "pdf": "PDF", "feed": "feed"}[kind]
    return ArticleRejected(
        f"{url}: the {name} is {over}{size / 2**20:.1f} MB, over the {limit / 2**20:g} MB limit "
        f"for {name}s."
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
