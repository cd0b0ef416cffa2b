"""Confirmations of the account actions that sign people out (issue 14): *Deactivate* asks
first (webapp.confirm: a page without JavaScript, a dialog with htmx; its form posts to the
real action, bss_admin.accounts.views)."""

from __future__ import annotations

from flask import abort, g, url_for

from bss_admin import bp
from bss_admin.accounts.views import accounts_editor
from core import texts
from core.services import accounts
from core.services.errors import NotFound
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db


@bp.get("/accounts/<int:account_id>/deactivate/confirm")
@accounts_editor
def account_deactivate_confirm(account_id: int):
    try:
        account = accounts.get_account(db.session, g.tenant_id, account_id)
    except NotFound:
        abort(404)
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_DEACTIVATE_ACCOUNT_TITLE.format(name=account.name),
            message=texts.CONFIRM_DEACTIVATE_ACCOUNT_BODY,
            yes_label=texts.CONFIRM_DEACTIVATE_ACCOUNT_YES,
            action_url=url_for("bss_admin.account_deactivate", account_id=account_id),
            back_url=url_for("bss_admin.account_detail", account_id=account_id),
            back_label=texts.CONFIRM_KEEP_ACCOUNT,
        ),
    )
