"""Passwords (issue 14): a minimum length and no common password. Pure: the common list is
given by the caller (core.services.passwords loads the one zxcvbn ships)."""

from __future__ import annotations

from collections.abc import Container

from core import texts

MIN_LENGTH = 12
MAX_LENGTH = 1024


def password_problems(password: str, common: Container[str], email: str = "") -> list[str]:
    """Why ``password`` is refused (empty: accepted)."""
    if len(password) < MIN_LENGTH:
        return [texts.PASSWORD_TOO_SHORT.format(min=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [texts.PASSWORD_TOO_LONG.format(max=MAX_LENGTH)]
    lowered = password.lower()
    local = email.split("@", 1)[0].lower()
    if lowered in common:
        return [texts.PASSWORD_TOO_COMMON]
    if local and lowered.startswith(local) and len(local) >= 3:
        return [texts.PASSWORD_FROM_ADDRESS]
    return []
