"""The common-password list: the 30,000 most common passwords that zxcvbn ships (its
``passwords`` frequency list, from real password leaks), kept in memory once."""

from __future__ import annotations

from functools import cache

from core.rules.passwords import password_problems


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def check_password(password: str, email: str = "") -> list[str]:
    return password_problems(password, common_passwords(), email)
