"""Who gets which message (issue 16, PRODUCT.md 11): the kinds a tenant can turn off.

Every kind is on by default; a kind that is not listed here (a password reset, an invitation)
is always sent. The labels live in :mod:`core.texts`.
"""

from __future__ import annotations

MANUAL_ORDER = "manual_order"  # operations: a new order to execute by hand
ORDER_SUBMITTED = "order_submitted"  # customer
ORDER_EXECUTED = "order_executed"  # customer, with the invoice
ORDER_PARTIALLY_DELIVERED = "order_partially_delivered"  # customer
ORDER_CANCELED = "order_canceled"  # customer
PAYMENT_FAILED = "payment_failed"  # customer
SCHEDULED_EXECUTED = "scheduled_executed"  # customer
SCHEDULED_FAILED = "scheduled_failed"  # customer
CREDIT_LIMIT = "credit_limit"  # customer and account manager
APPROVAL_REQUESTED = "approval_requested"  # the standard reseller
APPROVAL_DECIDED = "approval_decided"  # customer
BACKORDER_CREATED = "backorder_created"  # the distributor
TRIAL_ENDING = "trial_ending"  # customer: billing changes (issue 17), 3 days before

CONFIGURABLE = (
    MANUAL_ORDER,
    ORDER_SUBMITTED,
    ORDER_EXECUTED,
    ORDER_PARTIALLY_DELIVERED,
    ORDER_CANCELED,
    PAYMENT_FAILED,
    SCHEDULED_EXECUTED,
    SCHEDULED_FAILED,
    CREDIT_LIMIT,
    APPROVAL_REQUESTED,
    APPROVAL_DECIDED,
    BACKORDER_CREATED,
    TRIAL_ENDING,
)


def is_enabled(kind: str, turned_off: set[str] | frozenset[str]) -> bool:
    """A configurable kind is sent unless the tenant turned it off; others always are."""
    return kind not in CONFIGURABLE or kind not in turned_off


def execution_kind(*, partial: bool, fully: bool, scheduled: bool) -> str:
    """The message an execution sends: a part delivered, a scheduled order run, or executed."""
    if partial and not fully:
        return ORDER_PARTIALLY_DELIVERED
    if scheduled:
        return SCHEDULED_EXECUTED
    return ORDER_EXECUTED


# --- payment and dunning (issue 17) -----------------------------------------------------------
INVOICE_PAYMENT_FAILED = "invoice_payment_failed"  # customer: a reminder at each failed attempt
SUBSCRIPTIONS_SUSPENDED = "subscriptions_suspended"  # customer
SUBSCRIPTIONS_RESUMED = "subscriptions_resumed"  # customer
CONFIGURABLE = (
    *CONFIGURABLE,
    INVOICE_PAYMENT_FAILED,
    SUBSCRIPTIONS_SUSPENDED,
    SUBSCRIPTIONS_RESUMED,
)

# --- invoices and credit notes (PRODUCT.md 11) ------------------------------------------------
INVOICE_ISSUED = "invoice_issued"  # customer: a renewal invoice (due date, or the card receipt)
CREDIT_NOTE_ISSUED = "credit_note_issued"  # customer
CONFIGURABLE = (*CONFIGURABLE, INVOICE_ISSUED, CREDIT_NOTE_ISSUED)
