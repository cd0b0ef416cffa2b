"""Sign-in wiring: Flask-Login user loading with session versions, role checks, passwords."""

from __future__ import annotations

from functools import cached_property, wraps

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import writes_begun
from core.models import Account, Basket, BasketItem, Role, Tenant, User, UserKind
from core.rules import roles as role_rules
from core.services.statuses import StatusBook
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


def _columns(model) -> list[object]:
    """Every column a model maps (its attributes are named as its columns)."""
    return [attr.columns[0] for attr in sa_inspect(model).column_attrs]


def _keys(model) -> tuple[str, ...]:
    return tuple(attr.key for attr in sa_inspect(model).column_attrs)


_USER_COLUMNS = _columns(User)
_ACCOUNT_COLUMNS = _columns(Account)
_TENANT_COLUMNS = _columns(Tenant)
_USER_KEYS, _ACCOUNT_KEYS, _TENANT_KEYS = _keys(User), _keys(Account), _keys(Tenant)
_ACCOUNT_AT = len(_USER_COLUMNS)
_TENANT_AT = _ACCOUNT_AT + len(_ACCOUNT_COLUMNS)


def _signed_in_by_id(user_columns, account_columns, tenant_columns):
    """The signed-in user's row: these columns of the user, its account (None for a BSS
    user) and its tenant, then the basket counter; the user's id bound as ``id``."""
    return (
        select(*user_columns, *account_columns, *tenant_columns, _BASKET_COUNT)
        .select_from(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .outerjoin(Account, Account.id == User.account_id)
        .where(User.id == bindparam("id"))
    )


# every signed-in request runs it, built once: the user, the customer's account and the
# user's tenant (the BSS header shows its name), and the basket counter, as one row of plain
# columns (issue 19, fifth pass): the ORM's joined loads cost twice the statement's own CPU
_USER_BY_ID = _signed_in_by_id(_USER_COLUMNS, _ACCOUNT_COLUMNS, _TENANT_COLUMNS)


def _entity(session, model, keys, values):
    """The ORM entity of ``values`` (a row's columns, in ``keys`` order) in ``session``, as
    a query would have loaded it: persistent, in the identity map, no attribute changed (the
    one already there if the session has it). No statement."""
    key = session.identity_key(model, values[0])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    # the instance as the ORM's loading builds it (no constructor: no attribute events)
    entity = manager_of_class(model).new_instance()
    entity.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(entity)  # as loaded: no pending change, nothing expired
    session.add(entity)
    return entity


def _user_of_row(session, row) -> User:
    """The user of a ``_USER_BY_ID`` row with its account and tenant, in the session's
    identity map as the joined loads put them (``user.account``, ``user.tenant`` and
    ``session.get`` of either find them without a statement)."""
    tenant = _entity(session, Tenant, _TENANT_KEYS, row[_TENANT_AT:-1])
    account = None
    if row[_ACCOUNT_AT] is not None:
        account = _entity(session, Account, _ACCOUNT_KEYS, row[_ACCOUNT_AT:_TENANT_AT])
    user = _entity(session, User, _USER_KEYS, row[:_ACCOUNT_AT])
    # the relationships as the joined loads set them (committed: no change to flush)
    set_committed_value(user, "tenant", tenant)
    set_committed_value(user, "account", account)
    return user


# --- the lean load (issue 19, fifth pass) ----------------------------------------------------
# A view marked with :func:`lean_user` reads only the columns below of the signed-in user, its
# account and its tenant: they come as one row of ~20 columns, and no ORM entity is built
# (psycopg describes every column a statement returns, and building the three entities costs
# as much again). ``current_user.user`` (the ORM user), or any other attribute, still works
# there: it loads the user as every other view does, with one statement more.
_LEAN_USER = ("id", "tenant_id", "kind", "role", "account_id", "email", "name", "active")
_LEAN_USER += ("session_version", "timezone", "date_format", "team_id")
# the BSS hooks every BSS request runs (bss_admin/people): the sharing rule's viewer (id, team,
# role) and the two-factor check (kind, role, the TOTP secret set or not)
_LEAN_USER += ("totp_secret",)
_LEAN_ACCOUNT = ("id", "kind", "active", "price_list_id", "credit_limit", "payment_method")
_LEAN_TENANT = ("id", "name", "currency", "two_factor_required", "statuses_version")
_SIGNED_IN_BY_ID = _signed_in_by_id(
    [User.__table__.c[n] for n in _LEAN_USER],
    [Account.__table__.c[n] for n in _LEAN_ACCOUNT],
    [Tenant.__table__.c[n] for n in _LEAN_TENANT],
)
_LEAN_ACCOUNT_AT = len(_LEAN_USER)
_LEAN_TENANT_AT = _LEAN_ACCOUNT_AT + len(_LEAN_ACCOUNT)


def lean_user(view):
    """Mark a view that reads only the signed-in user's columns of ``_LEAN_USER`` (and
    ``current_user.account`` / ``.tenant``'s of ``_LEAN_ACCOUNT`` / ``_LEAN_TENANT``): its
    request loads the user as one plain row. The mark survives ``functools.wraps``."""
    view.lean_user = True
    return view


def _lean_request() -> bool:
    if not has_request_context() or request.endpoint is None:
        return False
    return getattr(current_app.view_functions.get(request.endpoint), "lean_user", False)


class _Columns:
    """Some columns of the signed-in user's account or tenant, as attributes; any other
    attribute is the ORM entity's (loaded then)."""

    def __init__(self, names, values, entity):
        self.__dict__.update(zip(names, values, strict=True))
        self._entity = entity

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._entity(), name)


class LeanLoginUser(LoginUser):
    """The signed-in user of a :func:`lean_user` view: the row's columns as attributes."""

    def __init__(self, row):
        self.__dict__.update(zip(_LEAN_USER, row, strict=False))
        account = row[_LEAN_ACCOUNT_AT:_LEAN_TENANT_AT]
        self.account = (
            None
            if account[0] is None
            else _Columns(_LEAN_ACCOUNT, account, lambda: self.user.account)
        )
        tenant = row[_LEAN_TENANT_AT:-1]
        self.tenant = _Columns(_LEAN_TENANT, tenant, lambda: self.user.tenant)

    is_active = property(lambda self: self.__dict__["active"])

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @cached_property
    def user(self) -> User:  # not read by a lean view: loaded as every other view loads it
        row = db.session.connection().execute(_USER_BY_ID, {"id": self.id}).one()
        return _user_of_row(db.session(), row)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(user_id: str):
    lean = _lean_request()
    try:
        raw_id, version = user_id.split(":", 1)
        statement = _SIGNED_IN_BY_ID if lean else _USER_BY_ID
        row = db.session.connection().execute(statement, {"id": int(raw_id)}).first()
    except (ValueError, TypeError, OverflowError):
        return None
    if row is None:
        return None
    user = LeanLoginUser(row) if lean else LoginUser(_user_of_row(db.session(), row))
    if not may_sign_in(user) or str(user.session_version) != version:
        return None
    # valid until this request begins a write transaction (which may change the basket)
    request_memo()["basket_count_loaded"] = (row[-1] or 0, writes_begun())
    return user


def may_sign_in(user: User) -> bool:
    """An active user; a Storefront user also needs an active account (issue 14: deactivating
    an account ends its users' sessions at once, since every request loads the user here)."""
    return user.active and (user.account is None or user.account.active)


def signed_in_user() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def shared_status_book():
    """The tenant's order statuses for a page that only shows them, as this process keeps
    them while the signed-in user's tenant's ``statuses_version`` says they are current
    (:meth:`core.services.statuses.StatusBook.shared`): no statement on most requests."""
    tenant = current_user.tenant
    version = tenant.statuses_version if tenant.id == g.tenant_id else None
    return kept_status_book(g.tenant_id, version)


def kept_status_book(tenant_id: int, version: int | None):
    """The statuses of ``tenant_id`` this process keeps while ``version`` (the tenant's
    ``statuses_version`` read with the request's caller) is theirs; else read and kept. The
    BSS pages' (:func:`shared_status_book`) and the API's."""
    kept = current_app.extensions.setdefault("cloudshop_status_books", {})
    return StatusBook.shared(db.session, tenant_id, version, kept)


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
