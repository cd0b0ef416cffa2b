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

from flask import Flask, current_app, url_for

from core.rules.roles import ROLE_LABELS
from core.services.people import Mailer
from webapp.web import render_block


def make_renderer(app: Flask):
    def render(name: str, context: dict) -> tuple[str, str]:
        env = app.jinja_env
        text = env.get_template(f"email/{name}.txt").render(**context)
        html = env.get_template(f"email/{name}.html").render(**context)
        return text.strip() + "\n", html

    return render


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
    tenant's Storefront host), else on the host of the current request."""

    def link_for(token: str) -> str:
        url = url_for(endpoint, token=token, _external=True)
        if host:
            scheme, rest = url.split("://", 1)
            url = f"{scheme}://{host}/{rest.split('/', 1)[1]}"
        return url

    return Mailer(current_app.secret_key, render_email, link_for)
