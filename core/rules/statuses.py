"""Order and offer status tables (PRODUCT.md section 7) and status resolution (rule 4.4).

Pure: works on :class:`StatusRow` values, never on database rows, and never matches a status by
its description (descriptions are editable).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from core import texts
from core.rules import colors


class OrderStatusType:
    IN_PROGRESS = "in_progress"
    AUTOMATIC_EXECUTE = "automatic_execute"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    SCHEDULED = "scheduled"
    EXECUTING = "executing"
    ALL = (IN_PROGRESS, AUTOMATIC_EXECUTE, DELIVERED, CANCELLED, SCHEDULED, EXECUTING)
    # set only by the system (the scheduler), never by a user or the API
    SYSTEM_ONLY = (SCHEDULED, EXECUTING)
    LABELS = {
        IN_PROGRESS: "In progress",
        AUTOMATIC_EXECUTE: "Automatic Execute",
        DELIVERED: "Delivered",
        CANCELLED: "Cancelled",
        SCHEDULED: "Scheduled",
        EXECUTING: "Executing",
    }


class StorefrontType:
    DRAFT = "draft"
    VIEWABLE = "viewable"
    SUBMITTED = "submitted"
    PENDING_APPROVAL = "pending_approval"
    NOT_VIEWABLE = "not_viewable"  # deprecated: existing ones become Viewable
    ALL = (DRAFT, VIEWABLE, SUBMITTED, PENDING_APPROVAL)
    LABELS = {
        DRAFT: "Draft",
        VIEWABLE: "Viewable",
        SUBMITTED: "Submitted",
        PENDING_APPROVAL: "Pending approval",
        NOT_VIEWABLE: "Not Viewable",
    }


class OfferStatusType:
    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    ALL = (IN_PROGRESS, ACCEPTED, CANCELLED)
    LABELS = {IN_PROGRESS: "In progress", ACCEPTED: "Accepted", CANCELLED: "Cancelled"}


class StatusKey:
    """Stable keys of the mandatory default order statuses."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    EXECUTED = "executed"
    CANCELED = "canceled"
    PENDING_RESELLER_APPROVAL = "pending_reseller_approval"
    CANCELED_BY_RESELLER = "canceled_by_reseller"
    EXECUTING = "executing"
    SCHEDULED = "scheduled"


@dataclass(frozen=True)
class StatusRow:
    """One row of a status table. ``key`` identifies a row during an edit (id or "new")."""

    key: str
    number: int
    description: str
    type: str
    storefront_type: str | None = None  # None for offer statuses
    color: str = "#6b7280"
    active: bool = True
    mandatory_key: str | None = None
    deleted: bool = False
    in_use: bool = False

    @property
    def combination(self) -> tuple[str, str | None]:
        return (self.type, self.storefront_type)

    @property
    def live(self) -> bool:
        return self.active and not self.deleted


T, S = OrderStatusType, StorefrontType

# (key, No., description, type, storefront type, colour)
DEFAULT_ORDER_STATUSES: tuple[tuple[str, int, str, str, str, str], ...] = (
    (StatusKey.DRAFT, 1, "Draft", T.IN_PROGRESS, S.DRAFT, "#6b7280"),
    (StatusKey.SUBMITTED, 2, "Submitted", T.IN_PROGRESS, S.VIEWABLE, "#b45309"),
    (StatusKey.EXECUTED, 3, "Executed", T.AUTOMATIC_EXECUTE, S.SUBMITTED, "#15803d"),
    (StatusKey.CANCELED, 4, "Canceled", T.CANCELLED, S.VIEWABLE, "#b91c1c"),
    (
        StatusKey.PENDING_RESELLER_APPROVAL,
        5,
        "Pending Reseller Approval",
        T.IN_PROGRESS,
        S.PENDING_APPROVAL,
        "#7c3aed",
    ),
    (
        StatusKey.CANCELED_BY_RESELLER,
        6,
        "Canceled by Reseller",
        T.CANCELLED,
        S.PENDING_APPROVAL,
        "#9f1239",
    ),
    (StatusKey.EXECUTING, 7, "Executing", T.EXECUTING, S.VIEWABLE, "#1d4ed8"),
    (StatusKey.SCHEDULED, 8, "Scheduled", T.SCHEDULED, S.VIEWABLE, "#0e7490"),
)

DEFAULT_OFFER_STATUSES: tuple[tuple[str, int, str, str, str], ...] = (
    ("in_progress", 1, "In Progress", OfferStatusType.IN_PROGRESS, "#b45309"),
    ("accepted", 2, "Accepted", OfferStatusType.ACCEPTED, "#15803d"),
    ("lost", 3, "Lost", OfferStatusType.CANCELLED, "#b91c1c"),
)

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_DESCRIPTION = 120


# --- resolution (rule 4.4) -------------------------------------------------------------------


def _by_priority(rows: Iterable[StatusRow]) -> list[StatusRow]:
    """Mandatory default first, then by No. (priority), then by key for a stable order."""
    return sorted(rows, key=lambda r: (r.mandatory_key is None, r.number, str(r.key)))


def resolve(rows: Iterable[StatusRow], type_: str, storefront_type: str) -> StatusRow | None:
    """The status an order gets for a (Type, Storefront Type), or None if none is live."""
    matching = [r for r in rows if r.live and r.combination == (type_, storefront_type)]
    ordered = _by_priority(matching)
    return ordered[0] if ordered else None


def resolve_executed(rows: Iterable[StatusRow]) -> StatusRow | None:
    """Automatic Execute / Submitted first (first from the top wins), then Delivered ones."""
    rows = list(rows)
    first = resolve(rows, T.AUTOMATIC_EXECUTE, S.SUBMITTED)
    if first:
        return first
    delivered = _by_priority(r for r in rows if r.live and r.type == T.DELIVERED)
    return delivered[0] if delivered else None


def manual_execution_status(rows: Iterable[StatusRow]) -> StatusRow | None:
    """The status manual orders wait in: active, In progress, Viewable (rule 4.1)."""
    return resolve(rows, T.IN_PROGRESS, S.VIEWABLE)


def visible_to_customer(storefront_type: str | None) -> bool:
    """Whether the Storefront shows an order in a status of this Storefront Type: every one but
    Draft. Pending approval too: a standard reseller's customer follows the approval from the
    moment the order is placed (issue 13); the deprecated Not Viewable reads as Viewable."""
    return storefront_type in (S.VIEWABLE, S.SUBMITTED, S.PENDING_APPROVAL, S.NOT_VIEWABLE)


def assignable_by_user(rows: Iterable[StatusRow]) -> list[StatusRow]:
    """Statuses a BSS user may pick for an order by hand (never Scheduled or Executing)."""
    return _by_priority(r for r in rows if r.live and r.type not in OrderStatusType.SYSTEM_ONLY)


# --- custom statuses in use (issue 13 point 5) -----------------------------------------------

# Storefront Types that belong to a flow, not to a BSS user's choice: the Storefront checkout
# (Draft) and the standard reseller's approval (Pending approval)
FLOW_STOREFRONT_TYPES = frozenset({S.DRAFT, S.PENDING_APPROVAL})
# Types whose statuses end an order's execution; they come from execution, never by hand
EXECUTED_TYPES = frozenset({T.AUTOMATIC_EXECUTE, T.DELIVERED})


def creatable_types() -> tuple[str, ...]:
    """The Types a new status may have: never Scheduled or Executing (the scheduler's own)."""
    return tuple(t for t in OrderStatusType.ALL if t not in OrderStatusType.SYSTEM_ONLY)


def choosable_types(current: str | None = None) -> tuple[str, ...]:
    """The Types a status row's picker offers: the creatable ones, and a row's own Type even if
    it is Scheduled or Executing (a row may keep its Type, never change to one of these)."""
    creatable = creatable_types()
    if current in OrderStatusType.SYSTEM_ONLY:
        return tuple(t for t in OrderStatusType.ALL if t in creatable or t == current)
    return creatable


# messages about a row's Type: a page shows them on the Type field, the others on the row
TYPE_MESSAGES = frozenset(
    {
        texts.STATUS_TYPE_INVALID,
        texts.STATUS_SYSTEM_ONLY_TYPE,
        texts.STATUS_SYSTEM_ONLY_TYPE_CHANGE,
    }
)


def pickable_by_hand(
    rows: Iterable[StatusRow], *, new_order: bool = False, nothing_executed: bool = True
) -> list[StatusRow]:
    """The statuses a BSS user may give an order in New order or Edit, by priority.

    Live In progress statuses, default or custom; in Edit also the Cancelled ones while nothing
    is executed (choosing one cancels the order, as Cancel does). Never Draft or Pending
    approval (their flows set them), never Scheduled or Executing (the scheduler's), never an
    executed Type (execution sets those: :func:`execution_outcomes`).
    """
    types = {T.IN_PROGRESS}
    if not new_order and nothing_executed:
        types.add(T.CANCELLED)
    return _by_priority(
        r
        for r in rows
        if r.live and r.type in types and r.storefront_type not in FLOW_STOREFRONT_TYPES
    )


def execution_outcomes(rows: Iterable[StatusRow]) -> list[StatusRow]:
    """The statuses an execution may end in: first the one :func:`resolve_executed` picks
    (Automatic Execute / Submitted), then the other live Automatic Execute and Delivered
    statuses by priority, so a custom Delivered status can be chosen when executing."""
    rows = list(rows)
    first = resolve_executed(rows)
    if first is None:
        return []
    others = _by_priority(
        r
        for r in rows
        if r.live
        and r.key != first.key
        and r.type in EXECUTED_TYPES
        and r.storefront_type not in FLOW_STOREFRONT_TYPES
    )
    return [first, *others]


# --- order status table rules ----------------------------------------------------------------


class StatusTableErrors(dict):
    """Row key -> list of messages; the ``""`` key holds messages about the whole table."""

    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)


def normalize_legacy(row: StatusRow) -> StatusRow:
    """ "Not Viewable" is deprecated: existing ones become Viewable."""
    if row.storefront_type == S.NOT_VIEWABLE:
        return replace(row, storefront_type=S.VIEWABLE)
    return row


def _check_common_fields(row: StatusRow, errors: StatusTableErrors) -> None:
    if not row.description.strip():
        errors.add(row.key, texts.STATUS_DESCRIPTION_REQUIRED)
    elif len(row.description) > MAX_DESCRIPTION:
        errors.add(row.key, texts.STATUS_DESCRIPTION_TOO_LONG.format(max=MAX_DESCRIPTION))
    if not 1 <= row.number <= 9999:
        errors.add(row.key, texts.STATUS_NUMBER_RANGE)
    if not _COLOR.match(row.color or ""):
        errors.add(row.key, texts.STATUS_COLOR_INVALID)


def _check_color_visible(
    row: StatusRow, previous: StatusRow | None, errors: StatusTableErrors
) -> None:
    """A new or changed colour must be visible on the badge; one saved before stays allowed."""
    if previous is not None and (previous.color or "").lower() == (row.color or "").lower():
        return
    if colors.too_pale_for_badge(row.color):
        ratio = math.floor(colors.badge_contrast(row.color) * 10) / 10
        errors.add(row.key, texts.STATUS_COLOR_TOO_PALE.format(ratio=f"{ratio:.1f}"))


def _check_unique_descriptions(rows: Sequence[StatusRow], errors: StatusTableErrors) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        if row.deleted:
            continue
        name = row.description.strip().casefold()
        if name in seen:
            errors.add(row.key, texts.STATUS_DESCRIPTION_TAKEN)
        else:
            seen[name] = row.key


def validate_order_status_table(
    before: Sequence[StatusRow], after: Sequence[StatusRow]
) -> StatusTableErrors:
    """Every rule of PRODUCT.md section 7 for an edit that turns ``before`` into ``after``.

    ``after`` lists every row (deleted ones with ``deleted=True``); new rows have keys that are
    not in ``before``.
    """
    errors = StatusTableErrors()
    old = {r.key: r for r in before}
    for row in after:
        previous = old.get(row.key)
        if row.deleted and previous and previous.deleted:
            continue
        if not row.deleted:
            _check_common_fields(row, errors)
            _check_color_visible(row, previous, errors)
            if row.type not in OrderStatusType.ALL:
                errors.add(row.key, texts.STATUS_TYPE_INVALID)
            if row.storefront_type == S.NOT_VIEWABLE:
                errors.add(row.key, texts.STATUS_NOT_VIEWABLE_DEPRECATED)
            elif row.storefront_type not in StorefrontType.ALL:
                errors.add(row.key, texts.STATUS_STOREFRONT_TYPE_INVALID)
        if previous is None:
            if row.mandatory_key:
                errors.add(row.key, texts.STATUS_CANNOT_CREATE_MANDATORY)
            if row.type in OrderStatusType.SYSTEM_ONLY:
                errors.add(row.key, texts.STATUS_SYSTEM_ONLY_TYPE)
            continue
        if previous.mandatory_key:
            if row.deleted:
                errors.add(row.key, texts.STATUS_MANDATORY_NO_DELETE)
            elif not row.active:
                errors.add(row.key, texts.STATUS_MANDATORY_NO_DEACTIVATE)
            if row.combination != normalize_legacy(previous).combination:
                errors.add(row.key, texts.STATUS_MANDATORY_TYPE_LOCKED)
        elif row.type in OrderStatusType.SYSTEM_ONLY and row.type != previous.type:
            errors.add(row.key, texts.STATUS_SYSTEM_ONLY_TYPE_CHANGE)
        if row.mandatory_key != previous.mandatory_key:
            errors.add(row.key, texts.STATUS_CANNOT_CREATE_MANDATORY)

    live = [r for r in after if r.live]
    auto_submitted = [r for r in live if r.combination == (T.AUTOMATIC_EXECUTE, S.SUBMITTED)]
    if not auto_submitted:
        errors.add("", texts.STATUS_ONE_ACTIVE_EXECUTED)
    elif len(auto_submitted) > 1:
        offenders = [r for r in auto_submitted if not r.mandatory_key] or auto_submitted[1:]
        for r in offenders:
            errors.add(r.key, texts.STATUS_ONE_ACTIVE_EXECUTED)
    _check_unique_descriptions(after, errors)
    return errors


def validate_offer_status_table(
    before: Sequence[StatusRow], after: Sequence[StatusRow]
) -> StatusTableErrors:
    """Offer statuses: each may be deleted or deactivated only while another active status of
    its Type remains."""
    errors = StatusTableErrors()
    old = {r.key: r for r in before}
    for row in after:
        previous = old.get(row.key)
        if not row.deleted:
            _check_common_fields(row, errors)
            _check_color_visible(row, previous, errors)
            if row.type not in OfferStatusType.ALL:
                errors.add(row.key, texts.STATUS_TYPE_INVALID)
        if previous and previous.live and not row.live:
            others = [r for r in after if r.live and r.type == previous.type and r.key != row.key]
            if not others:
                errors.add(row.key, texts.OFFER_STATUS_LAST_OF_TYPE)
    _check_unique_descriptions(after, errors)
    return errors
