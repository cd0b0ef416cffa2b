"""API keys (issue 18): how a key looks, how it is checked, what its scope allows.

A key reads ``csk_<prefix>_<secret>``: the prefix (8 hex characters) is shown in the BSS to
recognise a key and finds its row; the secret (32 random bytes, URL-safe) is never stored, only
its SHA-256. A salted slow hash (as for passwords) is not needed: the secret has 256 bits of
entropy, so no dictionary or brute force applies, and a fast hash keeps every call cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

TOKEN_PREFIX = "csk_"


class Scope:
    READ = "read"
    READ_WRITE = "read_write"
    ALL = (READ, READ_WRITE)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class NewSecret:
    prefix: str
    token: str  # what the caller sends; shown once
    secret_hash: str


def new_secret() -> NewSecret:
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewSecret(prefix, token, hash_token(token))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefix_of(token: str) -> str | None:
    """The visible prefix of a well-formed token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 8 or not secret:
        return None
    return prefix


def token_matches(token: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), secret_hash)


class KeyRefusal:
    """Why a well-formed key is not accepted (each is a stable problem type in the API)."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    USER_INACTIVE = "user-inactive"


@dataclass(frozen=True)
class KeyFacts:
    revoked_at: datetime | None
    expires_at: datetime | None
    user_active: bool


def refusal(facts: KeyFacts, now: datetime) -> str | None:
    """None when the key may be used now."""
    if facts.revoked_at is not None:
        return KeyRefusal.REVOKED
    if facts.expires_at is not None and facts.expires_at <= now:
        return KeyRefusal.EXPIRED
    if not facts.user_active:
        return KeyRefusal.USER_INACTIVE
    return None


def scope_allows(scope: str, method: str) -> bool:
    """A read key only reads; a read-write key may call every operation."""
    return method.upper() in SAFE_METHODS or scope == Scope.READ_WRITE
