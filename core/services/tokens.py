"""Signed, single-use, expiring links (issue 14): invitations, password resets, e-mail
changes.

A token carries the user id and a fingerprint of what the link is allowed to change (the
password hash and session version, plus the new address for an e-mail change), signed with
the application's secret (itsdangerous, with a salt per purpose) and dated. It is refused
once expired, and once used: using it changes the password hash or the session version, so
the fingerprint no longer matches. Nothing is stored for it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.models import User

INVITATION = "invitation"
PASSWORD_RESET = "password-reset"
EMAIL_CHANGE = "email-change"
MAX_AGE = {
    INVITATION: 7 * 24 * 3600,  # a week to accept an invitation
    PASSWORD_RESET: 3600,  # an hour to reset a password
    EMAIL_CHANGE: 24 * 3600,
}


class TokenInvalid(Exception):
    """The link is forged, expired, used already, or for another purpose."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    extra: str  # e.g. the new e-mail address of an e-mail change


def fingerprint(user: User, extra: str = "") -> str:
    raw = f"{user.id}|{user.password_hash}|{user.session_version}|{user.email}|{extra}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"cloudshop-{purpose}")


def make_token(secret: str, purpose: str, user: User, extra: str = "") -> str:
    return _serializer(secret, purpose).dumps([user.id, extra, fingerprint(user, extra)])


def read_token(secret: str, purpose: str, token: str) -> TokenClaims:
    """The claims of a well-signed, unexpired token (its fingerprint is checked by
    :func:`check_fingerprint` against the user it names)."""
    try:
        user_id, extra, print_ = _serializer(secret, purpose).loads(
            token or "", max_age=MAX_AGE[purpose]
        )
    except (SignatureExpired, BadSignature, ValueError, TypeError) as error:
        raise TokenInvalid() from error
    if not isinstance(user_id, int) or not isinstance(extra, str):
        raise TokenInvalid()
    return TokenClaims(user_id, extra + "\0" + str(print_))


def check_fingerprint(claims: TokenClaims, user: User | None) -> str:
    """The token's extra value when it still matches ``user``; else :class:`TokenInvalid`."""
    extra, _, print_ = claims.extra.partition("\0")
    if user is None or fingerprint(user, extra) != print_:
        raise TokenInvalid()
    return extra
