"""Outgoing work (the outbox) with *Retry*, the development mailbox, Setup › Notifications,
provisioning (Retry, Confirm delivered)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, request, url_for

from bss_admin import bp
from bss_admin.queue.forms import NotificationSettingsForm, RetryForm, WebhookForm
from core import texts
from core.rules import outbox as outbox_rules
from core.rules import webhooks as webhook_rules
from core.services import mail, notifications, outbox, provisioning, webhooks
from core.services.errors import Conflict, NotFound, ValidationFailed
from webapp.auth import admin_required, bss_required, signed_in_user
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
        chosen=status,
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
    errors: dict = {}
    operations = None
    kinds = set(request.form.getlist("kinds"))
    if form.validate_on_submit():
        operations = request.form.get("operations_email")  # absent: unchanged
        try:
            notifications.save_settings(db.session, g.tenant_id, kinds, operations=operations)
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.NOTIFICATION_SETTINGS_SAVED, "success")
            return see_other(url_for("bss_admin.notification_settings"))
    settings = notifications.settings(db.session, g.tenant_id)
    if errors:  # shown as typed, nothing saved
        settings = {kind: kind in kinds for kind in settings}
    return page(
        "bss_admin/queue/notification_settings.html",
        status=422 if errors else 200,
        form=form,
        settings=settings,
        operations_email=(
            operations
            if operations is not None
            else notifications.operations_email_setting(db.session, g.tenant_id)
        ),
        operations_default=notifications.operations_default(),
        errors=errors,
    )


# --- provisioning ----------------------------------------------------------------------------


@bp.route("/provisioning")
@bss_required()
def provisioning_list():
    status = request.args.get("status") or None
    if status not in (None, *texts.PROVISIONING_STATE_LABELS):
        status = None
    return page(
        "bss_admin/queue/provisioning.html",
        rows=provisioning.list_tasks(db.session, g.tenant_id, status=status),
        chosen=status,
        action_form=RetryForm(),
    )


def _provisioning_action(use_case, task_id: int, done_message: str):
    if not RetryForm().validate_on_submit():
        abort(400)
    try:
        use_case(db.session, g.tenant_id, task_id, signed_in_user())
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(done_message, "success")
    return see_other(url_for("bss_admin.provisioning_list"))


@bp.post("/provisioning/<int:task_id>/retry")
@bss_required()
def provisioning_retry(task_id: int):
    return _provisioning_action(provisioning.retry, task_id, texts.PROVISIONING_RETRIED)


@bp.post("/provisioning/<int:task_id>/confirm")
@bss_required()
def provisioning_confirm(task_id: int):
    return _provisioning_action(
        provisioning.confirm_delivered, task_id, texts.PROVISIONING_CONFIRMED
    )


# --- Setup › Webhooks ------------------------------------------------------------------------


@bp.route("/setup/webhooks", methods=["GET", "POST"])
@admin_required
def webhook_endpoints():
    form = WebhookForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(
                db.session, g.tenant_id, request.form.get("url"), request.form.getlist("events")
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.WEBHOOK_ADDED, "success")
            return see_other(url_for("bss_admin.webhook_endpoint", endpoint_id=endpoint.id))
    return page(
        "bss_admin/queue/webhooks.html",
        status=422 if errors else 200,
        form=form,
        errors=errors,
        endpoints=webhooks.list_endpoints(db.session, g.tenant_id),
        event_types=webhook_rules.EVENT_TYPES,
        url_value=request.form.get("url", ""),
    )


@bp.route("/setup/webhooks/<int:endpoint_id>")
@admin_required
def webhook_endpoint(endpoint_id: int):
    try:
        detail = webhooks.endpoint_detail(db.session, g.tenant_id, endpoint_id)
    except NotFound:
        abort(404)
    return page("bss_admin/queue/webhook.html", d=detail, form=WebhookForm())


@bp.post("/setup/webhooks/<int:endpoint_id>/<any(enable, disable):action>")
@admin_required
def webhook_toggle(endpoint_id: int, action: str):
    if not WebhookForm().validate_on_submit():
        abort(400)
    try:
        webhooks.set_enabled(db.session, g.tenant_id, endpoint_id, action == "enable")
    except NotFound:
        abort(404)
    flash(texts.WEBHOOK_ENABLED if action == "enable" else texts.WEBHOOK_DISABLED, "success")
    return see_other(url_for("bss_admin.webhook_endpoint", endpoint_id=endpoint_id))
