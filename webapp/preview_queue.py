"""Preview states of the job-queue pages and the e-mail templates (issue 16). Imported by
webapp/preview_fixtures.py, whose ``state`` decorator registers them."""

from __future__ import annotations

from types import SimpleNamespace as NS

from flask import current_app

from core import texts
from core.rules import notifications as kinds
from core.services.notifications import GENERIC_TEMPLATE, signature
from webapp.preview_fixtures import BSS_ADMIN, ago, state

_EMAIL = NS(
    subject="New order SO0000123 to execute manually",
    body=(
        "Acme Ltd placed order SO0000123 with services delivered manually.\n\n"
        "A BSS user will contact him soon: open the order in the BSS to execute it."
    ),
    order_number="SO0000123",
    footer=signature("Skyline Cloud"),
)


def _outbox_row(id_, status, attempts, summary, error=None, **extra):
    return NS(
        id=id_,
        kind="email",
        status=status,
        attempts=attempts,
        max_attempts=8,
        next_attempt_at=extra.get("next_attempt_at", ago(minutes=-4)),
        last_error=error,
        created_at=ago(minutes=30 + id_),
        done_at=None if status != "done" else ago(minutes=29),
        summary=summary,
    )


OUTBOX_ROWS = [
    _outbox_row(
        3,
        "failed",
        8,
        "billing@acme.example: Order SO0000121 was executed",
        "SMTPRecipientsRefused: {'billing@acme.example': (550, b'Mailbox unavailable')}",
    ),
    _outbox_row(
        2,
        "pending",
        2,
        "accounts@globex.example: Order SO0000122 is waiting for a credit review",
        "ConnectionRefusedError: [Errno 111] Connection refused",
    ),
    _outbox_row(1, "done", 1, "operations@skyline.example: New order SO0000123"),
]


def _form():
    return NS(hidden_tag=lambda: "")


@state("queue", "outbox", "bss_admin/queue/outbox.html", "Outgoing work", user=BSS_ADMIN)
def queue_outbox():
    return {
        "items": OUTBOX_ROWS,
        "status": None,
        "statuses": kinds_statuses(),
        "retry_form": _form(),
    }


@state(
    "queue",
    "outbox-empty",
    "bss_admin/queue/outbox.html",
    "Outgoing work, none failed",
    user=BSS_ADMIN,
)
def queue_outbox_empty():
    return {"items": [], "status": "failed", "statuses": kinds_statuses(), "retry_form": _form()}


def kinds_statuses():
    from core.rules.outbox import STATUSES

    return STATUSES


def _message(id_, sent, transport="mailbox"):
    return NS(
        id=id_,
        at=ago(minutes=id_),
        recipient="operations@skyline.example",
        subject=_EMAIL.subject,
        body=_EMAIL.body + "\n\n-- \nSent by Cloudshop.",
        html_body='<!DOCTYPE html>\n<html lang="en">...<h1>' + _EMAIL.subject + "</h1>...",
        message_id=f"<{id_:032x}@skyline.example>",
        sent_at=ago(minutes=id_) if sent else None,
        transport=transport if sent else None,
    )


@state("queue", "mailbox", "bss_admin/queue/mailbox.html", "Development mailbox", user=BSS_ADMIN)
def queue_mailbox():
    return {"messages": [_message(1, False), _message(2, True), _message(3, True, "smtp")]}


@state(
    "queue",
    "mailbox-empty",
    "bss_admin/queue/mailbox.html",
    "Development mailbox, empty",
    user=BSS_ADMIN,
)
def queue_mailbox_empty():
    return {"messages": []}


@state(
    "queue",
    "mailbox-message",
    "bss_admin/queue/mailbox_message.html",
    "Development mailbox: one message",
    user=BSS_ADMIN,
)
def queue_mailbox_message():
    return {"message": _message(2, True)}


@state(
    "setup",
    "notification-settings",
    "bss_admin/queue/notification_settings.html",
    "Setup › Notifications (one kind off)",
    user=BSS_ADMIN,
)
def setup_notification_settings():
    settings = {kind: kind != kinds.SCHEDULED_EXECUTED for kind in kinds.CONFIGURABLE}
    return {
        "form": _form(),
        "settings": settings,
        "operations_email": "ops@skyline.example",
        "operations_default": "operations@cloudshop.example",
        "errors": {},
    }


@state(
    "setup",
    "notification-settings-invalid",
    "bss_admin/queue/notification_settings.html",
    "Setup › Notifications (operations e-mail refused)",
    user=BSS_ADMIN,
)
def setup_notification_settings_invalid():
    settings = {kind: True for kind in kinds.CONFIGURABLE}
    return {
        "form": _form(),
        "settings": settings,
        "operations_email": "not an address",
        "operations_default": "operations@cloudshop.example",
        "errors": {"operations_email": [texts.OPERATIONS_EMAIL_INVALID]},
    }


def _email_context(name: str, **values) -> dict:
    context = {**vars(_EMAIL), **values}
    text = current_app.jinja_env.get_template(f"email/{name}.txt").render(**context)
    return {**context, "preview_text": text}


@state(
    "email",
    "message",
    f"email/{GENERIC_TEMPLATE}.html",
    "E-mail: any notification (HTML, plain text below)",
    user=BSS_ADMIN,
)
def email_message():
    return _email_context(GENERIC_TEMPLATE)


def _task(id_, status, connector, action="new", reason=None, attempts=()):
    return NS(
        task=NS(
            id=id_,
            order_id=300 + id_,
            subscription_id=400 + id_,
            status=status,
            connector=connector,
            action=action,
            reason=reason,
        ),
        order_number=f"SO0000{300 + id_}",
        account_name="Acme Ltd",
        product_name="Azure Backup" if connector == "sandbox" else "Managed Firewall Setup",
        attempts=[NS(at=ago(minutes=m), outcome=o, detail=d) for m, o, d in attempts],
        state=status,
    )


PROVISIONING_ROWS = [
    _task(
        4,
        "failed",
        "sandbox",
        reason="quantity 13 is not available from the vendor",
        attempts=[(5, "refused", "quantity 13 is not available from the vendor")],
    ),
    _task(3, "waiting", "manual", attempts=[(9, "later", "waiting for a BSS user")]),
    _task(2, "waiting", "sandbox", attempts=[(12, "later", "the vendor answers later")]),
    _task(1, "active", "sandbox", action="licenses", attempts=[(20, "done", None)]),
]


@state(
    "queue",
    "provisioning",
    "bss_admin/queue/provisioning.html",
    "Provisioning (failed with Retry, manual with Confirm, waiting, active)",
    user=BSS_ADMIN,
)
def queue_provisioning():
    return {"rows": PROVISIONING_ROWS, "status": None, "action_form": _form()}


@state(
    "queue",
    "provisioning-empty",
    "bss_admin/queue/provisioning.html",
    "Provisioning, none failed",
    user=BSS_ADMIN,
)
def queue_provisioning_empty():
    return {"rows": [], "status": "failed", "action_form": _form()}


@state(
    "storefront",
    "subscriptions-provisioning",
    "storefront/subscriptions/list.html",
    "My subscriptions with provisioning states (Active, Provisioning, Failed)",
)
def sf_subscriptions_provisioning():
    from webapp.preview_fixtures import subscriptions

    views = subscriptions()
    states = [
        ("active", None),
        ("provisioning", None),
        ("failed", "quantity 13 is not available from the vendor"),
    ]
    return {
        "views": views,
        "provisioning_states": {
            v.subscription.id: states[i % len(states)] for i, v in enumerate(views)
        },
    }


_ENDPOINT = NS(
    id=1,
    url="https://erp.acme.example/hooks/cloudshop",
    secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    events="order.status_changed,backorder.created",
    enabled=True,
    disabled_reason=None,
)
_DISABLED = NS(
    id=2,
    url="https://old.example/hooks",
    secret="whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    events="",
    enabled=False,
    disabled_reason="Disabled after 10 failed deliveries in a row (last: HTTP 500)",
)


@state("setup", "webhooks", "bss_admin/queue/webhooks.html", "Setup › Webhooks", user=BSS_ADMIN)
def setup_webhooks():
    from core.rules.webhooks import EVENT_TYPES

    return {
        "form": _form(),
        "errors": {},
        "endpoints": [_ENDPOINT, _DISABLED],
        "event_types": EVENT_TYPES,
        "url_value": "",
    }


@state(
    "setup",
    "webhooks-invalid",
    "bss_admin/queue/webhooks.html",
    "Setup › Webhooks, a refused URL",
    user=BSS_ADMIN,
)
def setup_webhooks_invalid():
    from core import texts
    from core.rules.webhooks import EVENT_TYPES

    return {
        "form": _form(),
        "errors": {"url": [texts.WEBHOOK_URL_INVALID]},
        "endpoints": [],
        "event_types": EVENT_TYPES,
        "url_value": "ftp://erp.acme.example",
    }


@state(
    "setup",
    "webhook",
    "bss_admin/queue/webhook.html",
    "Webhook endpoint with its delivery log",
    user=BSS_ADMIN,
)
def setup_webhook():
    deliveries = [
        NS(
            created_at=ago(minutes=m),
            event_type=event,
            message_id=f"msg_{m:032x}",
            status=status,
            attempts=tries,
            response_code=code,
            last_error=error,
        )
        for m, event, status, tries, code, error in [
            (2, "order.status_changed", "delivered", 1, 204, None),
            (9, "backorder.created", "retrying", 2, 503, "The endpoint answered HTTP 503."),
            (30, "order.status_changed", "delivered", 1, 200, None),
        ]
    ]
    return {"d": NS(endpoint=_ENDPOINT, deliveries=deliveries), "form": _form()}
