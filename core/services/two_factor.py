"""Two-factor sign-in (issue 14 F): TOTP (pyotp, RFC 6238, 30-second steps, one step of clock
drift either way) with recovery codes. A code is accepted once: the last accepted time step is
kept, so a code seen by someone else cannot be replayed; a recovery code is used up."""

from __future__ import annotations

import json
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.models import User
from core.rules import two_factor as rules
from core.services.audit import record_audit
from core.services.errors import Conflict, NotFound, ValidationFailed

ISSUER = "Cloudshop"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, tenant_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=f"{ISSUER} {tenant_name}")


def _step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        step = _step(now) + drift
        if totp.at(step * 30) == code:
            return step
    return None


def _locked_user(session: Session, user_id: int) -> User:
    user = session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound(texts.USER_NOT_FOUND)
    return user


def enroll(
    session: Session, user_id: int, secret: str, code: str, now: datetime | None = None
) -> list[str]:
    """Turn two-factor sign-in on with ``secret`` once ``code`` proves the app has it; the
    recovery codes are returned once (only their hashes are kept)."""
    now = now or utcnow()
    with write_transaction(session):
        user = _locked_user(session, user_id)
        step = _matching_step(secret, code, now)
        if step is None:
            raise ValidationFailed(texts.TOTP_CODE_WRONG, {"code": [texts.TOTP_CODE_WRONG]})
        codes = rules.new_recovery_codes()
        user.totp_secret = secret
        user.totp_last_step = step
        user.recovery_codes = json.dumps([rules.hash_recovery_code(c) for c in codes])
        record_audit(session, user.tenant_id, user, "user", user.id, "two-factor-on")
        return codes


def check_second_factor(
    session: Session, user_id: int, code: str, now: datetime | None = None
) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then used up)."""
    now = now or utcnow()
    with write_transaction(session):
        user = _locked_user(session, user_id)
        return _accept_code(session, user, code, now)


def _accept_code(session: Session, user: User, code: str, now: datetime) -> bool:
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # replayed
        user.totp_last_step = step
        return True
    hashes = json.loads(user.recovery_codes or "[]")
    hashed = rules.hash_recovery_code(code or "")
    if hashed in hashes:
        hashes.remove(hashed)
        user.recovery_codes = json.dumps(hashes)
        record_audit(session, user.tenant_id, user, "user", user.id, "recovery-code-used")
        return True
    return False


def turn_off(
    session: Session, user_id: int, code: str, policy: str, now: datetime | None = None
) -> None:
    """The user turns its own two-factor sign-in off, proving it with a current code or a
    recovery code; not where its tenant's ``policy`` requires it of the user. Nothing to do
    when it is off already (a second click)."""
    now = now or utcnow()
    with write_transaction(session):
        user = _locked_user(session, user_id)
        if not user.totp_secret:
            return
        if rules.required(policy, user.kind, user.role):
            raise Conflict(texts.TOTP_REQUIRED_CANNOT_TURN_OFF)
        if not _accept_code(session, user, code, now):
            raise ValidationFailed(texts.TOTP_CODE_WRONG, {"off_code": [texts.TOTP_CODE_WRONG]})
        user.totp_secret = None
        user.totp_last_step = None
        user.recovery_codes = None
        record_audit(session, user.tenant_id, user, "user", user.id, "two-factor-off")


def must_enroll(user: User, policy: str) -> bool:
    return rules.required(policy, user.kind, user.role) and not user.totp_secret


def reset(session: Session, tenant_id: int, actor: User | None, user_id: int) -> User:
    """An admin turns a user's two-factor sign-in off (a lost phone and lost codes); the user
    signs in again, and sets it up again where the tenant requires it."""
    with write_transaction(session):
        user = session.scalar(
            select(User)
            .where(User.id == user_id, User.tenant_id == tenant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if user is None:
            raise NotFound(texts.USER_NOT_FOUND)
        if user.totp_secret:
            user.totp_secret = None
            user.totp_last_step = None
            user.recovery_codes = None
            user.session_version = (user.session_version or 1) + 1
            record_audit(session, tenant_id, actor, "user", user.id, "two-factor-reset")
        return user
