"""Which tenant's Storefront a request is for: by host name, else the configured default."""

from __future__ import annotations

from flask import abort, current_app, g, request
from sqlalchemy import select

from core.models import Tenant
from webapp.extensions import db

_cache: dict[tuple[str, str], int] = {}


def resolve_tenant() -> None:
    host = request.host.split(":", 1)[0].lower()
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], host)
    tenant_id = _cache.get(key)
    tenant = db.session.get(Tenant, tenant_id) if tenant_id else None
    if tenant is None:
        tenant = db.session.scalar(select(Tenant).where(Tenant.host == host)) or db.session.scalar(
            select(Tenant).where(Tenant.slug == current_app.config["DEFAULT_TENANT"])
        )
        if tenant is None:
            abort(404)
        _cache[key] = tenant.id
    g.tenant = tenant
