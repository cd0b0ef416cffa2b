"""Small helpers every view uses: htmx-aware rendering and redirects, safe return URLs,
turning service errors into responses."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import (
    current_app,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
)
from flask.globals import _cv_request
from markupsafe import Markup

_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def request_memo() -> dict:
    """Values worked out once per request (the viewer's zone, the basket count). Kept in the
    WSGI environ: unlike ``g`` it never outlives its request, even where one app context
    serves several requests (the tests' client). Outside a request: a throwaway dict."""
    if not has_request_context():
        return {}
    return request.environ.setdefault("cloudshop.memo", {})


# url_for in templates (issue 19): the URL of an endpoint and its values does not change while
# the app runs (its URL map is fixed once it is built, and it has no URL defaults), only with
# the request's mount point, host and scheme; a page builds the same ones on every request (the
# layout's static files and menu) and the catalogue one per product: each is built once per app,
# then read from memory (~3 us instead of 10-25 us a call)
_URLS_MAX = 20_000  # distinct URLs kept per app (product pages, pages of lists...)


def cached_url_for(endpoint: str, **values) -> str:
    """``flask.url_for`` for templates, memoised per app (see above)."""
    context = _cv_request.get(None)  # the request's context, without the proxies' lookups
    if context is None or endpoint[:1] == ".":
        return current_app.url_for(endpoint, **values)
    app, environ = context.app, context.request.environ
    try:
        key = (
            endpoint,
            *values.items(),
            *map(type, values.values()),  # 1, "1" and True are different URLs
            environ.get("SCRIPT_NAME"),
            environ.get("HTTP_HOST"),
            environ.get("wsgi.url_scheme"),
        )
        urls = app.extensions["cloudshop_urls"]
        url = urls.get(key)
    except TypeError:  # an unhashable value (a list of query arguments)
        return app.url_for(endpoint, **values)
    if url is None:
        url = app.url_for(endpoint, **values)
        if len(urls) >= _URLS_MAX:
            urls.clear()
        urls[key] = url
    return url


def install_cached_url_for(app) -> None:
    """Templates' ``url_for`` becomes ``cached_url_for``, unless the app has URL defaults
    (functions that may add values from the request: their URLs could not be memoised)."""
    if not any(app.url_default_functions.values()):
        app.extensions["cloudshop_urls"] = {}
        app.jinja_env.globals["url_for"] = cached_url_for


# fragments of a page that are the same for every visitor (issue 19: the catalogue's cards,
# 48 a page, ~40 % of its rendering): rendered once per app and key, then read from memory
_FRAGMENTS_MAX = 10_000  # distinct fragments kept per app; beyond, the memory starts again


def memo_fragment(template_name: str, key, **context) -> Markup:
    """``template_name`` rendered alone with ``context`` (no context processors: only the
    Jinja globals, such as ``url_for`` and ``texts``), memoised per app by ``key``, the URLs'
    mount point, host and scheme. ``key`` must hold every value the fragment reads from
    ``context``; None renders without keeping. Templates that reload (development) are
    rendered every time."""
    request_context = _cv_request.get(None)  # the request's context, without the proxies
    app = current_app if request_context is None else request_context.app
    env = app.jinja_env
    if key is None or env.auto_reload or request_context is None:
        return Markup(env.get_template(template_name).render(context))
    environ = request_context.request.environ
    key = (
        template_name,
        key,
        environ.get("SCRIPT_NAME"),
        environ.get("HTTP_HOST"),
        environ.get("wsgi.url_scheme"),
    )
    fragments = app.extensions.setdefault("cloudshop_fragments", {})
    html = fragments.get(key)
    if html is None:
        html = Markup(env.get_template(template_name).render(context))
        if len(fragments) >= _FRAGMENTS_MAX:
            fragments.clear()
        fragments[key] = html
    return html


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_block(template_name: str, block_name: str, **context) -> str:
    """Render one named block of a page template (the region htmx swaps)."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(template_name)
    app.update_template_context(context)
    ctx = template.new_context(context)
    return "".join(template.blocks[block_name](ctx))


# the statuses htmx swaps as a refusal (layout/base.html's htmx-config); such an answer also
# empties the page's messages, so an earlier success ("Item added.") never stays above it
REFUSAL_STATUSES = frozenset({403, 409, 422})
CLEAR_FLASHES = '<div id="flashes" hx-swap-oob="true"></div>'


def page(template_name: str, block: str | None = None, status: int = 200, **context):
    """The full page, or only ``block`` for htmx requests that target it. ``status`` is the
    answer's HTTP status: a template's own "status" must be named otherwise (a filter's value
    passed here once became the status line "0 failed")."""
    if not isinstance(status, int):
        raise TypeError(f"page(status=) is the HTTP status, not {status!r}")
    if block and is_htmx() and not request.headers.get("HX-Boosted"):
        body = render_block(template_name, block, **context)
        if status in REFUSAL_STATUSES:
            body += CLEAR_FLASHES
    else:
        body = render_template(template_name, **context)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def see_other(url: str):
    """After a POST: 303 for plain browsers, HX-Redirect for htmx (which ignores 3xx)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        if _this_page(url):
            # htmx follows HX-Redirect with ``location.href = url``: to the page it is on
            # with a "#fragment", the browser only scrolls, and the page would not show what
            # the POST changed. HX-Refresh makes htmx reload it after setting the address.
            response.headers["HX-Refresh"] = "true"
        return response
    return redirect(url, code=303)


def _this_page(url: str) -> bool:
    """``url`` is the page the htmx request came from (its HX-Current-URL), fragment aside."""
    current = request.headers.get("HX-Current-URL")
    if not current:
        return False
    here, there = urlsplit(current), urlsplit(url)
    if there.netloc and there.netloc != here.netloc:
        return False
    return (there.path, there.query) == (here.path, here.query)


def safe_local_url(target: str | None, fallback: str) -> str:
    """``target`` if it is a same-site path, else ``fallback``: never an open redirect."""
    if not target or _CONTROL.search(target):
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        # an absolute URL is accepted only for this very host
        if parts.scheme in ("http", "https") and parts.netloc == request.host:
            path = parts.path or "/"
            if path.startswith("/") and not path.startswith("//"):
                return path + (f"?{parts.query}" if parts.query else "")
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
