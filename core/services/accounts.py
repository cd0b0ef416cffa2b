"""Accounts in the BSS (issue 14): the list (search by name, filter by kind, keyset pages),
create, edit, deactivate, the account page, and credit limit changes with their history.

The list runs one query a page whatever the number of accounts: ``ix_account_tenant_name``
(any kind) or ``ix_account_tenant_kind_name`` (one kind) walks the accounts in (name, id) order
from the cursor. The account page runs a fixed number of queries.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased, joinedload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import AccountKind, UserKind
from core.models import (
    Account,
    CreditLimitChange,
    Invoice,
    Order,
    OrderStatus,
    PriceList,
    Subscription,
    Tenant,
    User,
)
from core.rules import accounts as rules
from core.rules import credit as credit_rules
from core.services import billing, sharing
from core.services.audit import actor_label, record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.picking import contains_pattern
from core.services.reseller_approval import pending_counts

PAGE_SIZE = 50
PICKER_LIMIT = 200  # a picker lists this many choices; beyond it, they are found by search
RECENT = 20  # orders, invoices, subscriptions shown on the account page


# --- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFilters:
    text: str = ""
    kind: str = ""
    after: str | None = None  # the cursor of the previous page's last row
    reseller_account_id: int | None = None  # only this standard reseller's customers


@dataclass(frozen=True)
class AccountRow:
    id: int
    name: str
    kind: str
    email: str | None
    credit_limit: Decimal | None
    active: bool
    price_list: str | None
    reseller: str | None
    registration_pending: bool = False


@dataclass
class AccountListPage:
    rows: list[AccountRow]
    next_cursor: str | None


def encode_cursor(name: str, account_id: int) -> str:
    raw = json.dumps([name, account_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, account_id = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(name, str) or not isinstance(account_id, int):
        return None
    if abs(account_id) > 2**62:
        return None
    return name, account_id


def list_accounts(
    session: Session, tenant_id: int, filters: AccountFilters, page_size: int = PAGE_SIZE
) -> AccountListPage:
    """One page of the tenant's accounts by name (one query)."""
    reseller = aliased(Account)
    query = (
        select(
            Account.id,
            Account.name,
            Account.kind,
            Account.email,
            Account.credit_limit,
            Account.active,
            PriceList.name,
            reseller.name,
            Account.registration_pending,
        )
        .outerjoin(PriceList, PriceList.id == Account.price_list_id)
        .outerjoin(reseller, reseller.id == Account.reseller_account_id)
        .where(Account.tenant_id == tenant_id)
    )
    if filters.kind in AccountKind.ALL:
        query = query.where(Account.kind == filters.kind)
    if filters.reseller_account_id is not None:
        query = query.where(Account.reseller_account_id == filters.reseller_account_id)
    text = (filters.text or "").strip()
    if text:
        query = query.where(func.lower(Account.name).like(contains_pattern(text)))
    cursor = decode_cursor(filters.after)
    if cursor:
        query = query.where(tuple_(Account.name, Account.id) > tuple_(*cursor))
    found = session.execute(query.order_by(Account.name, Account.id).limit(page_size + 1)).all()
    rows = [AccountRow(*r) for r in found[:page_size]]
    next_cursor = encode_cursor(rows[-1].name, rows[-1].id) if len(found) > page_size else None
    return AccountListPage(rows, next_cursor)


# --- what an account refers to: price lists, managers, child tenants, resellers ---------------


def price_lists(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(PriceList.id, PriceList.name)
        .where(PriceList.tenant_id == tenant_id)
        .order_by(PriceList.name)
    )
    return [(i, n) for i, n in rows]


def child_tenants(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Tenant.id, Tenant.name).where(Tenant.parent_id == tenant_id).order_by(Tenant.name)
    )
    return [(i, n) for i, n in rows]


@dataclass(frozen=True)
class Picker:
    """Choices of a picker: every choice up to PICKER_LIMIT, else the ones the search found
    (``many``), the one the search designates (``chosen``) and what to tell the user."""

    choices: list[tuple[int, str]]
    many: bool = False
    chosen: int | None = None
    error: str | None = None


def _pick(rows: list[tuple[int, str]], term: str, exact) -> Picker:
    matches = rows[:PICKER_LIMIT]
    exact_ids = [i for i, label in rows if exact(label)]
    if len(rows) == 1 or len(exact_ids) == 1:
        return Picker(matches, True, (exact_ids or [rows[0][0]])[0])
    if not rows:
        return Picker([], True, None, texts.ACCOUNT_MANAGER_NO_MATCH if term else None)
    return Picker(matches, True, None, texts.ACCOUNT_MANAGER_SEARCH.format(count=len(rows)))


def manager_picker(session: Session, tenant_id: int, term: str | None = None) -> Picker:
    """Active BSS users of the tenant; searched by name or e-mail when there are many."""
    base = select(User.id, User.name, User.email).where(
        User.tenant_id == tenant_id, User.kind == UserKind.BSS, User.active.is_(True)
    )
    order = (User.name, User.id)
    every = session.execute(base.order_by(*order).limit(PICKER_LIMIT + 1)).all()
    if len(every) <= PICKER_LIMIT:
        return Picker([(i, f"{n} <{e}>") for i, n, e in every])
    term = (term or "").strip()
    if not term:
        return Picker([], True)
    pattern = contains_pattern(term)
    found = session.execute(
        base.where((func.lower(User.name).like(pattern)) | (func.lower(User.email).like(pattern)))
        .order_by(*order)
        .limit(PICKER_LIMIT + 1)
    ).all()
    rows = [(i, f"{n} <{e}>") for i, n, e in found]
    lowered = term.casefold()
    return _pick(rows, term, lambda label: lowered in (label.casefold(), _email_of(label)))


def _email_of(label: str) -> str:
    return label.rsplit("<", 1)[-1].rstrip(">").casefold()


def reseller_picker(session: Session, tenant_id: int, term: str | None = None) -> Picker:
    """The tenant's standard resellers; searched by name when there are many."""
    base = select(Account.id, Account.name).where(
        Account.tenant_id == tenant_id, Account.kind == AccountKind.STANDARD_RESELLER
    )
    order = (Account.name, Account.id)
    every = session.execute(base.order_by(*order).limit(PICKER_LIMIT + 1)).all()
    if len(every) <= PICKER_LIMIT:
        return Picker([(i, n) for i, n in every])
    term = (term or "").strip()
    if not term:
        return Picker([], True)
    found = session.execute(
        base.where(func.lower(Account.name).like(contains_pattern(term)))
        .order_by(*order)
        .limit(PICKER_LIMIT + 1)
    ).all()
    rows = [(i, n) for i, n in found]
    lowered = term.casefold()
    return _pick(rows, term, lambda label: label.casefold() == lowered)


def _choices_for(session: Session, tenant_id: int, values: rules.AccountInput):
    """The ids ``values`` refers to that exist in the tenant (a query each, not whole lists)."""
    managers: frozenset[int] = frozenset()
    if values.manager_user_id is not None:
        managers = frozenset(
            session.scalars(
                select(User.id).where(
                    User.id == values.manager_user_id,
                    User.tenant_id == tenant_id,
                    User.kind == UserKind.BSS,
                    User.active.is_(True),
                )
            )
        )
    resellers: frozenset[int] = frozenset()
    if values.reseller_account_id is not None:
        resellers = frozenset(
            session.scalars(
                select(Account.id).where(
                    Account.id == values.reseller_account_id,
                    Account.tenant_id == tenant_id,
                    Account.kind == AccountKind.STANDARD_RESELLER,
                )
            )
        )
    return rules.TenantChoices(
        price_lists=frozenset(i for i, _n in price_lists(session, tenant_id)),
        managers=managers,
        child_tenants=frozenset(i for i, _n in child_tenants(session, tenant_id)),
        standard_resellers=resellers,
    )


# --- create, edit, deactivate ----------------------------------------------------------------


def _name_taken(session: Session, tenant_id: int, name: str, self_id: int | None) -> bool:
    """Whether another account of the tenant has this name, whatever the letters' case (as
    product codes). The tenant's (tenant_id, name) index gives the names without the rows."""
    query = select(Account.id).where(
        Account.tenant_id == tenant_id, func.lower(Account.name) == func.lower(name)
    )
    if self_id is not None:
        query = query.where(Account.id != self_id)
    return session.scalar(query.limit(1)) is not None


def _apply(account: Account, values: rules.AccountInput) -> None:
    account.name = values.name
    account.kind = values.kind
    account.price_list_id = values.price_list_id
    account.payment_method = values.payment_method
    account.billing_name = values.billing_name or None
    account.billing_address = values.billing_address or None
    account.email = values.billing_email or None
    account.vat_number = values.vat_number or None
    account.country = values.country or None
    account.tax_exempt = values.tax_exempt
    account.timezone = values.timezone
    account.manager_user_id = values.manager_user_id
    account.represents_tenant_id = values.represents_tenant_id
    account.reseller_account_id = values.reseller_account_id


def _record_credit_change(
    session: Session,
    account: Account,
    actor: User | None,
    old: Decimal | None,
    new: Decimal | None,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        CreditLimitChange(
            tenant_id=account.tenant_id,
            account_id=account.id,
            at=now,
            actor_user_id=actor.id if actor else None,
            actor_label=actor_label(actor),
            from_limit=old,
            to_limit=new,
            reason=reason,
        )
    )


def create_account(
    session: Session,
    tenant_id: int,
    actor: User | None,
    values: rules.AccountInput,
    now: datetime | None = None,
) -> Account:
    """A new account; its credit limit, when it has one, starts its credit history. The
    tenant row is locked so two clicks of Create make one account (a name is used once)."""
    now = now or utcnow()
    with write_transaction(session):
        session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())
        clean, errors = rules.check_account(values, _choices_for(session, tenant_id, values))
        if "name" not in errors and _name_taken(session, tenant_id, clean.name, None):
            errors.setdefault("name", []).append(texts.ACCOUNT_NAME_TAKEN)
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        account = Account(tenant_id=tenant_id, created_at=now, active=True)
        _apply(account, clean)
        account.credit_limit = clean.credit_limit
        session.add(account)
        session.flush()
        if clean.credit_limit is not None:
            _record_credit_change(
                session,
                account,
                actor,
                None,
                clean.credit_limit,
                texts.CREDIT_LIMIT_CREATED_REASON,
                now,
            )
        record_audit(session, tenant_id, actor, "account", account.id, "create", asdict(clean))
        return account


def _locked_account(session: Session, tenant_id: int, account_id: int) -> Account:
    """The account row locked as the checkout locks it (checkout.lock_account), so a credit
    limit change and a placement of the same account happen one after the other."""
    account = session.scalar(
        select(Account)
        .where(Account.id == account_id, Account.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise NotFound(texts.ACCOUNT_NOT_FOUND)
    return account


def update_account(
    session: Session,
    tenant_id: int,
    actor: User | None,
    account_id: int,
    values: rules.AccountInput,
    credit_reason: str = "",
    now: datetime | None = None,
) -> Account:
    """Save the account; a changed credit limit is recorded with ``credit_reason`` (required
    then) and applies from the next placement. Saving the same values again changes nothing."""
    now = now or utcnow()
    credit_reason = (credit_reason or "").strip()
    with write_transaction(session):
        account = _locked_account(session, tenant_id, account_id)
        clean, errors = rules.check_account(
            values, _choices_for(session, tenant_id, values), self_id=account.id
        )
        if "name" not in errors and _name_taken(session, tenant_id, clean.name, account.id):
            errors.setdefault("name", []).append(texts.ACCOUNT_NAME_TAKEN)
        if (
            account.kind == AccountKind.STANDARD_RESELLER
            and clean.kind != AccountKind.STANDARD_RESELLER
            and _has_customers(session, tenant_id, account.id)
        ):
            errors.setdefault("kind", []).append(texts.ACCOUNT_RESELLER_HAS_CUSTOMERS)
        reason_errors = rules.check_credit_limit_reason(
            account.credit_limit, clean.credit_limit, credit_reason
        )
        if reason_errors:
            errors["credit_reason"] = reason_errors
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        _apply(account, clean)
        old = account.credit_limit
        if rules.credit_limit_changed(old, clean.credit_limit):
            account.credit_limit = clean.credit_limit
            new = clean.credit_limit
            _record_credit_change(session, account, actor, old, new, credit_reason, now)
        if session.is_modified(account):
            record_audit(session, tenant_id, actor, "account", account.id, "update", asdict(clean))
        return account


def _has_customers(session: Session, tenant_id: int, account_id: int) -> bool:
    return (
        session.scalar(
            select(Account.id)
            .where(Account.tenant_id == tenant_id, Account.reseller_account_id == account_id)
            .limit(1)
        )
        is not None
    )


def set_active(
    session: Session, tenant_id: int, actor: User | None, account_id: int, active: bool
) -> Account:
    """Deactivate (its users can no longer sign in, their sessions end at once: the user
    loader checks the account) or reactivate; doing it twice is doing it once."""
    with write_transaction(session):
        account = _locked_account(session, tenant_id, account_id)
        if account.active != active:
            account.active = active
            action = "reactivate" if active else "deactivate"
            record_audit(session, tenant_id, actor, "account", account.id, action)
        return account


# --- the account page ------------------------------------------------------------------------


@dataclass
class AccountPage:
    account: Account
    manager: User | None
    represents: Tenant | None
    orders: list[tuple[Order, OrderStatus]]
    subscriptions: list[Subscription]
    invoices: list[Invoice]
    open_balance: Decimal
    available_credit: Decimal | None
    users: list[User]
    customers: list[Account]  # a standard reseller's end customers
    credit_history: list[CreditLimitChange]
    refunds_due: list = field(default_factory=list)  # billing.RefundDue: owed back


def get_account(session: Session, tenant_id: int, account_id: int) -> Account:
    account = session.scalar(
        select(Account)
        .where(Account.id == account_id, Account.tenant_id == tenant_id)
        .options(joinedload(Account.price_list), joinedload(Account.reseller))
    )
    if account is None:
        raise NotFound(texts.ACCOUNT_NOT_FOUND)
    return account


def account_page(session: Session, tenant_id: int, account_id: int, viewer=None) -> AccountPage:
    """Everything the account page shows. Open balance and available credit come from the
    functions the checkout decides with (billing.open_balance, rules.credit.available_credit),
    so the page and the next placement agree."""
    account = get_account(session, tenant_id, account_id)
    manager = session.get(User, account.manager_user_id) if account.manager_user_id else None
    represents = (
        session.get(Tenant, account.represents_tenant_id) if account.represents_tenant_id else None
    )
    orders = [
        (order, status)
        for order, status in session.execute(
            select(Order, OrderStatus)
            .join(OrderStatus, OrderStatus.id == Order.status_id)
            .where(
                Order.tenant_id == tenant_id,
                Order.account_id == account.id,
                Order.parent_order_id.is_(None),
                sharing.visible_or_all(viewer),
            )
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(RECENT)
        )
    ]
    subscriptions = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.tenant_id == tenant_id, Subscription.account_id == account.id)
            .options(joinedload(Subscription.product), joinedload(Subscription.plan))
            .order_by(Subscription.id.desc())
            .limit(RECENT)
        )
    )
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.tenant_id == tenant_id, Invoice.account_id == account.id)
            .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            .limit(RECENT)
        )
    )
    balance = billing.open_balance(session, tenant_id, account.id)
    users = list(
        session.scalars(
            select(User)
            .where(User.tenant_id == tenant_id, User.account_id == account.id)
            .order_by(User.name, User.id)
        )
    )
    customers = []
    if account.kind == AccountKind.STANDARD_RESELLER:
        customers = list(
            session.scalars(
                select(Account)
                .where(Account.tenant_id == tenant_id, Account.reseller_account_id == account.id)
                .order_by(Account.name, Account.id)
                .limit(PICKER_LIMIT)
            )
        )
    history = list(
        session.scalars(
            select(CreditLimitChange)
            .where(CreditLimitChange.account_id == account.id)
            .order_by(CreditLimitChange.at.desc(), CreditLimitChange.id.desc())
        )
    )
    return AccountPage(
        account=account,
        manager=manager,
        represents=represents,
        orders=orders,
        subscriptions=subscriptions,
        invoices=invoices,
        open_balance=balance,
        available_credit=credit_rules.available_credit(account.credit_limit, balance),
        users=users,
        customers=customers,
        credit_history=history,
        refunds_due=billing.refunds_due(session, tenant_id, account.id),
    )


def input_from_account(account: Account) -> dict:
    """The edit form's starting values."""
    return {
        "name": account.name,
        "kind": account.kind,
        "price_list_id": account.price_list_id,
        "payment_method": account.payment_method,
        "credit_limit": "" if account.credit_limit is None else str(account.credit_limit),
        "billing_name": account.billing_name or "",
        "billing_address": account.billing_address or "",
        "billing_email": account.email or "",
        "vat_number": account.vat_number or "",
        "country": account.country or "",
        "tax_exempt": bool(account.tax_exempt),
        "timezone": account.timezone,
        "manager_user_id": account.manager_user_id,
        "represents_tenant_id": account.represents_tenant_id,
        "reseller_account_id": account.reseller_account_id,
    }


# --- a standard reseller's customers, seen from the Storefront (read only) ------------------


@dataclass
class ResellerCustomers:
    page: AccountListPage
    pending: dict[int, int]  # account id -> orders waiting for the reseller's approval


def reseller_customers(
    session: Session,
    tenant_id: int,
    reseller_account_id: int,
    after: str | None = None,
    page_size: int = PAGE_SIZE,
) -> ResellerCustomers:
    """The reseller's customers by name (keyset pages, ``ix_account_reseller_account_id``)
    with how many of their orders wait for its approval: two queries a page."""
    page = list_accounts(
        session,
        tenant_id,
        AccountFilters(after=after, reseller_account_id=reseller_account_id),
        page_size,
    )
    ids = [row.id for row in page.rows]
    return ResellerCustomers(page, pending_counts(session, tenant_id, ids) if ids else {})
