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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import UserKind
from core.models import Account, Team, Tenant, User
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


def bss_address_in_use(session: Session, email: str, except_user_id: int | None = None) -> bool:
    """Whether a BSS user of any tenant, invited or not, has this (lower-case) address. The
    BSS sign-in finds its user by the address alone, so two BSS users never share one."""
    query = select(User.id).where(User.kind == UserKind.BSS, User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return session.scalar(query.limit(1)) is not None


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
        if user is None and bss_address_in_use(session, email):
            raise ValidationFailed(texts.FORM_HAS_ERRORS, {"email": [texts.BSS_EMAIL_IN_USE]})
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
        try:
            session.flush()
        except IntegrityError:  # another tenant invited this address at this very moment
            raise ValidationFailed(
                texts.FORM_HAS_ERRORS, {"email": [texts.BSS_EMAIL_IN_USE]}
            ) from None
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
    """Whether ``user`` is the tenant's last admin who can sign in. An admin still invited
    (no password yet) does not count: the invitation may never be accepted."""
    if user.role != roles.ADMIN or not user.active or is_invited(user):
        return False
    others = session.scalar(
        select(func.count(User.id)).where(
            User.tenant_id == tenant_id,
            User.kind == UserKind.BSS,
            User.role == roles.ADMIN,
            User.active.is_(True),
            User.password_hash != INVITED,
            User.id != user.id,
        )
    )
    return not others


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


@dataclass(frozen=True)
class LinkScope:
    """Where a link may be used: BSS links on the BSS, a Storefront's on its own host."""

    kind: str
    tenant_id: int | None = None  # the Storefront's tenant; None on the BSS

    def allows(self, user: User | None) -> bool:
        return (
            user is not None
            and user.kind == self.kind
            and (self.tenant_id is None or user.tenant_id == self.tenant_id)
            and user.active
            and (user.account is None or user.account.active)
        )


def user_of_link(session: Session, secret: str, purpose: str, token: str, scope: LinkScope) -> User:
    """The (active) user a valid link is for; :class:`tokens.TokenInvalid` otherwise."""
    claims = tokens.read_token(secret, purpose, token)
    user = session.get(User, claims.user_id)
    tokens.check_fingerprint(claims, user)
    if not scope.allows(user):
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
    scope: LinkScope,
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
        if not scope.allows(user):
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


# --- Storefront users: invited for an account, password reset ---------------------------------


def account_users(session: Session, tenant_id: int, account_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.tenant_id == tenant_id,
                User.kind == UserKind.STOREFRONT,
                User.account_id == account_id,
            )
            .order_by(User.name, User.id)
        )
    )


def invite_storefront_user(
    session: Session,
    tenant_id: int,
    actor: User | None,
    mailer: Mailer,
    *,
    account_id: int,
    email: str,
    name: str,
    role: str,
    now: datetime | None = None,
) -> User | None:
    """A user of ``account_id`` without a password, e-mailed a link to the Storefront that
    sets it (by the BSS, or by the account's own admin user). Inviting an address still
    waiting sends a new link; an address in use in this Storefront is refused.

    The account's own admin (a Storefront ``actor``) is not told that an address belongs to
    another account's user (registration and password reset never tell either): nothing is
    sent, the attempt is audited, and None is returned, which the caller answers as a sent
    invitation. An address of a user of their own account is refused: they see those users."""
    now = now or utcnow()
    email, name = (email or "").strip().lower(), (name or "").strip()
    with write_transaction(session):
        account = session.scalar(
            select(Account)
            .where(Account.id == account_id, Account.tenant_id == tenant_id)
            .with_for_update()
        )
        if account is None:
            raise NotFound(texts.ACCOUNT_NOT_FOUND)
        errors: dict[str, list[str]] = {}
        if not is_email(email):
            errors["email"] = [texts.ACCOUNT_EMAIL_INVALID]
        if not name or len(name) > 200:
            errors["name"] = [texts.USER_NAME_REQUIRED]
        if role not in roles.STOREFRONT_ROLES:
            errors["role"] = [texts.USER_ROLE_INVALID]
        user = session.scalar(
            select(User).where(
                User.tenant_id == tenant_id,
                User.kind == UserKind.STOREFRONT,
                User.email == email,
            )
        )
        elsewhere = user is not None and user.account_id != account_id
        quiet = elsewhere and actor is not None and actor.kind == UserKind.STOREFRONT
        if user is not None and not quiet and (elsewhere or not is_invited(user)):
            errors.setdefault("email", []).append(texts.USER_ALREADY_EXISTS)
        if not account.active:
            errors.setdefault("email", []).append(texts.ACCOUNT_INACTIVE_NO_INVITE)
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        if quiet:  # another account's user: nothing sent, nothing said (see above)
            record_audit(
                session,
                tenant_id,
                actor,
                "account",
                account_id,
                "invite_address_in_use",
                {"user_id": user.id},
            )
            return None
        if user is None:
            user = User(
                tenant_id=tenant_id,
                kind=UserKind.STOREFRONT,
                account_id=account_id,
                email=email,
                password_hash=INVITED,
                active=True,
                created_at=now,
            )
            session.add(user)
        user.name, user.role = name, role
        session.flush()
        kind = "storefront_invitation"
        _send_link(session, tenant_id, mailer, tokens.INVITATION, user, kind, actor, now)
        record_audit(session, tenant_id, actor, "user", user.id, "invite", {"role": role})
        return user


def request_password_reset(
    session: Session, tenant_id: int, email: str, mailer: Mailer, now: datetime | None = None
) -> None:
    """E-mail a reset link to the Storefront user with this address, if there is one that
    may sign in. The caller answers the same whatever happened here."""
    now = now or utcnow()
    email = (email or "").strip().lower()
    if not is_email(email):
        return
    with write_transaction(session):
        user = session.scalar(
            select(User).where(
                User.tenant_id == tenant_id,
                User.kind == UserKind.STOREFRONT,
                User.email == email,
            )
        )
        scope = LinkScope(UserKind.STOREFRONT, tenant_id)
        if user is None or not scope.allows(user) or is_invited(user):
            return
        _send_link(
            session, tenant_id, mailer, tokens.PASSWORD_RESET, user, "password_reset", None, now
        )


# --- a signed-in user changes their password or e-mail address ------------------------------


def change_password(
    session: Session,
    user_id: int,
    current: str,
    new: str,
    confirm: str,
    verify: Callable[[User, str], bool],
    hash_password: Callable[[str], str],
) -> User:
    """A new password, given the current one; every other session of the user ends."""
    with write_transaction(session):
        user = session.scalar(
            select(User)
            .where(User.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if user is None:
            raise NotFound(texts.USER_NOT_FOUND)
        if not verify(user, current or ""):
            raise ValidationFailed(
                texts.CURRENT_PASSWORD_WRONG, {"current": [texts.CURRENT_PASSWORD_WRONG]}
            )
        problems = check_password(new or "", user.email)
        if not problems and new != confirm:
            problems = [texts.PASSWORDS_DIFFER]
        if problems:
            raise ValidationFailed(problems[0], {"password": problems})
        user.password_hash = hash_password(new)
        user.session_version = (user.session_version or 1) + 1
        record_audit(session, user.tenant_id, user, "user", user.id, "password-change")
        return user


def request_email_change(
    session: Session,
    user_id: int,
    new_email: str,
    current_password: str,
    verify: Callable[[User, str], bool],
    mailer: Mailer,
    now: datetime | None = None,
) -> User:
    """E-mail a confirmation link to the new address (the address changes only when it is
    followed) and tell the current address that a change was asked for."""
    now = now or utcnow()
    new_email = (new_email or "").strip().lower()
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(texts.USER_NOT_FOUND)
        errors: dict[str, list[str]] = {}
        if not verify(user, current_password or ""):
            errors["current"] = [texts.CURRENT_PASSWORD_WRONG]
        if not is_email(new_email):
            errors["email"] = [texts.ACCOUNT_EMAIL_INVALID]
        elif new_email == user.email or _email_taken(session, user, new_email):
            errors["email"] = [texts.EMAIL_TAKEN]
        if errors:
            raise ValidationFailed(texts.FORM_HAS_ERRORS, errors)
        _send_link(
            session,
            user.tenant_id,
            mailer,
            tokens.EMAIL_CHANGE,
            user,
            "email_change",
            None,
            now,
            extra=new_email,
            recipient=new_email,
        )
        subject, body = mailer.render(
            "email_change_notice",
            {"user": user, "tenant": session.get(Tenant, user.tenant_id), "extra": new_email},
        )
        notify(session, user.tenant_id, "email_change_notice", user.email, subject, body, now=now)
        return user


def _email_taken(session: Session, user: User, email: str) -> bool:
    if user.kind == UserKind.BSS:
        return bss_address_in_use(session, email, except_user_id=user.id)
    return (
        session.scalar(
            select(User.id).where(
                User.tenant_id == user.tenant_id, User.kind == user.kind, User.email == email
            )
        )
        is not None
    )


def _email_change_target(session: Session, claims: tokens.TokenClaims, scope: LinkScope):
    """(user, new address, already done) of a signed e-mail change link."""
    user = session.get(User, claims.user_id)
    if user is None or not scope.allows(user):
        raise tokens.TokenInvalid()
    new_email, _, _print = claims.extra.partition("\0")
    if user.email == new_email:
        return user, new_email, True  # followed already: a retry or a double click
    tokens.check_fingerprint(claims, user)
    return user, new_email, False


def email_change_of_link(
    session: Session, secret: str, token: str, scope: LinkScope
) -> tuple[User, str]:
    """The user and new address of a valid e-mail change link (nothing changes)."""
    claims = tokens.read_token(secret, tokens.EMAIL_CHANGE, token)
    user, new_email, _done = _email_change_target(session, claims, scope)
    return user, new_email


def confirm_email_change(session: Session, secret: str, token: str, scope: LinkScope) -> User:
    """Confirm the change the link sent to the new address asks for; a second confirmation
    changes nothing more."""
    with write_transaction(session):
        claims = tokens.read_token(secret, tokens.EMAIL_CHANGE, token)
        session.execute(select(User.id).where(User.id == claims.user_id).with_for_update())
        user, new_email, done = _email_change_target(session, claims, scope)
        if done:
            return user
        if _email_taken(session, user, new_email):
            raise Conflict(texts.EMAIL_TAKEN)
        old = user.email
        user.email = new_email
        detail = {"from": old, "to": new_email}
        record_audit(session, user.tenant_id, user, "user", user.id, "email-change", detail)
        return user
