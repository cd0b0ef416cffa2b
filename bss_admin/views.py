"""BSS views: sign-in and home."""

from __future__ import annotations

from flask import url_for

from bss_admin import bp
from core.models import UserKind
from webapp.auth import bss_required
from webapp.login import login_view, logout_view
from webapp.web import page


@bp.route("/login", methods=["GET", "POST"])
def login():
    # BSS users sign in with their e-mail address, which names their tenant
    return login_view(UserKind.BSS, "bss_admin/login.html", url_for("bss_admin.home"), None)


@bp.post("/logout")
def logout():
    return logout_view("bss_admin.login")


@bp.route("/")
@bss_required()
def home():
    return page("bss_admin/home.html")
