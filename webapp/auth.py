"""Sign-in wiring: Flask-Login user loading with session versions, role checks, passwords."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import writes_begun
from core.models import Basket, BasketItem, Role, User, UserKind
from core.rules import roles as role_rules
from webapp.extensions import db, login_manager
from webapp.web import request_memo


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user: User | None, password: str) -> bool:
    if user is None:
        # same work as a real check, so timing does not reveal unknown addresses
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash("not-a-password", method=method)
    return _DUMMY[method]


class LoginUser:
    """What Flask-Login keeps: the user row, with an id that carries its session version."""

    def __init__(self, user: User):
        self.user = user

    is_active = property(lambda self: self.user.active)
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    def __getattr__(self, name):
        return getattr(self.user, name)


# the Storefront header's basket counter, read with the user (issue 19: one statement less
# on every signed-in Storefront page); a BSS user has no basket (0, through a unique index)
_BASKET_COUNT = (
    select(func.count(BasketItem.id))
    .join(Basket, Basket.id == BasketItem.basket_id)
    .where(Basket.user_id == User.id)
    .correlate(User)
    .scalar_subquery()
)
# every signed-in request runs it: built once; the customer's account and the user's tenant
# (the BSS header shows its name) come with the user, in the same query
_USER_BY_ID = (
    select(User, _BASKET_COUNT)
    .where(User.id == bindparam("id"))
    .options(joinedload(User.account), joinedload(User.tenant))
)


@login_manager.user_loader
def load_user(user_id: str):
    try:
        raw_id, version = user_id.split(":", 1)
        row = db.session.execute(_USER_BY_ID, {"id": int(raw_id)}).first()
    except (ValueError, TypeError, OverflowError):
        return None
    user = row[0] if row is not None else None
    if user is None or not may_sign_in(user) or str(user.session_version) != version:
        return None
    # valid until this request begins a write transaction (which may change the basket)
    request_memo()["basket_count_loaded"] = (row[1] or 0, writes_begun())
    return LoginUser(user)


def may_sign_in(user: User) -> bool:
    """An active user; a Storefront user also needs an active account (issue 14: deactivating
    an account ends its users' sessions at once, since every request loads the user here)."""
    return user.active and (user.account is None or user.account.active)


def signed_in_user() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def bss_required(*roles: str):
    """Only BSS users of the tenant with one of ``roles`` reach the view; without ``roles``,
    the roles that work on orders (admin, operator: core.rules.roles, issue 14)."""
    roles = roles or role_rules.roles_with(role_rules.ORDERS)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.kind != UserKind.BSS:
                abort(403)
            if roles and current_user.role not in roles:
                abort(403)
            g.tenant_id = current_user.tenant_id
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = bss_required(Role.ADMIN)


def customer_required(view):
    """Only Storefront users of an account of this Storefront's tenant."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.kind != UserKind.STOREFRONT or current_user.tenant_id != g.tenant.id:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
