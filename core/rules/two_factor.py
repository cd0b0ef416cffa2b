"""Two-factor sign-in (issue 14 F): who must use it, and recovery codes. Pure.

A tenant requires it of nobody (``off``), of its BSS admins (``admins``) or of every BSS user
(``all``). Storefront users may turn it on for themselves (not required of them).
"""

from __future__ import annotations

import hashlib
import secrets

from core.enums import Role, UserKind

OFF = "off"
ADMINS = "admins"
ALL = "all"
POLICIES = (OFF, ADMINS, ALL)
POLICY_LABELS = {
    OFF: "Not required",
    ADMINS: "Required for BSS admins",
    ALL: "Required for every BSS user",
}
RECOVERY_CODES = 10


def required(policy: str, kind: str, role: str) -> bool:
    if kind != UserKind.BSS:
        return False
    if policy == ALL:
        return True
    return policy == ADMINS and role == Role.ADMIN


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes such as ``7f3a-9c21-e04b``: 48 random bits each, shown once."""
    return ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(count)]


def hash_recovery_code(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()
