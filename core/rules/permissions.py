"""Rule 4.8: which actions and fields a BSS user may use on an order.

After execution (PRODUCT.md 6.4) Quick Add and Update are disabled, every action but "Export to"
(CSV, print-out) is disabled and the status is locked in Edit; Copy stays available, since
copying an executed order or sub-order is how a new order is started from it. Back-orders
(PRODUCT.md section 8) are restricted from the start: the distributor may edit only a few
header fields, view print-outs, add activities, relate e-mails and create cases.

An order's open holds decide too, not only its status: while the Scheduled hold is open the
order waits for its date (the worker executes it then, charging the card), whatever its status
says; while the reseller-approval hold is open the reseller decides. Either way its status is
not changed by hand (Edit, the API's status), except to cancel it as Cancel order does
(:func:`status_change_refusal`).

The same answers drive the templates (buttons shown or disabled) and the services (the server
refuses), so a hidden button is never the only guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import texts
from core.rules import roles

# the order statuses' Types (core.rules.statuses.OrderStatusType), repeated as plain strings
_EXECUTED_TYPES = frozenset({"automatic_execute", "delivered"})
_CANCELLED = "cancelled"
_SCHEDULED = "scheduled"
_EXECUTING = "executing"
# a Scheduled order (its Scheduled hold open, whatever its status) waits for its date: the
# scheduler executes it then (charging a card), so nobody executes it early, changes what the
# customer agreed to or moves it out of the scheduler's sight by changing its status (staff may
# cancel it); an Executing one is in the scheduler's hands right now (core.services.scheduling)
_NOT_WHILE_SCHEDULED = frozenset(
    {"execute", "quick_add", "update_items", "delete_items", "deliver", "change_status"}
)
_NOT_WHILE_EXECUTING = _NOT_WHILE_SCHEDULED | {"cancel", "delete"}


class Action:
    EXPORT = "export"  # "Export to": CSV
    PRINT = "print"  # print-out
    EDIT = "edit"  # open Edit (header fields)
    CHANGE_STATUS = "change_status"
    QUICK_ADD = "quick_add"  # add items
    UPDATE_ITEMS = "update_items"  # change quantities
    DELETE_ITEMS = "delete_items"
    EXECUTE = "execute"  # whole or partial
    COPY = "copy"
    CANCEL = "cancel"
    DELETE = "delete"
    DELIVER = "deliver"
    ADD_ACTIVITY = "add_activity"
    RELATE_EMAIL = "relate_email"
    CREATE_CASE = "create_case"


class Field:
    NAME = "name"
    TYPE = "order_type"
    PAYMENT_METHOD = "payment_method"
    SALES_REP = "sales_rep"
    CONTACT = "contact"
    CAMPAIGN = "campaign"
    RESPONSIBLE_USER = "responsible_user_id"
    CUSTOM_FIELDS = "custom_fields"
    STATUS = "status_id"


ALL_ACTIONS = frozenset(v for k, v in vars(Action).items() if k.isupper())
ALL_FIELDS = frozenset(v for k, v in vars(Field).items() if k.isupper())

# what stays possible once an order is executed (or is a sub-order, always executed)
_AFTER_EXECUTION = frozenset(
    {
        Action.EXPORT,
        Action.PRINT,
        Action.COPY,
        Action.EDIT,
        Action.ADD_ACTIVITY,
        Action.RELATE_EMAIL,
        Action.CREATE_CASE,
    }
)
# PRODUCT.md section 8: what the distributor may do with a back-order
_BACKORDER_ACTIONS = frozenset(
    {
        Action.EXPORT,
        Action.PRINT,
        Action.EDIT,
        Action.ADD_ACTIVITY,
        Action.RELATE_EMAIL,
        Action.CREATE_CASE,
    }
)
_BACKORDER_FIELDS = frozenset(
    {
        Field.NAME,
        Field.TYPE,
        Field.PAYMENT_METHOD,
        Field.SALES_REP,
        Field.CONTACT,
        Field.CAMPAIGN,
        Field.RESPONSIBLE_USER,
        Field.CUSTOM_FIELDS,
    }
)
# descriptive fields that stay editable after execution: status and payment are locked
_LOCKED_FIELDS = frozenset({Field.STATUS, Field.PAYMENT_METHOD})


@dataclass(frozen=True)
class OrderFacts:
    """What the rule needs to know about an order, loaded once by the service."""

    status_type: str
    is_sub_order: bool = False
    is_backorder: bool = False
    any_executed: bool = False  # some quantity of some item is executed
    has_remaining: bool = True  # some quantity is left to execute
    has_items: bool = True  # an order without items has nothing to execute, none executed
    awaiting_reseller_approval: bool = False
    # the Scheduled hold is open: the order waits for its date, whatever its status
    scheduled_hold_open: bool = False

    @property
    def locked(self) -> bool:
        """Executed, a sub-order (always executed) or cancelled: no more changes."""
        return (
            self.is_sub_order
            or self.status_type in _EXECUTED_TYPES
            or self.status_type == _CANCELLED
        )

    @property
    def waits_for_date(self) -> bool:
        """Scheduled: in the Scheduled status or, whatever the status, its hold still open."""
        return self.status_type == _SCHEDULED or self.scheduled_hold_open


def allowed_actions(facts: OrderFacts) -> frozenset[str]:
    if facts.locked:
        actions = set(_AFTER_EXECUTION)
    else:
        actions = set(ALL_ACTIONS)
        if not facts.has_remaining:
            actions.discard(Action.EXECUTE)
        if facts.awaiting_reseller_approval:
            # the reseller approves (the order then proceeds) or rejects (cancelled)
            actions -= {Action.EXECUTE, Action.CHANGE_STATUS}
        if facts.any_executed:
            # an executed quantity cannot be taken back
            actions -= {Action.CANCEL, Action.DELETE}
        if facts.status_type == _EXECUTING:
            actions -= _NOT_WHILE_EXECUTING
        elif facts.waits_for_date:
            actions -= _NOT_WHILE_SCHEDULED
    if facts.is_backorder:
        actions &= _BACKORDER_ACTIONS
    return frozenset(actions)


def editable_fields(facts: OrderFacts) -> frozenset[str]:
    fields = set(ALL_FIELDS)
    if facts.locked:
        fields -= _LOCKED_FIELDS
    elif not {Action.CHANGE_STATUS, Action.CANCEL} & allowed_actions(facts):
        fields.discard(Field.STATUS)  # e.g. Executing: neither changed nor cancelled now
    if facts.is_backorder:
        fields &= _BACKORDER_FIELDS
    return frozenset(fields)


def refusal(facts: OrderFacts, action: str) -> str | None:
    """None when ``action`` is allowed, else the message that says why not."""
    if action in allowed_actions(facts):
        return None
    if facts.is_backorder and action not in _BACKORDER_ACTIONS:
        return texts.BACKORDER_ACTION_REFUSED
    if facts.locked:
        return _locked_message(facts)
    if facts.status_type == _EXECUTING:
        return texts.ORDER_EXECUTING
    if facts.waits_for_date and action in _NOT_WHILE_SCHEDULED:
        return texts.ORDER_SCHEDULED
    if action == Action.EXECUTE and facts.awaiting_reseller_approval:
        return texts.ORDER_AWAITING_APPROVAL
    if action == Action.CHANGE_STATUS and facts.awaiting_reseller_approval:
        return texts.ORDER_AWAITING_APPROVAL_STATUS
    if action == Action.EXECUTE:
        return texts.ORDER_NOTHING_LEFT if facts.has_items else texts.ORDER_EMPTY
    return texts.ORDER_PARTLY_EXECUTED


def status_change_refusal(facts: OrderFacts, status_type: str) -> str | None:
    """None when a BSS user may give the order a status of ``status_type`` by hand (Edit, the
    API's status), else why not. A Cancelled one cancels the order: Cancel order's rule. Any
    other is a change of status: refused after execution, while the scheduler has the order
    (Scheduled hold open, Executing) and while the reseller's approval is awaited. Which
    statuses are pickable at all is :func:`core.rules.statuses.pickable_by_hand`'s answer."""
    if status_type == _CANCELLED:
        return refusal(facts, Action.CANCEL)
    return refusal(facts, Action.CHANGE_STATUS)


def status_hint(facts: OrderFacts) -> str:
    """Edit's hint under Status: why only cancelling is offered (Scheduled, waiting for the
    reseller), or what the statuses do."""
    return refusal(facts, Action.CHANGE_STATUS) or texts.ORDER_STATUS_HINT


def _locked_message(facts: OrderFacts) -> str:
    return texts.ORDER_CANCELLED if facts.status_type == _CANCELLED else texts.ORDER_LOCKED


def notice(facts: OrderFacts) -> str | None:
    """What the order page says above the actions about why they are limited: executed (not
    a cancelled one, whose status says it), scheduled for its date, or being executed."""
    if facts.locked:
        return None if facts.status_type == _CANCELLED else texts.ORDER_LOCKED
    if facts.status_type == _EXECUTING:
        return texts.ORDER_EXECUTING
    if facts.waits_for_date:
        return texts.ORDER_SCHEDULED
    return None


def field_refusal(facts: OrderFacts, field: str) -> str | None:
    if field in editable_fields(facts):
        return None
    if facts.is_backorder and field not in _BACKORDER_FIELDS:
        return texts.BACKORDER_ACTION_REFUSED
    if field == Field.STATUS and not facts.locked:
        return refusal(facts, Action.CHANGE_STATUS) or texts.ORDER_LOCKED
    return _locked_message(facts)


# --- catalogue back office (issue 15) --------------------------------------------------------


def can_manage_catalogue(role: str | None) -> bool:
    """The one gate of every catalogue page and use case (and of the BSS menu entry): the roles
    with the catalogue permission in core.rules.roles (admin, catalogue manager)."""
    return roles.may(role, roles.CATALOGUE)
