"""A short-lived cache of the pages every anonymous visitor sees alike (issue 19, eighth pass).

The catalogue and the product pages are the same bytes for every visitor who is not signed
in: the tenant's default prices, no basket, no name, no form. A serving process keeps such a
page for ``PAGE_CACHE_SECONDS`` (production default 1 s; 0, the default in development and
tests, turns it off) and answers the next cookie-less visitors with it, without Flask, a
session, a query or a template. A campaign that sends thousands of visitors a second to one
product page then costs one render a second per worker process.

What is shared, and when (each condition is needed, none is enough alone):

- the request: a GET without the app's session or remember-me cookie (nobody signed in, no
  flashed message; other cookies the app never reads), no ``Authorization`` and no
  ``HX-Request`` (htmx asks for fragments); a reload (``Cache-Control: max-age=0`` or
  ``no-cache``, as browsers send) is answered fresh, and what it gets is kept for the next
  visitors;
- the view: it called :func:`share_page` (only the catalogue and the product page do, and
  only for a visitor who is not signed in);
- the response: 200, no ``Set-Cookie``, no ``Cache-Control: private/no-store``, a body under
  ``MAX_BODY`` bytes.

The key is the scheme, the host (the tenant comes from it) and the path with its query.
A shared page carries no CSRF token (the templates leave ``hx-headers`` out of it: a visitor
posts nothing from these pages; the sign-in page sets the session). What a visitor may see
for up to ``PAGE_CACHE_SECONDS`` after a change in the BSS is the page as it was: a price,
a product hidden or shown. Prices are taken again when a product is added to a basket, so a
stale page never sells at a stale price. Each process keeps at most ``PAGE_CACHE_ENTRIES``
pages (least recently used out first): random query strings cannot grow it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, request
from flask_login import current_user

SHARED = "cloudshop.page_cache.shared"  # set in the WSGI environ by share_page()
MAX_BODY = 512 * 1024
DEFAULT_SECONDS = 1.0
DEFAULT_ENTRIES = 1000


def share_page() -> None:
    """In a view: this response may be shared with every cookie-less visitor (see module),
    unless someone is signed in (their page is their own)."""
    if not current_user.is_authenticated:
        request.environ[SHARED] = True


def page_is_shared() -> bool:
    """In a template: the page being rendered may be shared (it must not hold a CSRF token
    or anything else of one visitor)."""
    return bool(request.environ.get(SHARED))


@dataclass(slots=True)
class _Entry:
    expires: float
    stored: float
    status: str
    headers: list
    body: bytes


class PageCache:
    """WSGI middleware around the Flask app (``app.wsgi_app``): see the module."""

    def __init__(
        self,
        app: Callable,
        seconds: float,
        entries: int = DEFAULT_ENTRIES,
        private_cookies: Iterable[str] = ("session", "remember_token"),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app = app
        self.seconds = float(seconds)
        self.capacity = max(1, int(entries))
        self._private_prefixes = tuple(f"{name}=" for name in private_cookies)
        self.clock = clock
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threaded workers, the development server

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
            or "HTTP_HX_REQUEST" in environ
            or ("HTTP_COOKIE" in environ and self._private(environ))
        ):
            return self.app(environ, start_response)
        key = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        if _reloaded(environ):  # a reload: a fresh page, kept for the next visitors
            return self._miss(key, environ, start_response)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > now:
                    self._entries.move_to_end(key)
                else:
                    del self._entries[key]
                    entry = None
        if entry is not None:
            age = str(int(now - entry.stored))
            start_response(entry.status, [*entry.headers, ("Age", age)])
            return [entry.body]
        return self._miss(key, environ, start_response)

    def _private(self, environ: dict) -> bool:
        """The request may carry the app's session or remember-me cookie (someone may be
        signed in, a message may be flashed): never shared. Read from the raw header, on the
        safe side (a cookie merely named like one, ``mysession=``, is taken for it too); other
        cookies (a consent banner's, an analytics tool's) the app does not read."""
        raw = environ["HTTP_COOKIE"]
        return any(name in raw for name in self._private_prefixes)

    def _miss(self, key: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer: list = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        iterable = self.app(environ, capture)
        if not environ.get(SHARED) or not answer or not self._storable(*answer):
            return iterable
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        if len(body) <= MAX_BODY:
            now = self.clock()
            entry = _Entry(now + self.seconds, now, answer[0], list(answer[1]), body)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.capacity:
                    self._entries.popitem(last=False)
        return [body]

    @staticmethod
    def _storable(status: str, headers: list) -> bool:
        if not status.startswith("200"):
            return False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "set-cookie":
                return False
            if lowered == "cache-control" and ("private" in value or "no-store" in value):
                return False
        return True

    def __len__(self) -> int:
        return len(self._entries)


def _reloaded(environ: dict) -> bool:
    """A reload: ``Cache-Control: max-age=0`` (a browser's reload), ``no-cache`` (its hard
    reload) or ``Pragma: no-cache``. Whoever reloads the page after a change sees it."""
    asked = environ.get("HTTP_CACHE_CONTROL", "")
    return (
        "no-cache" in asked or "max-age=0" in asked or "no-cache" in environ.get("HTTP_PRAGMA", "")
    )


def install(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` in a :class:`PageCache` when ``PAGE_CACHE_SECONDS`` > 0, and make
    :func:`page_is_shared` a template global (``layout/base.html`` asks it)."""
    app.jinja_env.globals["page_is_shared"] = page_is_shared
    seconds = float(app.config.get("PAGE_CACHE_SECONDS") or 0)
    if seconds > 0:
        entries = int(app.config.get("PAGE_CACHE_ENTRIES") or DEFAULT_ENTRIES)
        remember = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        cookies = (app.config["SESSION_COOKIE_NAME"], remember)
        app.wsgi_app = PageCache(  # type: ignore[method-assign]
            app.wsgi_app, seconds, entries, private_cookies=cookies
        )
