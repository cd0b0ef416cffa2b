"""Creating tenants with their default setup (PRODUCT.md section 7)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import Role, UserKind
from core.models import ApiOptions, OfferStatus, OrderStatus, Tenant, User
from core.rules.accounts import is_email
from core.rules.statuses import DEFAULT_OFFER_STATUSES, DEFAULT_ORDER_STATUSES
from core.services.audit import record_audit
from core.services.errors import ValidationFailed


def create_tenant(
    session: Session,
    *,
    name: str,
    slug: str,
    host: str | None = None,
    parent: Tenant | None = None,
    currency: str = "EUR",
    timezone: str = "UTC",
) -> Tenant:
    """A new tenant with the mandatory default order statuses and the default offer statuses."""
    tenant = Tenant(
        name=name,
        slug=slug,
        host=host,
        parent_id=parent.id if parent else None,
        currency=currency,
        timezone=timezone,
    )
    session.add(tenant)
    session.flush()
    for key, number, description, type_, sf_type, color in DEFAULT_ORDER_STATUSES:
        session.add(
            OrderStatus(
                tenant_id=tenant.id,
                number=number,
                description=description,
                type=type_,
                storefront_type=sf_type,
                color=color,
                active=True,
                mandatory_key=key,
            )
        )
    for key, number, description, type_, color in DEFAULT_OFFER_STATUSES:
        session.add(
            OfferStatus(
                tenant_id=tenant.id,
                number=number,
                description=description,
                type=type_,
                color=color,
                active=True,
                default_key=key,
            )
        )
    session.add(ApiOptions(tenant_id=tenant.id, entity="order", sharing_rule="private"))
    session.flush()
    return tenant


# --- catalogue back office gaps (issue 15): a provider's first tenant and admin ---------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,59}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,255}(:[0-9]{1,5})?")


def open_tenant(
    session: Session,
    *,
    name: str,
    slug: str,
    host: str,
    admin_email: str,
    admin_name: str,
    password_hash: str | None = None,
    parent_slug: str | None = None,
    currency: str = "EUR",
    timezone: str = "UTC",
) -> tuple[Tenant, User]:
    """A new, empty tenant (its default statuses, no catalogue) with its first BSS admin, in one
    transaction. Without ``password_hash`` the admin is created waiting for an invitation
    (:data:`core.services.people.INVITED`): the caller hands over a set-password link."""
    from core.services.people import INVITED, bss_address_in_use

    name, slug, host = name.strip(), slug.strip(), host.strip().lower()
    admin_email, admin_name = admin_email.strip().lower(), admin_name.strip()
    with write_transaction(session):
        errors: dict[str, list[str]] = {}
        if not name or len(name) > 200:
            errors["name"] = [texts.TENANT_NAME_REQUIRED]
        if not _SLUG.fullmatch(slug):
            errors["slug"] = [texts.TENANT_SLUG_INVALID]
        elif session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
            errors["slug"] = [texts.TENANT_SLUG_TAKEN]
        if not _HOST.fullmatch(host):
            errors["host"] = [texts.TENANT_HOST_INVALID]
        elif session.scalar(select(Tenant.id).where(Tenant.host == host)) is not None:
            errors["host"] = [texts.TENANT_HOST_TAKEN]
        if not is_email(admin_email):
            errors["admin_email"] = [texts.ACCOUNT_EMAIL_INVALID]
        elif bss_address_in_use(session, admin_email):
            errors["admin_email"] = [texts.BSS_EMAIL_IN_USE]
        if not admin_name or len(admin_name) > 200:
            errors["admin_name"] = [texts.USER_NAME_REQUIRED]
        parent = None
        if parent_slug:
            parent = session.scalar(select(Tenant).where(Tenant.slug == parent_slug.strip()))
            if parent is None:
                errors["parent"] = [texts.TENANT_PARENT_UNKNOWN]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        tenant = create_tenant(
            session,
            name=name,
            slug=slug,
            host=host,
            parent=parent,
            currency=currency,
            timezone=timezone,
        )
        admin = User(
            tenant_id=tenant.id,
            kind=UserKind.BSS,
            role=Role.ADMIN,
            email=admin_email,
            name=admin_name,
            password_hash=password_hash or INVITED,
            active=True,
            created_at=utcnow(),
        )
        session.add(admin)
        try:
            session.flush()
        except IntegrityError:  # another tenant took this address at this very moment
            errors = {"admin_email": [texts.BSS_EMAIL_IN_USE]}
            raise ValidationFailed(texts.BSS_EMAIL_IN_USE, errors) from None
        record_audit(
            session, tenant.id, None, "tenant", tenant.id, "create", {"admin": admin_email}
        )
        return tenant, admin
