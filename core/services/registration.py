"""Storefront self-registration (issue 14 E), per tenant setting: off, or on with a BSS user's
approval of each new account before its first order.

The answer is the same whether the address is new or not: a new address gets its account and
a "received" e-mail; an address in use gets an e-mail saying someone tried (so nobody learns
from the page who is a customer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import AccountKind, PaymentMethod, UserKind
from core.models import Account, PriceList, Tenant, User
from core.rules import roles
from core.rules.accounts import NAME_MAX, check_tax_identity, is_email
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.notifications import notify
from core.services.passwords import check_password

OFF = "off"
APPROVAL = "approval"
SETTINGS = (OFF, APPROVAL)

Render = Callable[[str, dict], tuple[str, str]]


def is_open(tenant: Tenant) -> bool:
    return tenant.self_registration == APPROVAL


def register(
    session: Session,
    tenant_id: int,
    render: Render,
    hash_password: Callable[[str], str],
    *,
    company: str,
    name: str,
    email: str,
    password: str,
    confirm: str,
    country: str = "",
    vat_number: str = "",
    now: datetime | None = None,
) -> None:
    """A new account waiting for approval, with its admin user. ``country`` (required, ISO
    3166) and ``vat_number`` (optional) decide the VAT it is charged (core.rules.invoicing):
    without them an account paid the seller's own rate, wherever it was."""
    now = now or utcnow()
    company, name = (company or "").strip(), (name or "").strip()
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not company or len(company) > NAME_MAX:
        errors["company"] = [texts.ACCOUNT_NAME_REQUIRED]
    if not name or len(name) > NAME_MAX:
        errors["name"] = [texts.USER_NAME_REQUIRED]
    if not is_email(email):
        errors["email"] = [texts.ACCOUNT_EMAIL_INVALID]
    problems = check_password(password or "", email)
    if not problems and password != confirm:
        problems = [texts.PASSWORDS_DIFFER]
    if problems:
        errors["password"] = problems
    country, vat_number, tax_errors = check_tax_identity(country, vat_number)
    errors.update(tax_errors)
    if errors:
        raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
    with write_transaction(session):
        tenant = session.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        if tenant is None or not is_open(tenant):
            raise NotFound(texts.REGISTRATION_OFF)
        existing = session.scalar(
            select(User).where(
                User.tenant_id == tenant_id,
                User.kind == UserKind.STOREFRONT,
                User.email == email,
            )
        )
        context = {"tenant": tenant, "name": name, "company": company, "email": email}
        if existing is not None:
            subject, body = render("registration_exists", context)
            notify(session, tenant_id, "registration_exists", email, subject, body, now=now)
            return
        price_list = session.scalar(
            select(PriceList)
            .where(PriceList.tenant_id == tenant_id)
            .order_by(PriceList.is_default.desc(), PriceList.id)  # the default list, if any
            .limit(1)
        )
        account = Account(
            tenant_id=tenant_id,
            name=company,
            kind=AccountKind.END_CUSTOMER,
            email=email,
            billing_name=company,
            country=country,
            vat_number=vat_number,
            price_list_id=price_list.id if price_list else None,
            payment_method=PaymentMethod.CARD,
            registration_pending=True,
            created_at=now,
        )
        session.add(account)
        session.flush()
        user = User(
            tenant_id=tenant_id,
            kind=UserKind.STOREFRONT,
            role=roles.ACCOUNT_ADMIN,
            account_id=account.id,
            email=email,
            name=name,
            password_hash=hash_password(password),
            created_at=now,
        )
        session.add(user)
        session.flush()
        subject, body = render("registration_received", context)
        notify(session, tenant_id, "registration_received", email, subject, body, now=now)
        record_audit(session, tenant_id, user, "account", account.id, "self-registration")


def approve(
    session: Session,
    tenant_id: int,
    actor: User | None,
    account_id: int,
    render: Render,
    now: datetime | None = None,
) -> Account:
    """Let a self-registered account order; approving twice is approving once."""
    now = now or utcnow()
    with write_transaction(session):
        account = session.scalar(
            select(Account)
            .where(Account.id == account_id, Account.tenant_id == tenant_id)
            .with_for_update()
        )
        if account is None:
            raise NotFound(texts.ACCOUNT_NOT_FOUND)
        if not account.registration_pending:
            return account
        account.registration_pending = False
        tenant = session.get(Tenant, tenant_id)
        subject, body = render("registration_approved", {"tenant": tenant, "account": account})
        if account.email:
            notify(
                session, tenant_id, "registration_approved", account.email, subject, body, now=now
            )
        record_audit(session, tenant_id, actor, "account", account.id, "approve-registration")
        return account
