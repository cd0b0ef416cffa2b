"""Errors the use cases raise; views turn them into messages and status codes."""


class ServiceError(Exception):
    """Base: a use case refused the request. ``str(error)`` is the message for the user."""

    http_status = 400

    def __init__(self, message: str = "", errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    """The object does not exist in the caller's tenant (or account)."""

    http_status = 404


class Forbidden(ServiceError):
    http_status = 403


class ValidationFailed(ServiceError):
    """Bad input: ``errors`` maps a field or row key to messages; nothing was changed."""

    http_status = 422


class Conflict(ServiceError):
    """The request contradicts the current state (e.g. an executed order is locked)."""

    http_status = 409
