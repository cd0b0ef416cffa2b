"""API keys (issue 18): created by BSS admins, shown once, stored hashed, revocable, with an
expiry and a scope; and the check of a key on every API call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import UserKind
from core.models import ApiKey, Tenant, User
from core.rules import api_keys as rules
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed

# last_used_at is written at most this often per key: a busy key does not write on every call
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 730


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # shown once


def bss_users(session: Session, tenant_id: int) -> list[User]:
    """The users a key may act as: the tenant's active BSS users."""
    return list(
        session.scalars(
            select(User)
            .where(User.tenant_id == tenant_id, User.kind == UserKind.BSS, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def list_keys(session: Session, tenant_id: int) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id)
            .options(joinedload(ApiKey.user))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def create_key(
    session: Session,
    tenant_id: int,
    actor: User,
    *,
    name: str | None,
    user_id: int | None,
    scope: str | None,
    expires_in_days: int | None,
    now: datetime | None = None,
) -> CreatedKey:
    """A new key acting as ``user_id`` (a BSS user of the tenant); ``expires_in_days`` None
    means it never expires."""
    now = now or utcnow()
    with write_transaction(session):
        errors: dict[str, list[str]] = {}
        name = (name or "").strip()
        if not name or len(name) > 120:
            errors["name"] = [texts.API_KEY_NAME_REQUIRED]
        user = (
            session.scalar(
                select(User).where(
                    User.id == user_id,
                    User.tenant_id == tenant_id,
                    User.kind == UserKind.BSS,
                    User.active.is_(True),
                )
            )
            if isinstance(user_id, int)
            else None
        )
        if user is None:
            errors["user_id"] = [texts.API_KEY_USER_INVALID]
        if scope not in rules.Scope.ALL:
            errors["scope"] = [texts.API_KEY_SCOPE_INVALID]
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            errors["expires_in_days"] = [texts.API_KEY_EXPIRY_INVALID]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        secret = rules.new_secret()
        key = ApiKey(
            tenant_id=tenant_id,
            user_id=user.id,
            name=name,
            prefix=secret.prefix,
            secret_hash=secret.secret_hash,
            scope=scope,
            created_by_user_id=actor.id,
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        session.add(key)
        session.flush()
        key.user = user
        record_audit(
            session,
            tenant_id,
            actor,
            "api_key",
            key.id,
            "create",
            {"name": name, "prefix": key.prefix, "user": user.email, "scope": scope},
        )
        return CreatedKey(key, secret.token)


def get_key(session: Session, tenant_id: int, key_id: int) -> ApiKey:
    """The tenant's key (one query)."""
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id))
    if key is None:
        raise NotFound(texts.API_KEY_NOT_FOUND)
    return key


def revoke_key(
    session: Session, tenant_id: int, actor: User, key_id: int, now: datetime | None = None
) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing."""
    now = now or utcnow()
    with write_transaction(session):
        key = session.scalar(
            select(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id)
            .with_for_update()
        )
        if key is None:
            raise NotFound(texts.API_KEY_NOT_FOUND)
        if key.revoked_at is None:
            key.revoked_at = now
            record_audit(session, tenant_id, actor, "api_key", key.id, "revoke", {"name": key.name})
        return key


@dataclass(frozen=True)
class Caller:
    """Who an API call acts as: the key's user, in the key's tenant, with the key's scope."""

    key_id: int
    prefix: str  # unique and random: names the key's rate-limit counter
    tenant_id: int
    scope: str
    user: User
    # the tenant's order-statuses token (Tenant.statuses_version), read with the key: the
    # API's lists take the statuses a process keeps while it matches (issue 19, tenth pass)
    statuses_version: int | None = None


class KeyRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # a rules.KeyRefusal value, or "unknown"


# built once: every API call runs it
_KEY_BY_PREFIX = (
    select(ApiKey, Tenant.statuses_version)
    .join(Tenant, Tenant.id == ApiKey.tenant_id)
    .options(joinedload(ApiKey.user))
)


def authenticate(session: Session, token: str, now: datetime | None = None) -> Caller:
    """The caller of a bearer token, or :class:`KeyRefused`. One query, plus one short write
    at most once a minute per key (its last-used time)."""
    now = now or utcnow()
    prefix = rules.prefix_of(token)
    found = (
        session.execute(_KEY_BY_PREFIX.where(ApiKey.prefix == prefix)).first() if prefix else None
    )
    key, statuses_version = found if found is not None else (None, None)
    if key is None or not rules.token_matches(token, key.secret_hash):
        raise KeyRefused("unknown")
    reason = rules.refusal(rules.KeyFacts(key.revoked_at, key.expires_at, key.user.active), now)
    if reason is not None or key.user.tenant_id != key.tenant_id:
        raise KeyRefused(reason or "unknown")
    caller = Caller(key.id, key.prefix, key.tenant_id, key.scope, key.user, statuses_version)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        with write_transaction(session):
            session.execute(
                ApiKey.__table__.update().where(ApiKey.id == key.id).values(last_used_at=now)
            )
    return caller
