"""Provisioning connectors (issue 16): one per product type, found as plugins.

A connector answers the operations of :data:`core.rules.provisioning.OPERATIONS` for one
:class:`ProvisioningRequest` with an :class:`Answer`: *done* (the service is active), *later*
(the vendor will call back, or a person delivers), or *refused* (with the reason: the task
fails and a BSS user may retry it). A connector that cannot reach its vendor raises
(``TimeoutError``, ``ConnectionError`` ...): the job queue tries again with back-off.

Plugins: connectors come from the ``cloudshop_connectors`` hook of `pluggy`. The built-in
ones (*manual*, *sandbox*) are registered here; a package adds its own by declaring an entry
point in the group ``cloudshop.connectors`` whose object implements the hook::

    [project.entry-points."cloudshop.connectors"]
    acme = "acme_cloud.cloudshop:plugin"      # a module with @hookimpl cloudshop_connectors
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pluggy

hookspec = pluggy.HookspecMarker("cloudshop")
hookimpl = pluggy.HookimplMarker("cloudshop")
ENTRY_POINT_GROUP = "cloudshop.connectors"

DONE = "done"
LATER = "later"
REFUSED = "refused"


@dataclass(frozen=True)
class ProvisioningRequest:
    task_id: int
    tenant_id: int
    operation: str
    product_code: str | None
    quantity: int | None
    subscription_id: int | None
    account_name: str | None
    callback_url: str | None = None  # where a vendor that answers later posts its answer


@dataclass(frozen=True)
class Answer:
    status: str  # DONE, LATER or REFUSED
    external_ref: str | None = None
    reason: str | None = None


class Connector:
    """Base class: every operation defaults to :meth:`perform`; override what differs."""

    name = "base"
    label = "Base connector"  # the human name, shown in Setup › Product Types

    def perform(self, request: ProvisioningRequest) -> Answer:
        raise NotImplementedError

    def create(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def change_quantity(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def add_addon(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def change_addon(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def upgrade(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def suspend(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def resume(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def cancel(self, request: ProvisioningRequest) -> Answer:
        return self.perform(request)

    def call(self, request: ProvisioningRequest) -> Answer:
        return getattr(self, request.operation)(request)


class ConnectorSpec:
    @hookspec
    def cloudshop_connectors(self, settings: dict) -> list[Connector]:
        """The connectors this plugin offers, built with the application's ``settings``."""


@dataclass
class Registry:
    connectors: dict[str, Connector] = field(default_factory=dict)

    def get(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            raise LookupError(f"no provisioning connector named {name!r}") from None

    @property
    def names(self) -> list[str]:
        return sorted(self.connectors)

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(name, human name) of every connector: *manual* first, then by human name."""
        return sorted(
            ((c.name, c.label) for c in self.connectors.values()),
            key=lambda pair: (pair[0] != "manual", pair[1].lower()),
        )


def load_registry(
    settings: dict | None = None, *, entry_points: bool = True, plugins: tuple = ()
) -> Registry:
    """Every connector of the built-in plugin, the installed plugins and ``plugins``."""
    from core.connectors import builtin

    manager = pluggy.PluginManager("cloudshop")
    manager.add_hookspecs(ConnectorSpec)
    manager.register(builtin)
    for plugin in plugins:
        manager.register(plugin)
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    registry = Registry()
    for offered in manager.hook.cloudshop_connectors(settings=settings or {}):
        for connector in offered:
            registry.connectors[connector.name] = connector
    return registry
