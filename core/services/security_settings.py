"""Setup > Security (issue 14): who must use two-factor sign-in, and whether the Storefront
takes self-registrations. Both are checked before either is saved: one transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import write_transaction
from core.models import Tenant, User
from core.rules import two_factor
from core.services import registration
from core.services.audit import record_audit
from core.services.errors import ValidationFailed


def save(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    two_factor_required: str,
    self_registration: str,
) -> Tenant:
    errors: dict[str, list[str]] = {}
    if two_factor_required not in two_factor.POLICIES:
        errors["policy"] = [texts.TWO_FACTOR_POLICY_INVALID]
    if self_registration not in registration.SETTINGS:
        errors["self_registration"] = [texts.TWO_FACTOR_POLICY_INVALID]
    if errors:
        raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
    with write_transaction(session):
        tenant = session.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        values = {
            "two_factor_required": two_factor_required,
            "self_registration": self_registration,
        }
        if any(getattr(tenant, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(tenant, key, value)
            record_audit(session, tenant_id, actor, "tenant", tenant_id, "security", values)
        return tenant
