"""Creating tenants with their default setup (PRODUCT.md section 7)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import ApiOptions, OfferStatus, OrderStatus, Tenant
from core.rules.statuses import DEFAULT_OFFER_STATUSES, DEFAULT_ORDER_STATUSES


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
