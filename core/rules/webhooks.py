"""Webhooks (issue 16): Standard Webhooks signatures and the endpoint's failure rule.

Signature (https://www.standardwebhooks.com): the secret is ``whsec_`` + base64 of random
bytes; the signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``; the header
``webhook-signature`` is ``"v1," + base64(HMAC-SHA256(secret bytes, signed content))``.
An endpoint whose deliveries fail :data:`DISABLE_AFTER` times in a row is disabled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets

SECRET_PREFIX = "whsec_"
DISABLE_AFTER = 10  # consecutive failed delivery attempts
TOLERANCE_SECONDS = 5 * 60

EVENT_TYPES = (
    "order.status_changed",
    "offer.status_changed",
    "subscription.provisioned",
    "subscription.provisioning_failed",
    "backorder.created",
)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    content = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, headers_: dict, body: str, now: int) -> bool:
    """What a receiver does: a valid v1 signature within the timestamp tolerance."""
    lowered = {k.lower(): v for k, v in headers_.items()}
    try:
        msg_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def subscribed(endpoint_events: str, event_type: str) -> bool:
    """``endpoint_events`` is a comma-separated list; empty means every event."""
    wanted = {e.strip() for e in (endpoint_events or "").split(",") if e.strip()}
    return not wanted or event_type in wanted


def should_disable(consecutive_failures: int) -> bool:
    return consecutive_failures >= DISABLE_AFTER


def inside_address(address: str) -> bool:
    """An address a webhook must not reach outside development: loopback, private networks,
    link-local (cloud metadata at 169.254.169.254), multicast, reserved or unspecified; an
    IPv4 address mapped into IPv6 is judged as its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def inside_host(host: str) -> bool:
    """A URL's host that is an inside address, or a name for this machine (``localhost``)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return inside_address(host)
    except ValueError:
        return False  # a name: judged by what it resolves to when a delivery is made
