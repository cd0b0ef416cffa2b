"""Webhooks (issue 16): per-tenant endpoints receive signed events (Standard Webhooks).

:func:`emit`, inside a use case's transaction, writes one :class:`WebhookDelivery` per enabled
endpoint subscribed to the event, with an outbox item; a worker posts it (:func:`deliver`),
signed with the endpoint's secret (:mod:`core.rules.webhooks`). A 2xx answer delivers it; any
other answer or a network error is retried by the queue with back-off. After
:data:`core.rules.webhooks.DISABLE_AFTER` failed attempts in a row the endpoint is disabled and
the tenant's admins are told; deliveries to a disabled endpoint are skipped.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from core import texts
from core.db import read_rows, utcnow, write_transaction
from core.enums import Role, UserKind
from core.models import OutboxItem, Tenant, User, WebhookDelivery, WebhookEndpoint
from core.rules import webhooks as rules
from core.services import outbox, representations
from core.services.errors import NotFound, ValidationFailed
from core.services.notifications import notify

KIND = "webhook"  # the outbox kind
DELIVERED = "delivered"
PENDING = "pending"
RETRYING = "retrying"
SKIPPED = "skipped"

# post(url, headers, body) -> HTTP status code; raises on a network error
Post = Callable[[str, dict, str], int]


class DeliveryFailed(RuntimeError):
    pass


def emit(
    session: Session,
    tenant_id: int,
    event_type: str,
    data: dict | Callable[[], dict],
    now: datetime | None = None,
) -> int:
    """Inside the caller's transaction: one delivery per subscribed, enabled endpoint.

    ``data`` is the resource as the public API shows it (:mod:`core.services.representations`),
    or a function building it, called once and only when some endpoint wants the event."""
    now = now or utcnow()
    endpoints = [
        e for e in _enabled_endpoints(session, tenant_id) if rules.subscribed(e[1], event_type)
    ]
    if not endpoints:
        return 0
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": now.isoformat(),
            "data": representations.to_json(data() if callable(data) else data),
        },
        separators=(",", ":"),
        default=str,
    )
    count = 0
    for endpoint_id, _events in endpoints:
        message_id = f"msg_{uuid.uuid4().hex}"
        delivery = WebhookDelivery(
            endpoint_id=endpoint_id,
            event_type=event_type,
            message_id=message_id,
            payload=body,
            status=PENDING,
            attempts=0,
            created_at=now,
        )
        session.add(delivery)
        session.flush()
        outbox.add(session, tenant_id, KIND, delivery.id, now=now)
        count += 1
    return count


# the tenant's enabled endpoints: their ids and events only, in a statement built once
_ENABLED = select(WebhookEndpoint.id, WebhookEndpoint.events).where(
    WebhookEndpoint.tenant_id == bindparam("tenant_id"), WebhookEndpoint.enabled.is_(True)
)
_ENDPOINTS_READ = "webhook_endpoints_read"
_ENDPOINTS_KEPT = "webhook_endpoints_kept"


def _enabled_endpoints(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    """The tenant's enabled endpoints, read once per transaction (issue 19: an automatic
    placement changes the order's status twice and read them at each change). Read again
    when the transaction writes an endpoint (the session's own changes, pending or flushed);
    another transaction's change is seen from the next transaction on, as if it had committed
    after this one. What was read is forgotten when the transaction ends."""
    read = session.info.get(_ENDPOINTS_READ)
    changed = _endpoints_changed(session)
    if read is not None and tenant_id in read and not changed:
        return read[tenant_id]
    if changed:
        session.flush()  # the transaction's own endpoints, as the read must see them
    # nothing else pending matters to this read: not flushed for it (issue 19: the event's
    # history line waits for the use case's next flush, one INSERT with its neighbours)
    with session.no_autoflush:
        endpoints = [tuple(row) for row in read_rows(session, _ENABLED, {"tenant_id": tenant_id})]
    session.info.setdefault(_ENDPOINTS_READ, {})[tenant_id] = endpoints
    return endpoints


def _endpoints_changed(session: Session) -> bool:
    return any(
        isinstance(obj, WebhookEndpoint)
        for objects in (session.new, session.dirty, session.deleted)
        for obj in objects
    )


@event.listens_for(Session, "after_flush")
def _forget_endpoints_written(session: Session, _context) -> None:
    if _ENDPOINTS_READ in session.info and _endpoints_changed(session):
        del session.info[_ENDPOINTS_READ]


@event.listens_for(Session, "after_transaction_end")
def _forget_endpoints_read(session: Session, transaction) -> None:
    # the session's transaction (not a savepoint), unless one use case runs several
    if transaction.parent is None and not session.info.get(_ENDPOINTS_KEPT):
        session.info.pop(_ENDPOINTS_READ, None)


@contextmanager
def endpoints_read_once(session: Session):
    """For a use case of more than one transaction (a card placement: the order is claimed,
    the card charged outside any transaction, then the payment finalized): the endpoints
    read by its first event serve its later ones, as they would in one transaction (issue
    19: read once per transaction, they were read again in the second). An endpoint added
    while the card is charged counts from the next use case on, as if added just after."""
    session.info[_ENDPOINTS_KEPT] = session.info.get(_ENDPOINTS_KEPT, 0) + 1
    try:
        yield
    finally:
        session.info[_ENDPOINTS_KEPT] -= 1
        if not session.info[_ENDPOINTS_KEPT]:
            del session.info[_ENDPOINTS_KEPT]
            session.info.pop(_ENDPOINTS_READ, None)


# Outside development a webhook never reaches the provider's own network (SSRF: an endpoint
# at http://169.254.169.254/ or http://10.0.0.5/ would make the worker call it): refused when
# the URL is saved, and at each delivery by what its host resolves to. A redirect is never
# followed (a receiver could point it inside). Development keeps local receivers working.
_allow_inside = True


def configure(*, allow_inside: bool) -> None:
    global _allow_inside
    _allow_inside = allow_inside


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx is the answer: a failed delivery


_OPENER = urllib.request.build_opener(_NoRedirect)


def _check_destination(url: str) -> None:
    if _allow_inside:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    if rules.inside_host(host):
        raise OSError(texts.WEBHOOK_ADDRESS_INSIDE.format(host=host, address=host))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_rest, address in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP):
        if rules.inside_address(address[0]):
            raise OSError(texts.WEBHOOK_ADDRESS_INSIDE.format(host=host, address=address[0]))


def http_post(url: str, headers: dict, body: str, timeout: float = 10.0) -> int:
    _check_destination(url)
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def deliver(session: Session, item: OutboxItem, post: Post = http_post) -> str:
    """The outbox handler for ``webhook`` items."""
    delivery = session.get(WebhookDelivery, item.ref_id, populate_existing=True)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    session.expunge_all()
    session.rollback()
    if delivery.status == DELIVERED:
        return DELIVERED
    if not endpoint.enabled:
        _finish(session, delivery.id, SKIPPED, None, texts.WEBHOOK_SKIPPED_DISABLED)
        return SKIPPED
    timestamp = int(utcnow().timestamp())
    headers = rules.headers(endpoint.secret, delivery.message_id, timestamp, delivery.payload)
    code: int | None = None
    error: str | None = None
    try:
        code = post(endpoint.url, headers, delivery.payload)
    except Exception as failure:  # the network: retried
        error = f"{type(failure).__name__}: {failure}"
    if code is not None and 200 <= code < 300:
        _finish(session, delivery.id, DELIVERED, code, None, endpoint_ok=endpoint.id)
        return DELIVERED
    error = error or texts.WEBHOOK_HTTP_ERROR.format(code=code)
    _record_failure(session, delivery.id, endpoint.id, code, error)
    raise DeliveryFailed(error)


def _finish(session, delivery_id, status, code, error, *, endpoint_ok=None) -> None:
    with write_transaction(session):
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        delivery.status = status
        delivery.attempts += 1 if status != SKIPPED else 0
        delivery.response_code = code
        delivery.last_error = error
        if status == DELIVERED:
            delivery.delivered_at = utcnow()
        if endpoint_ok is not None:
            endpoint = session.get(WebhookEndpoint, endpoint_ok, with_for_update=True)
            endpoint.consecutive_failures = 0


def _record_failure(session, delivery_id, endpoint_id, code, error) -> None:
    with write_transaction(session):
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        delivery.status = RETRYING
        delivery.attempts += 1
        delivery.response_code = code
        delivery.last_error = error
        endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        endpoint.consecutive_failures += 1
        if endpoint.enabled and rules.should_disable(endpoint.consecutive_failures):
            endpoint.enabled = False
            endpoint.disabled_reason = texts.WEBHOOK_DISABLED_REASON.format(
                count=endpoint.consecutive_failures, error=error
            )
            _tell_admins(session, endpoint)


def _tell_admins(session: Session, endpoint: WebhookEndpoint) -> None:
    admins = session.scalars(
        select(User.email).where(
            User.tenant_id == endpoint.tenant_id,
            User.kind == UserKind.BSS,
            User.role == Role.ADMIN,
        )
    ).all()
    for email in admins:
        notify(
            session,
            endpoint.tenant_id,
            "webhook_disabled",
            email,
            texts.WEBHOOK_DISABLED_SUBJECT.format(url=endpoint.url),
            endpoint.disabled_reason,
        )


# --- the BSS side (Setup › Webhooks) ---------------------------------------------------------


def _clean_url(url: str | None) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise ValidationFailed(texts.WEBHOOK_URL_INVALID, {"url": [texts.WEBHOOK_URL_INVALID]})
    try:
        host = parts.hostname or ""
    except ValueError:  # a malformed [IPv6] part
        raise ValidationFailed(
            texts.WEBHOOK_URL_INVALID, {"url": [texts.WEBHOOK_URL_INVALID]}
        ) from None
    if not _allow_inside and rules.inside_host(host):
        raise ValidationFailed(texts.WEBHOOK_URL_INSIDE, {"url": [texts.WEBHOOK_URL_INSIDE]})
    return url


def create_endpoint(
    session: Session, tenant_id: int, url: str | None, events: list[str]
) -> WebhookEndpoint:
    url = _clean_url(url)
    unknown = [e for e in events if e not in rules.EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            texts.WEBHOOK_EVENTS_INVALID, {"events": [texts.WEBHOOK_EVENTS_INVALID]}
        )
    with write_transaction(session):
        # one endpoint per address in a tenant (the tenant row locked: two clicks make one)
        session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())
        taken = session.scalar(
            select(WebhookEndpoint.id)
            .where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.url == url)
            .limit(1)
        )
        if taken is not None:
            raise ValidationFailed(texts.WEBHOOK_URL_TAKEN, {"url": [texts.WEBHOOK_URL_TAKEN]})
        endpoint = WebhookEndpoint(
            tenant_id=tenant_id,
            url=url,
            secret=rules.new_secret(),
            events=",".join(events),
            enabled=True,
            consecutive_failures=0,
            created_at=utcnow(),
        )
        session.add(endpoint)
    return endpoint


def list_endpoints(session: Session, tenant_id: int) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant_id)
            .order_by(WebhookEndpoint.id)
        )
    )


@dataclass(frozen=True)
class EndpointDetail:
    endpoint: WebhookEndpoint
    deliveries: list[WebhookDelivery]


def endpoint_detail(session: Session, tenant_id: int, endpoint_id: int) -> EndpointDetail:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound(texts.WEBHOOK_NOT_FOUND)
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(100)
    ).all()
    return EndpointDetail(endpoint, list(deliveries))


def set_enabled(
    session: Session, tenant_id: int, endpoint_id: int, enabled: bool
) -> WebhookEndpoint:
    """Turn an endpoint on (its failure count starts again) or off; idempotent."""
    with write_transaction(session):
        endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if endpoint is None or endpoint.tenant_id != tenant_id:
            raise NotFound(texts.WEBHOOK_NOT_FOUND)
        endpoint.enabled = enabled
        if enabled:
            endpoint.consecutive_failures = 0
            endpoint.disabled_reason = None
    return endpoint
