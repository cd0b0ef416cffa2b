"""The sharing rules of back-orders as queries (issue 14 G): the condition every order list,
search and widget adds for the viewing BSS user, and the check of one order (order pages,
exports, print-outs, actions). Rule: core/rules/sharing.py."""

from __future__ import annotations

from sqlalchemy import Integer, and_, bindparam, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from core.enums import Role
from core.models import Order, User
from core.rules import sharing as rules


def viewer_of(user: User) -> rules.Viewer:
    return rules.Viewer(user.id, user.team_id, user.role == Role.ADMIN)


def visible_to(viewer: rules.Viewer | None):
    """A condition on ``Order`` keeping what ``viewer`` may see (None: no condition)."""
    if viewer is None or viewer.is_admin:
        return None
    return _visible(viewer.user_id, viewer.team_id, viewer.team_id is not None)


def visibility_shape(viewer: rules.Viewer | None) -> str | None:
    """What :func:`visible_to` builds for ``viewer``, for a statement built once per shape:
    None (no condition), ``"team"`` or ``"no_team"``; :func:`visible_to_bound` of that shape,
    executed with :func:`visibility_params`, keeps the same orders."""
    if viewer is None or viewer.is_admin:
        return None
    return "team" if viewer.team_id is not None else "no_team"


def visible_to_bound(shape: str | None):
    """:func:`visible_to` with the viewer as bound parameters (``viewer_user_id``,
    ``viewer_team_id``): a statement built once serves every viewer of the same shape."""
    if shape is None:
        return None
    team = bindparam("viewer_team_id", type_=Integer)
    return _visible(bindparam("viewer_user_id", type_=Integer), team, shape == "team")


def visibility_params(viewer: rules.Viewer | None) -> dict:
    if visibility_shape(viewer) is None:
        return {}
    return {"viewer_user_id": viewer.user_id, "viewer_team_id": viewer.team_id}


def _visible(user_id, team_id, has_team: bool):
    responsible = aliased(User)
    same_team = (
        select(responsible.id)
        .where(responsible.id == Order.responsible_user_id, responsible.team_id == team_id)
        .exists()
        if has_team
        else false()
    )
    return or_(
        Order.sharing_rule.is_(None),
        Order.sharing_rule == rules.EVERYONE,
        Order.responsible_user_id == user_id,
        and_(Order.sharing_rule == rules.TEAM, same_team),
    )


def visible_or_all(viewer: rules.Viewer | None):
    """:func:`visible_to`, or a condition that keeps every order."""
    condition = visible_to(viewer)
    return true() if condition is None else condition


def order_visible(session: Session, tenant_id: int, order_id: int, viewer: rules.Viewer) -> bool:
    """False when the order exists in the tenant but its sharing rule hides it from
    ``viewer`` (a missing order is left to the page, which answers 404 itself)."""
    if viewer.is_admin:
        return True
    row = session.execute(
        select(Order.sharing_rule, Order.responsible_user_id, User.team_id)
        .outerjoin(User, User.id == Order.responsible_user_id)
        .where(Order.id == order_id, Order.tenant_id == tenant_id)
    ).first()
    if row is None:
        return True
    return rules.may_see(row[0], row[1], row[2], viewer)
