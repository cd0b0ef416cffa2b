"""Helpers shared by the BSS order tests (no tests here): find demo rows by what they are."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Order, OrderItem, Product, Tenant, User


def tenant(session, slug="reseller") -> Tenant:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def order_with(session, code, slug="reseller", parent=False) -> Order:
    """The demo's (primary) order holding a product, e.g. the manual PRIV-CLOUD x5 order."""
    query = (
        select(Order)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(Product.code == code, Order.tenant_id == tenant(session, slug).id)
        .order_by(Order.id)
    )
    if not parent:
        query = query.where(Order.parent_order_id.is_(None))
    return session.scalars(query).first()


def manual_order(session) -> Order:
    return order_with(session, "PRIV-CLOUD")
