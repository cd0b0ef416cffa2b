"""BSS views: sign-in and home."""

from __future__ import annotations

from flask import url_for

from bss_admin import bp
from core.models import UserKind
from webapp.login import login_view, logout_view


@bp.route("/login", methods=["GET", "POST"])
def login():
    # BSS users sign in with their e-mail address, which names their tenant
    return login_view(
        UserKind.BSS,
        "bss_admin/login.html",
        url_for("bss_admin.home"),
        None,
        second_factor_endpoint="bss_admin.login_second_factor",
    )


@bp.post("/logout")
def logout():
    return logout_view("bss_admin.login")


# the home page (/bss/) is the dashboard: bss_admin/dashboard_views.py
