"""The BSS dashboard (PRODUCT.md 6.1): Unexecuted Orders (refreshes itself with htmx) and
Orders For Manual Management."""

from __future__ import annotations

from flask import abort, current_app, g, request, url_for
from flask_login import current_user
from markupsafe import Markup

from bss_admin import bp
from bss_admin.people.sharing_views import current_viewer
from core.rules import roles as role_rules
from core.services import dashboard
from webapp.auth import bss_required, lean_user, shared_status_book
from webapp.extensions import db
from webapp.web import page, see_other


@bp.app_context_processor
def _bss_role_helpers():
    # the BSS menu shows each role the areas it may use
    def bss_may(permission: str) -> bool:
        return current_user.is_authenticated and role_rules.may(current_user.role, permission)

    role = getattr(current_user, "role", None) if current_user else None
    return {"bss_may": bss_may, "bss_role_label": role_rules.ROLE_LABELS.get(role or "", role)}


_MENUS: dict[tuple, Markup] = {}  # the BSS menu's links rendered so far in this process
_MENUS_KEPT = 256


@bp.app_template_global()
def bss_menu(role: str | None, caller) -> Markup:
    """``{% call bss_menu(current_user.role) %}...{% endcall %}``: the BSS menu's links, which
    depend on the role (what it may use), the configuration and the mount point only, rendered
    once per role and kept per process. The header built ~17 links and permission checks on
    every BSS page (issue 19). The call block may read nothing else of the viewer's."""
    code = getattr(getattr(caller, "_func", None), "__code__", None)
    environ = request.environ
    key = (
        code,
        role,
        current_app.config.get("DEVELOPMENT"),
        environ.get("SCRIPT_NAME"),
        environ.get("HTTP_HOST"),
        environ.get("wsgi.url_scheme"),
    )
    html = _MENUS.get(key) if code is not None else None
    if html is None:
        html = caller()
        if code is not None:
            if len(_MENUS) >= _MENUS_KEPT:
                _MENUS.clear()
            _MENUS[key] = html
    return html


@bp.route("/")
@lean_user
@bss_required(*role_rules.BSS_ROLES)
def home():
    # a role that does not work on orders lands on the first area it may use
    landing = role_rules.home_permission(current_user.role)
    if landing == role_rules.CATALOGUE:
        return see_other(url_for("bss_admin.catalogue_products"))
    if landing == role_rules.ACCOUNTS_VIEW:
        return see_other(url_for("bss_admin.accounts_list"))
    if landing is None:
        abort(403)
    # both widgets in one statement after the statuses (issue 19)
    book = shared_status_book()  # no statement while the tenant's statuses are unchanged
    both = dashboard.dashboard(db.session, g.tenant_id, book, viewer=current_viewer())
    return page("bss_admin/dashboard.html", unexecuted=both.unexecuted, manual=both.manual)


@bp.route("/dashboard/unexecuted-orders")
@lean_user
@bss_required()
def dashboard_unexecuted():
    """The widget alone for htmx polling; a plain page without JavaScript."""
    return page(
        "bss_admin/dashboard_unexecuted.html",
        block="unexecuted_widget",
        unexecuted=dashboard.unexecuted_orders(
            db.session, g.tenant_id, book=shared_status_book(), viewer=current_viewer()
        ),
    )
