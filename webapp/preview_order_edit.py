"""Preview states of the BSS order Edit page's rules (webapp/preview_fixtures.py imports this
module): a Scheduled order, whose status only a Cancelled one may replace (the hint says why);
a payment method the card-only account is not allowed, refused on its field; and the
confirmation a Cancelled status asks for, as Cancel order does."""

from __future__ import annotations

from datetime import timedelta

from core import texts
from webapp.preview_fixtures import (
    BSS_OPERATOR,
    NOW,
    STATUS,
    _bss_order,
    _confirm,
    _detail,
    _edit_form,
    _facts,
    _records_panel,
    state,
)

TEMPLATE = "bss_admin/orders/edit.html"


def _edit(detail, errors=None, message=None, statuses=None):
    form = _edit_form(detail)
    if statuses is not None:
        form.status_id.choices = [(str(s.id), s.description) for s in statuses]
    form.payment_method.choices = [
        (value, label)
        for value, label in form.payment_method.choices
        if value in detail.payment_methods
    ]
    return {
        "d": detail,
        "form": form,
        "errors": errors or {},
        "message": message,
        "records_panel": _records_panel(with_records=False),
    }


@state(
    "bss",
    "order-edit-scheduled",
    TEMPLATE,
    "Edit a Scheduled order: its status may only become a Cancelled one",
    user=BSS_OPERATOR,
)
def bss_order_edit_scheduled():
    day = (NOW + timedelta(days=3)).date()
    the_order = _bss_order("scheduled", manual=False, scheduled_for=day)
    detail = _detail(the_order, _facts("scheduled", scheduled_hold_open=True))
    return _edit(detail, statuses=[STATUS["scheduled"], STATUS["canceled"]])


@state(
    "bss",
    "order-edit-payment-refused",
    TEMPLATE,
    "Edit refused: on account for a card-only account",
    user=BSS_OPERATOR,
)
def bss_order_edit_payment_refused():
    detail = _detail(_bss_order(), _facts("in_progress"))
    message = texts.ORDER_PAYMENT_METHOD_NOT_ALLOWED
    return _edit(detail, errors={"payment_method": [message]}, message=message)


@state(
    "bss",
    "confirm-cancel-by-edit",
    "confirm/confirm.html",
    "Confirm a Cancelled status chosen in Edit",
    user=BSS_OPERATOR,
)
def bss_confirm_cancel_by_edit():
    return _confirm(
        "bss_admin/layout.html",
        title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number="SO0000123"),
        message=texts.CONFIRM_CANCEL_ORDER_BODY,
        yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
        action_url="#edit",
        back_url="#edit",
        back_label=texts.CONFIRM_KEEP_ORDER,
        lines=[
            texts.CONFIRM_CANCEL_STATUS_LINE.format(status="Canceled - Denial"),
            texts.CONFIRM_CANCEL_EDIT_LINE.format(fields="Name, Sales Rep"),
        ],
        hidden={"status_id": "8", "name": "Denied", "confirmed": "1"},
    )
