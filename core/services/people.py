"""People (issue 14): BSS users invited by e-mail, their roles and teams, deactivation; the
password a signed link sets (invitations, and password resets for the Storefront).

E-mails are written with ``notify`` in the use case's transaction; their subject and body come
from ``render(kind, context)`` (Jinja templates, given by the web layer) and their link from
``link_for(token)``, so this module stays free of Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import UserKind
from core.models import Team, Tenant, User
from core.rules import roles
from core.rules.accounts import is_email
from core.services import tokens
from core.services.audit import record_audit
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.notifications import notify
from core.services.passwords import check_password

# the password hash of a user who has not accepted an invitation yet: no password matches it
INVITED = "!invited"

Render = Callable[[str, dict], tuple[str, str]]
LinkFor = Callable[[str], str]


@dataclass(frozen=True)
class Mailer:
    """How a use case writes an e-mail with a signed link."""

    secret: str
    render: Render
    link_for: LinkFor


def is_invited(user: User) -> bool:
    return user.password_hash == INVITED


# --- teams -----------------------------------------------------------------------------------


def teams(session: Session, tenant_id: int) -> list[Team]:
    query = select(Team).where(Team.tenant_id == tenant_id).order_by(Team.name)
    return list(session.scalars(query))


def add_team(session: Session, tenant_id: int, actor: User | None, name: str) -> Team:
    """A new team; adding a name that exists returns that team (a double click adds one)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed(texts.TEAM_NAME_INVALID, {"name": [texts.TEAM_NAME_INVALID]})
    with write_transaction(session):
        session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())
        existing = session.scalar(
            select(Team).where(Team.tenant_id == tenant_id, Team.name == name)
        )
        if existing is not None:
            return existing
        team = Team(tenant_id=tenant_id, name=name)
        session.add(team)
        session.flush()
        record_audit(session, tenant_id, actor, "team", team.id, "create", {"name": name})
        return team


# --- BSS users -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BssUserRow:
    user: User
    team: Team | None

    @property
    def state(self) -> str:
        if not self.user.active:
            return texts.USER_STATE_INACTIVE
        return texts.USER_STATE_INVITED if is_invited(self.user) else texts.USER_STATE_ACTIVE


def bss_users(session: Session, tenant_id: int) -> list[BssUserRow]:
    rows = session.execute(
        select(User, Team)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.tenant_id == tenant_id, User.kind == UserKind.BSS)
        .order_by(User.name, User.id)
    )
    return [BssUserRow(u, t) for u, t in rows]


def get_bss_user(session: Session, tenant_id: int, user_id: int, lock: bool = False) -> User:
    query = select(User).where(
        User.id == user_id, User.tenant_id == tenant_id, User.kind == UserKind.BSS
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    user = session.scalar(query)
    if user is None:
        raise NotFound(texts.USER_NOT_FOUND)
    return user


def _check_person(
    session: Session, tenant_id: int, email: str, name: str, role: str, team_id: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not is_email(email):
        errors["email"] = [texts.ACCOUNT_EMAIL_INVALID]
    if not name or len(name) > 200:
        errors["name"] = [texts.USER_NAME_REQUIRED]
    if role not in roles.BSS_ROLES:
        errors["role"] = [texts.USER_ROLE_INVALID]
    if (
        team_id is not None
        and session.scalar(select(Team.id).where(Team.id == team_id, Team.tenant_id == tenant_id))
        is None
    ):
        errors["team_id"] = [texts.USER_TEAM_INVALID]
    return errors


def invite_bss_user(
    session: Session,
    tenant_id: int,
    actor: User | None,
    mailer: Mailer,
    *,
    email: str,
    name: str,
    role: str,
    team_id: int | None = None,
    now: datetime | None = None,
) -> User:
    """Create the BSS user without a password and e-mail them a link that sets it. Inviting an
    address still waiting for its first password sends a new link (the user is kept)."""
    now = now or utcnow()
    email, name = (email or "").strip().lower(), (name or "").strip()
    with write_transaction(session):
        errors = _check_person(session, tenant_id, email, name, role, team_id)
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        user = session.scalar(
            select(User)
            .where(User.tenant_id == tenant_id, User.kind == UserKind.BSS, User.email == email)
            .with_for_update()
        )
        if user is not None and not is_invited(user):
            raise ValidationFailed(texts.FORM_HAS_ERRORS, {"email": [texts.USER_ALREADY_EXISTS]})
        if user is None:
            user = User(
                tenant_id=tenant_id,
                kind=UserKind.BSS,
                email=email,
                password_hash=INVITED,
                active=True,
                created_at=now,
            )
            session.add(user)
        user.name, user.role, user.team_id = name, role, team_id
        session.flush()
        kind = "bss_invitation"
        _send_link(session, tenant_id, mailer, tokens.INVITATION, user, kind, actor, now)
        record_audit(session, tenant_id, actor, "user", user.id, "invite", {"role": role})
        return user


def _send_link(
    session: Session,
    tenant_id: int,
    mailer: Mailer,
    purpose: str,
    user: User,
    kind: str,
    actor: User | None,
    now: datetime,
    extra: str = "",
    recipient: str | None = None,
) -> None:
    token = tokens.make_token(mailer.secret, purpose, user, extra)
    tenant = session.get(Tenant, tenant_id)
    subject, body = mailer.render(
        kind,
        {
            "user": user,
            "tenant": tenant,
            "link": mailer.link_for(token),
            "inviter": actor,
            "hours": tokens.MAX_AGE[purpose] // 3600,
            "extra": extra,
        },
    )
    notify(session, tenant_id, kind, recipient or user.email, subject, body, now=now)


def _last_active_admin(session: Session, tenant_id: int, user: User) -> bool:
    others = session.scalar(
        select(func.count(User.id)).where(
            User.tenant_id == tenant_id,
            User.kind == UserKind.BSS,
            User.role == roles.ADMIN,
            User.active.is_(True),
            User.id != user.id,
        )
    )
    return user.role == roles.ADMIN and user.active and not others


def update_bss_user(
    session: Session,
    tenant_id: int,
    actor: User | None,
    user_id: int,
    *,
    name: str,
    role: str,
    team_id: int | None,
) -> User:
    name = (name or "").strip()
    with write_transaction(session):
        user = get_bss_user(session, tenant_id, user_id, lock=True)
        errors = _check_person(session, tenant_id, user.email, name, role, team_id)
        if role != roles.ADMIN and _last_active_admin(session, tenant_id, user):
            errors.setdefault("role", []).append(texts.USER_LAST_ADMIN)
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        changed = (user.name, user.role, user.team_id) != (name, role, team_id)
        if user.role != role:
            user.session_version = (user.session_version or 1) + 1  # new rights: sign in again
        user.name, user.role, user.team_id = name, role, team_id
        if changed:
            detail = {"role": role, "team_id": team_id}
            record_audit(session, tenant_id, actor, "user", user.id, "update", detail)
        return user


def set_bss_user_active(
    session: Session, tenant_id: int, actor: User | None, user_id: int, active: bool
) -> User:
    """Deactivate (their sessions end at once: the user loader refuses inactive users, and the
    session version moves on) or reactivate. Never yourself, never the last admin."""
    with write_transaction(session):
        user = get_bss_user(session, tenant_id, user_id, lock=True)
        if user.active == active:
            return user
        if not active and actor is not None and actor.id == user.id:
            raise Conflict(texts.USER_NOT_YOURSELF)
        if not active and _last_active_admin(session, tenant_id, user):
            raise Conflict(texts.USER_LAST_ADMIN)
        user.active = active
        user.session_version = (user.session_version or 1) + 1
        action = "reactivate" if active else "deactivate"
        record_audit(session, tenant_id, actor, "user", user.id, action)
        return user


# --- a password set from a signed link -------------------------------------------------------


def user_of_link(session: Session, secret: str, purpose: str, token: str) -> User:
    """The (active) user a valid link is for; :class:`tokens.TokenInvalid` otherwise."""
    claims = tokens.read_token(secret, purpose, token)
    user = session.get(User, claims.user_id)
    tokens.check_fingerprint(claims, user)
    if not user.active or (user.account is not None and not user.account.active):
        raise tokens.TokenInvalid()
    return user


def set_password_from_link(
    session: Session,
    secret: str,
    purpose: str,
    token: str,
    password: str,
    confirm: str,
    hash_password: Callable[[str], str],
) -> User:
    """Set the password the link allows once; the link (and every session) ends with it."""
    password, confirm = password or "", confirm or ""
    with write_transaction(session):
        claims = tokens.read_token(secret, purpose, token)
        user = session.scalar(
            select(User)
            .where(User.id == claims.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        tokens.check_fingerprint(claims, user)
        if not user.active or (user.account is not None and not user.account.active):
            raise tokens.TokenInvalid()
        problems = check_password(password, user.email)
        if not problems and password != confirm:
            problems = [texts.PASSWORDS_DIFFER]
        if problems:
            raise ValidationFailed(problems[0], {"password": problems})
        user.password_hash = hash_password(password)
        user.session_version = (user.session_version or 1) + 1
        record_audit(session, user.tenant_id, user, "user", user.id, f"password-{purpose}")
        return user
