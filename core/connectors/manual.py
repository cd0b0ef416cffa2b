"""The *manual* connector: nothing is called; the task waits until a BSS user confirms the
delivery (BSS › Provisioning › Confirm delivered)."""

from core import texts
from core.connectors import LATER, Answer, Connector, ProvisioningRequest


class ManualConnector(Connector):
    name = "manual"
    label = texts.CONNECTOR_MANUAL_LABEL

    def perform(self, request: ProvisioningRequest) -> Answer:
        return Answer(LATER, reason="waiting for a BSS user to confirm delivery")
