"""Forms of the job-queue pages: only the CSRF token; the notification kinds are checkboxes
named ``kinds`` (one per kind of core.rules.notifications.CONFIGURABLE), a webhook endpoint's
fields are ``url`` and ``events`` checkboxes."""

from flask_wtf import FlaskForm


class RetryForm(FlaskForm):
    pass


class NotificationSettingsForm(FlaskForm):
    pass


class WebhookForm(FlaskForm):
    """The URL field and the event checkboxes are read from the request by the view."""
