"""The *sandbox vendor*: behaves like a remote provisioning API, for the demo and the tests.

What it does depends on the quantity asked for, like a payment sandbox's test cards:

- 13: refuses ("quantity 13 is not available from the vendor") — the task fails;
- 99: times out (``TimeoutError``) — the queue retries with back-off, then the task fails;
- 7: accepts and answers later: ``answer_later(callback_url, payload, signature)`` is called
  (the job queue posts the signed answer to the callback URL a few seconds later);
- anything else: done at once, with a vendor reference.

The callback body is JSON ``{"task_id", "status": "active"|"failed", "external_ref", "reason"}``
signed with HMAC-SHA256 of the body under the shared secret, in the header
``X-Sandbox-Signature: sha256=<hex>`` (:func:`sign`, :func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from core import texts
from core.connectors import DONE, LATER, REFUSED, Answer, Connector, ProvisioningRequest

REFUSED_QUANTITY = 13
TIMEOUT_QUANTITY = 99
LATER_QUANTITY = 7
SIGNATURE_HEADER = "X-Sandbox-Signature"

AnswerLater = Callable[[str, bytes, str], None]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    return bool(signature) and hmac.compare_digest(sign(secret, body), signature)


class SandboxVendor(Connector):
    name = "sandbox"
    label = texts.CONNECTOR_SANDBOX_LABEL

    def __init__(self, secret: str, answer_later: AnswerLater | None = None):
        self.secret = secret
        self.answer_later = answer_later

    def perform(self, request: ProvisioningRequest) -> Answer:
        reference = f"SBX-{request.task_id:06d}"
        if request.quantity == TIMEOUT_QUANTITY:
            raise TimeoutError("the sandbox vendor did not answer within 10 seconds")
        if request.quantity == REFUSED_QUANTITY:
            return Answer(REFUSED, reason="quantity 13 is not available from the vendor")
        if request.quantity == LATER_QUANTITY and request.callback_url and self.answer_later:
            body = json.dumps(
                {"task_id": request.task_id, "status": "active", "external_ref": reference}
            ).encode()
            self.answer_later(request.callback_url, body, sign(self.secret, body))
            return Answer(LATER, external_ref=reference, reason="the vendor answers later")
        return Answer(DONE, external_ref=reference)
