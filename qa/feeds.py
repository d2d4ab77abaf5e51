"""News feeds followed: RSS and Atom (read with feedparser), each new item's page fetched
through the add-by-link path (its size, type and timeout limits) and saved into the articles
folder like a page added by link, with the item's title, date and link where the page lacks them.

The followed feeds live in `feeds.json` beside the index (written atomically) with what each poll
found: when, pages saved, the last error, the validators that ask the feed again only if it changed
(ETag, Last-Modified), and each item seen with the digest of its story. An item already saved is
not added twice; one whose story changed (a new toll) is saved again beside the first, dated as the
newer report, which "latest" answers read. A feed or page that fails is reported and tried again
at the next poll; nothing else stops.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from . import fetch, library
from .documents import ArticleError, decode_article
from .files import write_atomic
from .library import ArticleRejected

log = logging.getLogger(__name__)


@dataclass
class Feed:
    """A followed feed and what its polls found."""

    url: str
    title: str = ""
    added: float = 0.0
    last_poll: float = 0.0
    pages: int = 0  # pages saved from it
    last_error: str = ""
    etag: str = ""
    modified: str = ""
    # Each item seen, by its id or link: the article saved from it and its page's digest.
    items: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Poll:
    """What one poll of one feed did."""

    feed: str
    added: list[str] = field(default_factory=list)  # the articles saved
    skipped: list[str] = field(default_factory=list)  # pages that failed, each with why
    error: str = ""  # the feed itself failed
    unchanged: bool = False  # the feed said it had not changed


class FeedList:
    """The followed feeds, kept in `feeds.json` beside the index."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / "feeds.json"
        self._lock = threading.Lock()

    def load(self) -> dict[str, Feed]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ArticleRejected(f"{self.path}: the list of feeds cannot be read ({exc})") from exc
        names = {f.name for f in dataclasses.fields(Feed)}
        return {f["url"]: Feed(**{k: v for k, v in f.items() if k in names}) for f in raw}

    def save(self, feeds: dict[str, Feed]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps([dataclasses.asdict(f) for f in feeds.values()], indent=1)
        write_atomic(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o644)

    def update(self, url: str, change) -> Feed | None:
        """Apply `change` to the feed at `url` (or add it when `change` makes one) and save."""
        with self._lock:
            feeds = self.load()
            result = change(feeds)
            self.save(feeds)
            return result


def parse(data: bytes, url: str):
    """The feed in `data`, as feedparser reads it; `ArticleRejected` when it is no feed."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        raise ArticleRejected(f"{url}: not an RSS or Atom feed ({parsed.bozo_exception}).")
    if not parsed.get("version") and not parsed.entries:
        raise ArticleRejected(f"{url}: not an RSS or Atom feed.")
    return parsed


def _entry_date(entry) -> str | None:
    value = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return dt.date(*value[:3]).isoformat() if value else None


def _updated(entry) -> str:
    """When a newer version of a page saved before was published: when the feed says the item
    was updated, if after its first publication, else today."""
    # dict.get: feedparser's own `get` would give the published date for a missing updated one
    first, then = dict.get(entry, "published_parsed"), dict.get(entry, "updated_parsed")
    if then and (not first or then > first):
        return dt.date(*then[:3]).isoformat()
    return dt.datetime.now(dt.UTC).date().isoformat()


def annotate(data: bytes, title: str, date: str | None, link: str, updated: str | None) -> bytes:
    """A saved page with the feed item's title, date and link, for the HTML converter to take
    where the page lacks them, and, for a newer version of a page, the date it was seen. Every
    tag is written, empty where the item gives nothing, so the page's own cannot stand in."""
    tags = [
        f'<meta name="qa:feed-{name}" content="{html.escape(value or "", quote=True)}">\n'
        for name, value in (("title", title), ("date", date), ("link", link), ("updated", updated))
    ]
    return "".join(tags).encode() + data


def _story_digest(page: fetch.Fetched, limits) -> str:
    """A digest of the story a page tells (its extracted text): pages change their markup,
    ads and timestamps at every request, which is no new report."""
    try:
        article = decode_article(page.data, f"item.{page.kind}", limits)
    except ArticleError as exc:
        said = str(exc).removeprefix(f"item.{page.kind}: ")
        raise ArticleRejected(f"{page.url}: {said}") from exc
    return hashlib.sha256(article.text.encode()).hexdigest()


def poll(feed: Feed, qa, max_items: int, timeout: float) -> Poll:
    """Poll `feed` once: save up to `max_items` new or changed items' pages into `qa`'s
    articles (a `QA`); `feed` is updated with what was found."""
    feed.last_poll = time.time()
    try:
        fetched = fetch.fetch(feed.url, fetch.FEED_KINDS, timeout, feed.etag, feed.modified)
        if fetched is None:
            feed.last_error = ""
            return Poll(feed.url, unchanged=True)
        parsed = parse(fetched.data, feed.url)
    except ArticleRejected as exc:
        feed.last_error = str(exc)
        return Poll(feed.url, error=str(exc))
    feed.etag, feed.modified = fetched.etag, fetched.modified
    feed.title = " ".join(str(parsed.feed.get("title", "")).split()) or feed.title
    added, skipped, asked = [], [], 0
    # An item saved before is asked for again (only if it changed) among the newest
    # `max_items` only: a story is updated while it is news. At most twice `max_items` pages
    # are asked for a poll, so a feed of failing links cannot hold the poller up.
    for n, entry in enumerate(parsed.entries):
        if len(added) >= max_items or asked >= 2 * max_items:
            break
        if not entry.get("link"):
            continue
        link = urllib.parse.urljoin(fetched.url, entry["link"])
        key = entry.get("id") or link
        if not fetch.is_link(link) or (key in feed.items and n >= max_items):
            continue
        if fetch.is_private(link) and not fetch.is_private(feed.url):
            skipped.append(f"{link}: a private address, named by a feed that is not one")
            continue
        asked += 1
        try:
            source = _save_item(feed, qa, key, entry, link, timeout)
        except ArticleRejected as exc:
            skipped.append(str(exc))
            continue
        except Exception as exc:  # a failure of the index: reported, the poll goes on
            log.exception("Saving %s from the feed %s failed", link, feed.url)
            skipped.append(f"{link}: {exc}")
            continue
        if source:
            added.append(source)
    feed.pages += len(added)
    feed.last_error = "; ".join(skipped[:3])
    return Poll(feed.url, added, skipped)


def _save_item(feed: Feed, qa, key: str, entry, link: str, timeout: float) -> str:
    """Save one item's page, unless it is saved already as it is; the article's name, or ""."""
    limits = qa.settings.limits
    seen = feed.items.get(key)
    validators = (seen.get("etag", ""), seen.get("modified", "")) if seen else ("", "")
    page = fetch.fetch(link, fetch.page_kinds(limits), timeout, *validators)
    if page is None:  # not changed since it was saved
        return ""
    digest = _story_digest(page, limits)
    if seen and seen["sha256"] == digest:
        return ""
    updated = _updated(entry) if seen else None
    title = " ".join(str(entry.get("title", "")).split())
    data = page.data
    if page.kind == "html":
        data = annotate(data, title, _entry_date(entry), link, updated)
    name = fetch.page_name(link, page.kind)
    if seen:  # beside the first version: its name, numbered
        name = seen.get("first") or seen["source"]
    elif title:
        name = library.name_for_title(title, f".{page.kind}")
    added = qa.add_article(name, data, newer_version=bool(seen))
    feed.items[key] = {
        "source": added.source,
        "first": seen.get("first") or seen["source"] if seen else added.source,
        "sha256": digest,
        "link": link,
        "etag": page.etag,
        "modified": page.modified,
    }
    log.info("Saved %s from the feed %s (%s)", added.source, feed.url, link)
    return added.source


class Feeds:
    """The feeds one articles folder follows (a `QA`'s): follow, list, remove, poll by hand or
    every `feed_minutes` in the background."""

    def __init__(self, qa):
        self.qa = qa
        self.store = FeedList(qa.settings.index_dir)
        self._polling = threading.Lock()  # one poll at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def list(self) -> list[Feed]:
        return sorted(self.store.load().values(), key=lambda f: f.added)

    def follow(self, url: str) -> Poll:
        """Follow the feed at `url` and poll it once now."""
        url = url.strip()

        def add(feeds: dict[str, Feed]) -> None:
            feeds.setdefault(url, Feed(url, added=time.time()))

        self.store.update(url, add)
        return self.poll(url)

    def remove(self, url: str, delete_articles: bool = False) -> list[str]:
        """Stop following `url`; its articles stay unless `delete_articles`: those deleted."""
        feeds = self.store.load()
        if url not in feeds:
            raise ArticleRejected(f"{url}: not a followed feed.")
        self.store.update(url, lambda fs: fs.pop(url, None))
        deleted = []
        if delete_articles:
            for item in feeds[url].items.values():
                try:
                    self.qa.remove_article(item["source"])
                    deleted.append(item["source"])
                except ArticleRejected:  # removed already
                    pass
        return deleted

    def poll(self, url: str | None = None) -> Poll | list[Poll]:
        """Poll one feed (`url`), or every followed feed: what each poll did."""
        s = self.qa.settings
        with self._polling:
            polls = []
            for feed in self.store.load().values():
                if url is not None and feed.url != url:
                    continue
                done = poll(feed, self.qa, s.feed_max_items, s.fetch_timeout)

                def keep(feeds: dict[str, Feed], feed=feed) -> None:
                    if feed.url in feeds:  # not removed meanwhile
                        feeds[feed.url] = feed

                self.store.update(feed.url, keep)
                polls.append(done)
        if url is None:
            return polls
        if not polls:
            raise ArticleRejected(f"{url}: not a followed feed.")
        return polls[0]

    def start(self) -> threading.Thread | None:
        """Poll every followed feed every `feed_minutes`, in a thread of its own (one, however
        often it is started); `feed_minutes` 0 turns the polling off."""
        if self.qa.settings.feed_minutes <= 0:
            return None
        if self._thread is not None and self._thread.is_alive():
            return self._thread

        def run() -> None:
            while not self._stop.wait(self.qa.settings.feed_minutes * 60):
                try:
                    for done in self.poll():
                        if done.added or done.error or done.skipped:
                            log.info("Feed %s: %s", done.feed, describe(done))
                except Exception:  # a poll that fails is tried again at the next
                    log.exception("Polling the feeds failed")

        self._thread = threading.Thread(target=run, daemon=True, name="feeds")
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()


def describe(done: Poll) -> str:
    """One line for a person: what a poll did."""
    if done.error:
        return f"failed: {done.error}"
    if done.unchanged:
        return "unchanged since the last poll"
    said = f"{len(done.added)} new page{'s' if len(done.added) != 1 else ''}"
    if done.skipped:
        said += f", {len(done.skipped)} skipped ({done.skipped[0]})"
    return said
