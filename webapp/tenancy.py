"""Which tenant's Storefront a request is for: by host name, else the configured default.

Tenants are looked up once per host and kept in the application's memory for a minute (no
route renames, moves or deletes a tenant), so most requests find theirs without a query.
``g.tenant`` holds a plain snapshot (id, name, slug, default price list), not an ORM object."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import abort, current_app, g, request
from sqlalchemy import select

from core.models import PriceList, Tenant
from webapp.extensions import db

TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TenantRef:
    id: int
    name: str
    slug: str
    default_price_list_id: int | None = None  # what visitors who are not signed in see
    timezone: str = "UTC"  # promotions are read on the tenant's day (issue 15)
    host: str | None = None  # the tenant's own host name: links sent out go there


# the tenant's default price list comes with the tenant, in the same query (issue 13)
_DEFAULT_PRICE_LIST = (
    select(PriceList.id)
    .where(PriceList.tenant_id == Tenant.id, PriceList.is_default.is_(True))
    .correlate(Tenant)
    .scalar_subquery()
)


def _lookup(host: str) -> TenantRef | None:
    columns = (
        Tenant.id,
        Tenant.name,
        Tenant.slug,
        _DEFAULT_PRICE_LIST,
        Tenant.timezone,
        Tenant.host,
    )
    row = db.session.execute(select(*columns).where(Tenant.host == host)).first()
    if row is None:
        default = current_app.config["DEFAULT_TENANT"]
        row = db.session.execute(select(*columns).where(Tenant.slug == default)).first()
    return TenantRef(*row) if row is not None else None


def resolve_tenant() -> None:
    host = request.host.split(":", 1)[0].lower()
    cache: dict = current_app.extensions.setdefault("cloudshop_tenants", {})
    now = time.monotonic()
    hit = cache.get(host)
    if hit is not None and hit[1] > now:
        g.tenant = hit[0]
        return
    tenant = _lookup(host)
    if tenant is None:
        abort(404)
    if len(cache) > 1000:  # many distinct Host headers: never let them grow the cache
        cache.clear()
    cache[host] = (tenant, now + TTL_SECONDS)
    g.tenant = tenant
