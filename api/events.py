"""The webhook events (issue 16) in the API's OpenAPI document (issue 18, point 6): the
OpenAPI 3.1 top-level ``webhooks`` object, one entry per event type, whose request body is the
envelope ``{"type", "timestamp", "data"}`` with ``data`` the API's own schema of the resource
(the order, offer, subscription or back-order as ``GET /api/v1/...`` answers it: both are built
by core.services.representations)."""

from __future__ import annotations

from api.schemas import EVENTS
from core.rules.webhooks import EVENT_TYPES

SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "the message id: the same on every retry of this event",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "seconds since the epoch, when this attempt was signed",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` "
        "with the endpoint's `whsec_` secret (Standard Webhooks)",
        "schema": {"type": "string"},
    },
]


def _component_name(event_type: str) -> str:
    return "Event_" + event_type.replace(".", "_")


def webhooks_object(api) -> dict:
    """Registers each event's envelope schema and answers the ``webhooks`` object."""
    if set(EVENTS) != set(EVENT_TYPES):  # a new event type must be documented
        raise RuntimeError(f"undocumented webhook events: {set(EVENT_TYPES) ^ set(EVENTS)}")
    entries = {}
    for event_type in EVENT_TYPES:
        schema, description = EVENTS[event_type]
        name = _component_name(event_type)
        api.spec.components.schema(name, schema=schema)
        entries[event_type] = {
            "post": {
                "summary": event_type,
                "description": description + " Sent to the endpoints of Setup > Webhooks "
                "that subscribe to it; answer 2xx, anything else is retried with back-off.",
                "operationId": "event_" + event_type.replace(".", "_"),
                "tags": ["Events"],
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {"2XX": {"description": "received; any other answer is retried"}},
            }
        }
    return entries


def document(api) -> None:
    api.spec.options["webhooks"] = webhooks_object(api)
