"""Outgoing work (the outbox) with *Retry*, the development mailbox, Setup › Notifications."""

from __future__ import annotations

from flask import abort, current_app, flash, g, request, url_for

from bss_admin import bp
from bss_admin.queue.forms import NotificationSettingsForm, RetryForm
from core import texts
from core.rules import outbox as outbox_rules
from core.services import mail, notifications, outbox
from core.services.errors import Conflict, NotFound
from webapp.auth import admin_required, signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


@bp.route("/outbox")
@admin_required
def outbox_list():
    status = request.args.get("status") or None
    if status not in (None, *outbox_rules.STATUSES):
        status = None
    return page(
        "bss_admin/queue/outbox.html",
        items=outbox.list_items(db.session, g.tenant_id, status=status),
        status=status,
        statuses=outbox_rules.STATUSES,
        retry_form=RetryForm(),
    )


@bp.post("/outbox/<int:item_id>/retry")
@admin_required
def outbox_retry(item_id: int):
    if not RetryForm().validate_on_submit():
        abort(400)
    try:
        outbox.retry(db.session, g.tenant_id, item_id, actor=signed_in_user())
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(texts.OUTBOX_RETRIED, "success")
    return see_other(url_for("bss_admin.outbox_list", status="failed"))


def _development_only() -> None:
    if not current_app.config.get("DEVELOPMENT"):
        abort(404)


@bp.route("/mailbox")
@admin_required
def mailbox():
    _development_only()
    return page("bss_admin/queue/mailbox.html", messages=mail.mailbox(db.session, g.tenant_id))


@bp.route("/mailbox/<int:notification_id>")
@admin_required
def mailbox_message(notification_id: int):
    _development_only()
    message = mail.message_in_mailbox(db.session, g.tenant_id, notification_id)
    if message is None:
        abort(404)
    return page("bss_admin/queue/mailbox_message.html", message=message)


@bp.route("/setup/notifications", methods=["GET", "POST"])
@admin_required
def notification_settings():
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        notifications.save_settings(db.session, g.tenant_id, set(request.form.getlist("kinds")))
        flash(texts.NOTIFICATION_SETTINGS_SAVED, "success")
        return see_other(url_for("bss_admin.notification_settings"))
    return page(
        "bss_admin/queue/notification_settings.html",
        form=form,
        settings=notifications.settings(db.session, g.tenant_id),
    )
