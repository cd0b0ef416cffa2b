"""Confirmation of *Deactivate* for a BSS user (issue 14): it signs them out at once, so it asks
first (webapp.confirm: a page without JavaScript, a dialog with htmx; its form posts to the
real action, bss_admin.people.views)."""

from __future__ import annotations

from flask import abort, g, url_for

from bss_admin import bp
from bss_admin.people.views import people_admin
from core import texts
from core.services import people
from core.services.errors import NotFound
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db


@bp.get("/people/<int:user_id>/deactivate/confirm")
@people_admin
def person_deactivate_confirm(user_id: int):
    try:
        user = people.get_bss_user(db.session, g.tenant_id, user_id)
    except NotFound:
        abort(404)
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_DEACTIVATE_PERSON_TITLE.format(name=user.name),
            message=texts.CONFIRM_DEACTIVATE_PERSON_BODY.format(email=user.email),
            yes_label=texts.CONFIRM_DEACTIVATE_PERSON_YES,
            action_url=url_for("bss_admin.person_deactivate", user_id=user_id),
            back_url=url_for("bss_admin.person_edit", user_id=user_id),
            back_label=texts.CONFIRM_KEEP_PERSON,
        ),
    )
