"""Helpers of the public API tests: keys for demo users, and calls with them."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Account, Product, Tenant, User


def make_key(session, email: str, scope: str = "read_write", **kwargs) -> str:
    """A key acting as the BSS user ``email``, created by that user's tenant admin."""
    from core.services import api_keys

    user = session.scalar(select(User).where(User.email == email))
    created = api_keys.create_key(
        session,
        user.tenant_id,
        user,
        name=f"test key of {email}",
        user_id=user.id,
        scope=scope,
        expires_in_days=kwargs.get("expires_in_days", 30),
    )
    return created.token


def auth(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def tenant_id(session, slug: str = "reseller") -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def account_id(session, name: str, slug: str = "reseller") -> int:
    return session.scalar(
        select(Account.id).where(
            Account.name == name, Account.tenant_id == tenant_id(session, slug)
        )
    )


def product(session, code: str, slug: str = "reseller") -> Product:
    return session.scalar(
        select(Product).where(Product.code == code, Product.tenant_id == tenant_id(session, slug))
    )
