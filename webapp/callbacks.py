"""Answers from outside (issue 16): a vendor's signed provisioning callback. No session, no
CSRF token: the HMAC signature is the authentication."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from core.connectors.sandbox import SIGNATURE_HEADER
from core.services import provisioning
from core.services.errors import NotFound, ValidationFailed
from webapp.extensions import csrf, db

bp = Blueprint("callbacks", __name__)


@bp.post("/provisioning/callback/<int:task_id>")
@csrf.exempt
def provisioning_callback(task_id: int):
    from webapp.tasks import sandbox_secret

    try:
        provisioning.vendor_callback(
            db.session,
            task_id,
            request.get_data(),
            request.headers.get(SIGNATURE_HEADER),
            sandbox_secret(current_app),
        )
    except ValidationFailed as error:
        return {"error": error.message}, 400
    except NotFound as error:
        return {"error": error.message}, 404
    return "", 204
