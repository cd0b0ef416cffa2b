"""The BSS dashboard (PRODUCT.md 6.1): Unexecuted Orders (refreshes itself with htmx) and
Orders For Manual Management."""

from __future__ import annotations

from flask import g

from bss_admin import bp
from bss_admin.people.sharing_views import current_viewer
from core.services import dashboard
from core.services.statuses import StatusBook
from webapp.auth import bss_required
from webapp.extensions import db
from webapp.web import page


@bp.route("/")
@bss_required()
def home():
    book = StatusBook.load(db.session, g.tenant_id)  # one status table for both widgets
    return page(
        "bss_admin/dashboard.html",
        unexecuted=dashboard.unexecuted_orders(
            db.session, g.tenant_id, book=book, viewer=current_viewer()
        ),
        manual=dashboard.manual_management_orders(
            db.session, g.tenant_id, book=book, viewer=current_viewer()
        ),
    )


@bp.route("/dashboard/unexecuted-orders")
@bss_required()
def dashboard_unexecuted():
    """The widget alone for htmx polling; a plain page without JavaScript."""
    return page(
        "bss_admin/dashboard_unexecuted.html",
        block="unexecuted_widget",
        unexecuted=dashboard.unexecuted_orders(db.session, g.tenant_id, viewer=current_viewer()),
    )
