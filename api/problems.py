"""Errors of the API as ``application/problem+json`` (RFC 9457): a stable ``type`` per kind of
error (documented on the reference page, under its anchor), a title, the status, a detail and,
for bad input, ``errors`` per field."""

from __future__ import annotations

import json

from flask import Response, request

from core import texts
from core.services.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/reference#problem-"

# slug -> (status, title): every problem the API answers with
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "unauthenticated": (401, "Authentication required"),
    "key-unknown": (401, "API key not valid"),
    "key-revoked": (401, "API key revoked"),
    "key-expired": (401, "API key expired"),
    "key-user-inactive": (401, "API key user inactive"),
    "read-only-key": (403, "Read-only API key"),
    "forbidden": (403, "Forbidden"),
    "backorder-restricted": (403, "Back-order restricted"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "order-locked": (409, "Order locked"),
    "conflict": (409, "Conflict"),
    "idempotency-in-progress": (409, "Idempotent request in progress"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-failed": (422, "Validation failed"),
    "idempotency-key-reused": (422, "Idempotency-Key reused"),
    "status-not-assignable": (422, "Status not assignable"),
    "rate-limited": (429, "Too many requests"),
    "server-error": (500, "Server error"),
    "service-unavailable": (503, "Service unavailable"),
}

# a service refusal whose message names a precise rule gets that rule's own type
_BY_MESSAGE = {
    texts.ORDER_LOCKED: "order-locked",
    texts.ORDER_CANCELLED: "order-locked",  # cancelled: no more changes either
    texts.BACKORDER_ACTION_REFUSED: "backorder-restricted",
    texts.ORDER_STATUS_NOT_ASSIGNABLE: "status-not-assignable",
}
_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    503: "service-unavailable",
}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def problem(
    slug: str,
    detail: str | None = None,
    *,
    errors: dict | None = None,
    status: int | None = None,
    headers: dict | None = None,
) -> Response:
    default_status, title = PROBLEMS[slug]
    status = status or default_status
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
    }
    if errors:
        body["errors"] = {str(k): [str(m) for m in v] for k, v in errors.items()}
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_service_error(error: ServiceError) -> Response:
    slug = _BY_MESSAGE.get(error.message)
    errors = None
    if isinstance(error, ValidationFailed):
        errors = error.errors
        slug = slug or "validation-failed"
        if slug == "status-not-assignable":
            errors = errors or {"status_id": [error.message]}
    elif isinstance(error, NotFound):
        slug = "not-found"
    elif isinstance(error, Forbidden):
        slug = slug or "forbidden"
    elif isinstance(error, Conflict):
        slug = slug or "conflict"
    else:
        slug = slug or _BY_STATUS.get(error.http_status, "bad-request")
    return problem(slug, error.message or None, errors=errors)


def _flatten(messages) -> dict[str, list[str]]:
    """webargs' ``{"json": {"field": [...]}}`` (possibly nested) as ``{"field": [...]}``."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            flat[prefix or "body"] = list(value)
        elif isinstance(value, list | tuple):
            for n, inner in enumerate(value):
                walk(f"{prefix}.{n}", inner)
        else:
            flat[prefix or "body"] = [str(value)]

    for location, fields in (messages or {}).items():
        walk("" if location in ("json", "query", "headers", "path") else location, fields)
    return flat


def from_http_exception(error) -> Response:
    """Any HTTP error raised under /api/ (routing, webargs, Flask-Limiter, CSRF...)."""
    code = getattr(error, "code", None) or 500
    data = getattr(error, "data", None) or {}
    if code == 422 and "messages" in data:
        return problem(
            "validation-failed", texts.API_INVALID_INPUT, errors=_flatten(data["messages"])
        )
    slug = _BY_STATUS.get(code)
    if slug is None:
        slug = "server-error" if code >= 500 else "bad-request"
    detail = {
        404: texts.API_NOT_FOUND,
        405: texts.API_METHOD_NOT_ALLOWED,
        429: texts.API_RATE_LIMITED,
    }.get(code) or getattr(error, "description", None)
    headers = {}
    if code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(slug, detail, status=code, headers=headers)
