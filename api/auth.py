"""Who calls the API: a Bearer API key, checked on every call (no cookie session, no CSRF).
The call then acts as the key's user, in the key's tenant; a read key only reads; each key has
its own rate limit on the limiter's storage (Redis when RATELIMIT_STORAGE_URI says so)."""

from __future__ import annotations

import time

from flask import current_app, g, request
from limits import parse

from api.problems import problem
from core import texts
from core.enums import UserKind
from core.rules import roles
from core.rules.api_keys import scope_allows
from core.services import api_keys, sharing
from webapp.extensions import db, limiter, throttle


def caller() -> api_keys.Caller:
    return g.api_caller


def viewer():
    """The key's user as the back-orders' sharing rules see it (admins see every order)."""
    return sharing.viewer_of(caller().user)


def requires(*permissions: str):
    """A view of the API needs one of ``permissions`` of the key's user's role
    (core.rules.roles, the same table as the BSS pages). A view without it is refused to
    everyone: the check fails closed."""

    allowed = sorted({roles.ROLE_LABELS[r] for p in permissions for r in roles.roles_with(p)})

    def decorator(view):
        view.api_permissions = frozenset(permissions)
        # the reference says who may call it (flask-smorest reads the docstring at route())
        view.__doc__ = (view.__doc__ or "").rstrip() + "\n\nRoles: " + ", ".join(allowed) + "."
        return view

    return decorator


def _role_allows() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    wanted = getattr(view, "api_permissions", None)
    if not wanted:
        return False
    return any(roles.may(g.api_caller.user.role, p) for p in wanted)


def authenticate_request():
    """before_request of every API blueprint: a problem response refuses the call."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(
            "unauthenticated",
            texts.API_UNAUTHENTICATED,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    try:
        found = api_keys.authenticate(db.session, token.strip())
    except api_keys.KeyRefused as refused:
        slug = "key-" + refused.reason
        return problem(
            slug,
            texts.API_KEY_REFUSED[refused.reason],
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    if limiter.enabled:
        rate = parse(current_app.config["API_RATE_LIMIT"])
        if not throttle.hit(rate, "api-key", found.prefix):
            reset, _remaining = throttle.window(rate, "api-key", found.prefix)
            return problem(
                "rate-limited",
                texts.API_RATE_LIMITED,
                headers={"Retry-After": str(max(1, int(reset - time.time())))},
            )
    if found.user.kind != UserKind.BSS:
        return problem("forbidden", texts.API_ROLE_REFUSED)
    if not scope_allows(found.scope, request.method):
        return problem("read-only-key", texts.API_READ_ONLY_KEY)
    g.api_caller = found
    g.tenant_id = found.tenant_id
    if not _role_allows():
        return problem("forbidden", texts.API_ROLE_REFUSED)
    order_id = (request.view_args or {}).get("order_id")
    if order_id is not None and not sharing.order_visible(
        db.session, found.tenant_id, order_id, viewer()
    ):
        return problem("not-found", texts.API_NOT_FOUND)  # as the BSS pages: hidden = absent
    return None
