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
from core.rules.api_keys import scope_allows
from core.services import api_keys
from webapp.extensions import db, limiter


def caller() -> api_keys.Caller:
    return g.api_caller


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
        if not limiter.limiter.hit(rate, "api-key", found.prefix):
            reset, _remaining = limiter.limiter.get_window_stats(rate, "api-key", found.prefix)
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
    return None
