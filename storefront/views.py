"""Storefront views: parse the request, call a service, render."""

from __future__ import annotations

from flask import g, url_for

from core.models import UserKind
from storefront import bp
from webapp.extensions import db
from webapp.login import login_view, logout_view
from webapp.web import page


@bp.route("/")
def home():
    return page("storefront/home.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    return login_view(
        UserKind.STOREFRONT, "storefront/login.html", url_for("storefront.home"), g.tenant.id
    )


@bp.post("/logout")
def logout():
    return logout_view("storefront.login")


@bp.route("/status-colors.css")
def status_colors():
    """Configured status colours as classes, so templates need no inline styles (CSP)."""
    from flask import make_response
    from flask_login import current_user

    from core.services.statuses import status_colors as colors_of

    tenant_id = current_user.tenant_id if current_user.is_authenticated else g.tenant.id
    css = "\n".join(
        f".status-color-{c[1:].lower()} {{ background-color: {c}; }}"
        for c in colors_of(db.session, tenant_id)
    )
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
