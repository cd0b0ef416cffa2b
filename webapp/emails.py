"""E-mails rendered from templates, delivered by the job queue through
:func:`core.services.notifications.notify` (never a link only in a log).

- Order and operations messages (issue 16): ``email/<name>.txt`` and ``email/<name>.html``,
  rendered by :func:`make_renderer`, which the application factory installs as the
  notifications renderer.
- Invitations, password resets and e-mail confirmations (issue 14): ``emails/<kind>.txt``, one
  file per e-mail with a ``subject`` and a ``body`` block, rendered by :func:`render_email`; the
  people use cases receive it through :func:`mailer`.
"""

from __future__ import annotations

from contextlib import nullcontext
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_app_context, has_request_context, request, url_for

from core.rules.roles import ROLE_LABELS
from core.services.people import Mailer
from webapp.web import render_block


def make_renderer(app: Flask):
    def render(name: str, context: dict) -> tuple[str, str]:
        env = app.jinja_env
        # a worker renders too (PUBLIC_URL and the URL map): an app context only where none
        # is (a request's is kept, with its tenant, and not pushed again on every message)
        with nullcontext() if has_app_context() else app.app_context():
            context = {
                "storefront_url": storefront_links(context.get("storefront_host")),
                **context,
            }
            text = env.get_template(f"email/{name}.txt").render(**context)
            html = env.get_template(f"email/{name}.html").render(**context)
        return text.strip() + "\n", html

    return render


def storefront_links(host: str | None):
    """``storefront_url(endpoint, _anchor=None, **values)`` for an order message's links: the
    page on the tenant's Storefront ``host`` (see :func:`external_base`); without a host, the
    tenant's own host when the request came to it, else ``PUBLIC_URL`` (a worker, the CLI).
    The path comes from the URL map, not from ``url_for``: a message is also made outside any
    request."""

    def storefront_url(endpoint: str, _anchor: str | None = None, **values) -> str:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        return external_base(host) + path + (f"#{_anchor}" if _anchor else "")

    return storefront_url


def template_of(kind: str) -> str:
    return f"emails/{kind}.txt"


def render_email(kind: str, context: dict) -> tuple[str, str]:
    template = template_of(kind)
    context = {"role_labels": ROLE_LABELS, **context}
    subject = " ".join(render_block(template, "subject", **context).split())
    body = render_block(template, "body", **context).strip() + "\n"
    return subject, body


def mailer(endpoint: str, host: str | None = None) -> Mailer:
    """A Mailer whose links open ``endpoint`` (with ``token=``), on ``host`` when given (a
    tenant's Storefront host), else where the request came (see :func:`external_base`)."""

    def link_for(token: str) -> str:
        return external_base(host) + url_for(endpoint, token=token)

    return Mailer(current_app.secret_key, render_email, link_for)


def external_base(host: str | None = None) -> str:
    """``scheme://host[:port]`` of a link that leaves the system (an e-mail's).

    Never the request's Host header as such: the client writes it, an unknown host is served
    the default tenant, and a password-reset link built on ``evil.example`` would hand the
    token to whoever owns it. A link goes to ``host`` (a tenant's Storefront host) when given;
    else to the tenant's own host when the request came to it; else to ``PUBLIC_URL``. A
    tenant's host is reached on ``PUBLIC_URL``'s scheme and port (one deployment serves
    every tenant)."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    if host is None and has_request_context():
        tenant = g.get("tenant")
        own = getattr(tenant, "host", None)
        if own and request.host.rsplit(":", 1)[0].lower() == own.lower():
            host = own
    if not host:
        return f"{public.scheme}://{public.netloc}"
    return f"{public.scheme}://{host}" + (f":{public.port}" if public.port else "")
