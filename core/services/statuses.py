"""Loading a tenant's status tables and resolving statuses (rule 4.4) against them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.db import read_rows
from core.models import OfferStatus, Order, OrderStatus, Tenant, User
from core.rules import statuses as rules
from core.rules.statuses import StatusKey, StatusRow
from core.services import bulk
from core.services.audit import order_event, record_order_events
from core.services.errors import ServiceError


class MissingStatus(ServiceError):
    """The tenant's status table has no live status for a needed (Type, Storefront Type)."""


def order_status_row(status: OrderStatus, in_use: bool = False) -> StatusRow:
    return StatusRow(
        key=str(status.id),
        number=status.number,
        description=status.description,
        type=status.type,
        storefront_type=status.storefront_type,
        color=status.color,
        active=status.active,
        mandatory_key=status.mandatory_key,
        deleted=status.deleted_at is not None,
        in_use=in_use,
    )


def offer_status_row(status: OfferStatus) -> StatusRow:
    return StatusRow(
        key=str(status.id),
        number=status.number,
        description=status.description,
        type=status.type,
        color=status.color,
        active=status.active,
        mandatory_key=status.default_key,
        deleted=status.deleted_at is not None,
    )


def order_statuses(session: Session, tenant_id: int) -> list[OrderStatus]:
    return list(session.scalars(_ORDER_STATUSES, {"tenant_id": tenant_id}))


# built once (issue 19): every checkout step that writes an order reads them
_ORDER_STATUSES = (
    select(OrderStatus)
    .where(OrderStatus.tenant_id == bindparam("tenant_id"))
    .order_by(OrderStatus.number, OrderStatus.id)
)


def offer_statuses(session: Session, tenant_id: int) -> list[OfferStatus]:
    return list(
        session.scalars(
            select(OfferStatus)
            .where(OfferStatus.tenant_id == tenant_id)
            .order_by(OfferStatus.number, OfferStatus.id)
        )
    )


@dataclass(frozen=True, slots=True, eq=False)
class StatusView:
    """An order status as the read pages show it: its columns, no ORM entity (it is kept by
    the process and shared by requests and threads; a use case that writes loads its own).
    Hashed and compared by identity, as an entity is (the lists key their badges on it)."""

    id: int
    tenant_id: int
    number: int
    description: str
    type: str
    storefront_type: str
    color: str
    active: bool
    mandatory_key: str | None
    deleted_at: datetime | None


_STATUS_COLUMNS = [OrderStatus.__table__.c[f.name] for f in fields(StatusView)]
# the statuses (as order_statuses() reads them) with the tenant's version, in one statement:
# both of one moment (one snapshot on PostgreSQL too, whose reads run in autocommit)
_STATUSES_WITH_VERSION = _ORDER_STATUSES.with_only_columns(
    *_STATUS_COLUMNS, Tenant.statuses_version, maintain_column_froms=True
).join_from(OrderStatus, Tenant, Tenant.id == OrderStatus.tenant_id)
SHARED_BOOKS_KEPT = 1000  # tenants whose statuses a process keeps


class StatusBook:
    """A tenant's order statuses, loaded once, with the resolutions the use cases need."""

    def __init__(self, statuses: list[OrderStatus]):
        self.statuses = statuses
        self.by_id = {s.id: s for s in statuses}
        self.rows = [order_status_row(s) for s in statuses]

    @classmethod
    def load(cls, session: Session, tenant_id: int) -> StatusBook:
        return cls(order_statuses(session, tenant_id))

    @classmethod
    def shared(cls, session: Session, tenant_id: int, version: int, kept: dict) -> StatusBook:
        """The tenant's statuses as :class:`StatusView` s, for pages that only show them (the
        BSS orders list and dashboard, issue 19, ninth pass): taken from ``kept`` (a dict the
        caller keeps for the process: tenant id -> (version, book)) while ``version`` (the
        tenant's ``statuses_version`` the request read, with the signed-in user) is the one
        they were read with; else read with the tenant's version in one statement and kept
        under that version (newer than ``version`` if they changed in between). A use case
        that writes an order's status loads its own book (:meth:`load`): the views are no
        ORM entities and cannot be assigned to an order."""
        entry = kept.get(tenant_id)
        if entry is not None and entry[0] == version:
            return entry[1]
        rows = read_rows(session, _STATUSES_WITH_VERSION, {"tenant_id": tenant_id}).all()
        book = cls([StatusView(*row[:-1]) for row in rows])
        if rows:
            if len(kept) >= SHARED_BOOKS_KEPT:
                kept.clear()
            kept[tenant_id] = (rows[0][-1], book)
        return book

    def _pick(self, row: StatusRow | None, what: str) -> OrderStatus:
        if row is None:
            raise MissingStatus(f"No active order status is configured for {what}.")
        return self.by_id[int(row.key)]

    def by_key(self, key: str) -> OrderStatus:
        """A default status by its stable key, falling back to resolution by its combination."""
        for _key, _no, _desc, type_, sf_type, _color in rules.DEFAULT_ORDER_STATUSES:
            if _key == key:
                if key == StatusKey.EXECUTED:
                    return self.executed()
                return self.resolve(type_, sf_type)
        raise KeyError(key)

    def resolve(self, type_: str, storefront_type: str) -> OrderStatus:
        return self._pick(
            rules.resolve(self.rows, type_, storefront_type), f"{type_}/{storefront_type}"
        )

    def executed(self) -> OrderStatus:
        return self._pick(rules.resolve_executed(self.rows), "executed orders")

    def draft(self) -> OrderStatus:
        return self.by_key(StatusKey.DRAFT)

    def submitted(self) -> OrderStatus:
        return self.by_key(StatusKey.SUBMITTED)

    def canceled(self) -> OrderStatus:
        return self.by_key(StatusKey.CANCELED)

    def assignable(self) -> list[OrderStatus]:
        return [self.by_id[int(r.key)] for r in rules.assignable_by_user(self.rows)]

    def pickable_by_hand(
        self, *, new_order: bool = False, nothing_executed: bool = True
    ) -> list[OrderStatus]:
        rows = rules.pickable_by_hand(
            self.rows, new_order=new_order, nothing_executed=nothing_executed
        )
        return [self.by_id[int(r.key)] for r in rows]

    def execution_outcomes(self) -> list[OrderStatus]:
        return [self.by_id[int(r.key)] for r in rules.execution_outcomes(self.rows)]


def is_storefront_visible(status: OrderStatus) -> bool:
    return rules.visible_to_customer(status.storefront_type)


def set_order_status(
    session: Session,
    order: Order,
    status: OrderStatus,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    note: str | None = None,
    lines: list[dict] | None = None,
    columns: dict | None = None,
) -> None:
    """Change an order's status and write the history line (who, when, from, to, why). The
    order's UPDATE goes with the session's next flush (issue 19, sixth pass: a flush of its
    own here), or, given ``columns`` (other columns of the order, maybe none), is written now
    with them in one Core UPDATE (:func:`core.services.bulk.update_object`; eighth pass: a
    placement's order needed a flush for it alone, twice). ``lines``: the history line is
    added to them, for the caller to write with its neighbours in one INSERT
    (:func:`core.services.audit.record_order_events`), else written now."""
    previous = order.status_id
    if previous == status.id:
        if columns:
            bulk.update_object(session, order, columns)
        return
    changed = {"status_id": status.id}
    if is_storefront_visible(status) or status.storefront_type == rules.StorefrontType.DRAFT:
        changed["storefront_status_id"] = status.id
    if columns is None:
        for name, value in changed.items():
            setattr(order, name, value)
        order.status = status
    else:
        bulk.update_object(session, order, {**columns, **changed})
        set_committed_value(order, "status", status)
    line = order_event(
        order,
        "status",
        actor=actor,
        actor_name=actor_name,
        from_status_id=previous,
        to_status_id=status.id,
        note=note,
    )
    if lines is None:
        record_order_events(session, [line])
    else:
        lines.append(line)
    # events for the tenant's other systems (issue 16), as the public API shows the order
    from core.services import representations, webhooks

    webhooks.emit(
        session,
        order.tenant_id,
        "order.status_changed",
        lambda: representations.order_by_id(session, order.tenant_id, order.id),
    )


def status_colors(session: Session, tenant_id: int) -> list[str]:
    """Every colour used by the tenant's order and offer statuses (valid #rrggbb only)."""
    import re

    valid = re.compile(r"^#[0-9a-fA-F]{6}$")
    colors = set(
        session.scalars(select(OrderStatus.color).where(OrderStatus.tenant_id == tenant_id))
    )
    colors |= set(
        session.scalars(select(OfferStatus.color).where(OfferStatus.tenant_id == tenant_id))
    )
    return sorted(c.lower() for c in colors if c and valid.match(c))


def status_colors_version(colors: list[str]) -> str:
    """A short fingerprint of the colours: it changes with any colour change, so the colour
    stylesheet's ETag (and a URL carrying it) never lets a browser keep an old copy."""
    import hashlib

    return hashlib.sha1(",".join(colors).encode()).hexdigest()[:12]
