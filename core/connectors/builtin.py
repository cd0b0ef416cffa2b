"""The built-in connectors: *manual* (a BSS user confirms delivery) and the *sandbox* vendor."""

from __future__ import annotations

from core.connectors import Connector, hookimpl
from core.connectors.manual import ManualConnector
from core.connectors.sandbox import SandboxVendor


@hookimpl
def cloudshop_connectors(settings: dict) -> list[Connector]:
    return [
        ManualConnector(),
        SandboxVendor(
            secret=settings.get("sandbox_secret", "sandbox-secret"),
            answer_later=settings.get("answer_later"),
        ),
    ]
