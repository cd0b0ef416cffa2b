"""BSS > API keys (admin): the tenant's keys, New key (the key is shown once, in the answer
to the POST, never stored in a cookie), Revoke."""

from __future__ import annotations

from flask import abort, flash, g, url_for

from bss_admin import bp
from bss_admin.api_keys.forms import NewApiKeyForm
from core import texts
from core.services import api_keys
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import admin_required, signed_in_user
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.web import page, see_other


def _form() -> NewApiKeyForm:
    form = NewApiKeyForm()
    users = api_keys.bss_users(db.session, g.tenant_id)
    form.user_id.choices = [("", "Choose a user")] + [
        (str(u.id), f"{u.name} ({u.role})") for u in users
    ]
    return form


def _page(form, *, created=None, errors=None, status=200):
    return page(
        "bss_admin/api_keys/list.html",
        status=status,
        form=form,
        created=created,
        errors=errors or {},
        keys=api_keys.list_keys(db.session, g.tenant_id),
    )


@bp.route("/api-keys")
@admin_required
def api_keys_list():
    return _page(_form())


@bp.post("/api-keys")
@admin_required
def api_key_create():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        created = api_keys.create_key(
            db.session,
            g.tenant_id,
            signed_in_user(),
            name=form.name.data,
            user_id=int(form.user_id.data) if form.user_id.data.isdigit() else None,
            scope=form.scope.data,
            expires_in_days=int(form.expires_in_days.data)
            if form.expires_in_days.data.isdigit()
            else None,
        )
    except ValidationFailed as error:
        return _page(form, errors=error.errors, status=422)
    # shown in this answer only: a redirect would have to keep the secret somewhere
    return _page(_form(), created=created, status=201)


@bp.get("/api-keys/<int:key_id>/revoke/confirm")
@admin_required
def api_key_revoke_confirm(key_id: int):
    """Revoke asks first: there is no way back (a page without JavaScript, a dialog with htmx;
    its form posts to the action below)."""
    try:
        key = api_keys.get_key(db.session, g.tenant_id, key_id)
    except NotFound:
        abort(404)
    back = url_for("bss_admin.api_keys_list")
    if key.revoked_at is not None:
        return see_other(back)  # already revoked: nothing to confirm
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_REVOKE_API_KEY_TITLE.format(name=key.name),
            message=texts.CONFIRM_REVOKE_API_KEY_BODY.format(prefix=key.prefix),
            yes_label=texts.CONFIRM_REVOKE_API_KEY_YES,
            action_url=url_for("bss_admin.api_key_revoke", key_id=key_id),
            back_url=back,
            back_label=texts.CONFIRM_KEEP_API_KEY,
        ),
    )


@bp.post("/api-keys/<int:key_id>/revoke")
@admin_required
def api_key_revoke(key_id: int):
    try:
        key = api_keys.revoke_key(db.session, g.tenant_id, signed_in_user(), key_id)
    except NotFound:
        abort(404)
    flash(texts.API_KEY_REVOKED.format(name=key.name), "success")
    return see_other(url_for("bss_admin.api_keys_list"))
