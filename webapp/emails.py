"""E-mails rendered from templates (issue 14): ``webapp/templates/emails/<kind>.txt``, one file
per e-mail with a ``subject`` and a ``body`` block, plain text. The use cases receive
:func:`render_email` and write the result with ``notify`` (never a link in a log)."""

from __future__ import annotations

from flask import current_app, url_for

from core.rules.roles import ROLE_LABELS
from core.services.people import Mailer
from webapp.web import render_block


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
