"""Provisioning rules (issue 16): which connector operation an executed change needs, and
the states a provisioning task goes through.

    started (queued) → provisioning → active
                                    ↘ waiting (the vendor answers later / a person delivers)
                                    ↘ failed (with the reason; a BSS user may retry)
"""

from __future__ import annotations

STARTED = "started"  # queued, not tried yet
PROVISIONING = "provisioning"  # a worker is calling the connector
WAITING = "waiting"  # the vendor answers later (callback), or a BSS user delivers (manual)
ACTIVE = "active"
FAILED = "failed"
OPEN = (STARTED, PROVISIONING, WAITING)

MANUAL = "manual"
SANDBOX = "sandbox"

OPERATIONS = (
    "create",
    "change_quantity",
    "add_addon",
    "change_addon",
    "upgrade",
    "suspend",
    "resume",
    "cancel",
)

_BY_ACTION = {
    "new": "create",
    "deliver": "create",
    "licenses": "change_quantity",
    "addon_new": "add_addon",
    "addon_quantity": "change_addon",
    "upgrade": "upgrade",
    "to_paid": "upgrade",
}


def operation_for(action: str) -> str:
    """The connector operation for a task's action (an order item kind, or one-off delivery)."""
    try:
        return _BY_ACTION[action]
    except KeyError:
        if action in OPERATIONS:
            return action
        raise ValueError(f"no provisioning operation for {action!r}") from None


def connector_for(product_type_connector: str | None) -> str:
    return product_type_connector or MANUAL


def display_state(task_status: str | None) -> str | None:
    """What the customer and the BSS see for a subscription: Provisioning, Active or Failed."""
    if task_status is None:
        return None
    if task_status in OPEN:
        return PROVISIONING
    return task_status
