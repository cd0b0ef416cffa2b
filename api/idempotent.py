"""``Idempotency-Key`` on API POSTs (issue 18, point 4): the same key and request answer the
stored first answer (header ``Idempotent-Replayed: true``); the same key with another request is
refused (422); a request still running with that key answers 409. Kept 24 hours per tenant."""

from __future__ import annotations

import json
from functools import wraps

from flask import Response, g, make_response, request

from api.problems import MEDIA_TYPE, from_service_error, problem
from core import texts
from core.services import idempotency
from core.services.errors import ServiceError
from webapp.extensions import db

HEADER = "Idempotency-Key"
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Any unique string (e.g. a UUID): a retry with the same key and body "
    "answers the first answer again instead of repeating the write. Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
}


def _canonical_body() -> bytes:
    """The body a retry is compared by: a JSON body as its data (keys sorted, no spacing), so
    the same object serialised in another key order is the same request; else its bytes."""
    raw = request.get_data()
    if not request.is_json or not raw:
        return raw
    try:
        data = json.loads(raw)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # unreadable: its bytes; the body parser answers 400
        return raw


def idempotent(blp):
    """Decorator for a POST view of ``blp`` (documents the header too)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not idempotency.valid_key(key):
                return problem("bad-request", texts.API_IDEMPOTENCY_KEY_INVALID)
            tenant_id = g.tenant_id
            fingerprint = idempotency.request_fingerprint(
                request.method, request.path, _canonical_body()
            )
            try:
                stored = idempotency.reserve(db.session, tenant_id, key, fingerprint)
            except idempotency.KeyReused:
                return problem("idempotency-key-reused", texts.API_IDEMPOTENCY_KEY_REUSED)
            except idempotency.InProgress:
                return problem("idempotency-in-progress", texts.API_IDEMPOTENCY_IN_PROGRESS)
            if stored is not None:
                mimetype = "application/json" if stored.status_code < 400 else MEDIA_TYPE
                replay = Response(stored.body, status=stored.status_code, mimetype=mimetype)
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            try:
                response = view(*args, **kwargs)
            except ServiceError as error:  # a refusal is an answer: the retry gets it again
                response = from_service_error(error)
            except BaseException:
                db.session.rollback()
                idempotency.release(db.session, tenant_id, key)
                raise
            response = make_response(response)
            if response.status_code >= 500 or response.status_code == 429:
                idempotency.release(db.session, tenant_id, key)  # worth retrying as new
            else:
                idempotency.store(
                    db.session, tenant_id, key, response.status_code, response.get_data(True)
                )
            return response

        return blp.doc(parameters=[HEADER_DOC])(wrapped)

    return decorator
