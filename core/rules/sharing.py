"""Sharing rules of orders the system creates (back-orders, issue 14 G; PRODUCT.md 6.6). Pure.

An order with no sharing rule (every order a user or a customer makes) is seen by every BSS
user who works on orders. A back-order gets the rule and the responsible user of Use of API
Options: *Everyone* (``public``), *Team* (the responsible user and the users of their team),
*Private* (the responsible user only). Admins see every order: they set the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIVATE = "private"
TEAM = "team"
EVERYONE = "public"


@dataclass(frozen=True)
class Viewer:
    user_id: int
    team_id: int | None
    is_admin: bool


def may_see(
    sharing_rule: str | None,
    responsible_user_id: int | None,
    responsible_team_id: int | None,
    viewer: Viewer,
) -> bool:
    if viewer.is_admin or sharing_rule in (None, EVERYONE):
        return True
    if responsible_user_id is not None and responsible_user_id == viewer.user_id:
        return True
    if sharing_rule == TEAM:
        return viewer.team_id is not None and responsible_team_id == viewer.team_id
    return False  # private (or an unknown rule): the responsible user only
