"""The catalogue back office (issue 15): the provider's products, in the BSS.

Every page is gated by ``core.rules.permissions.can_manage_catalogue``."""
