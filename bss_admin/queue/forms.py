"""Forms of the job-queue pages: only the CSRF token; the notification kinds are checkboxes
named ``kinds`` (one per kind of core.rules.notifications.CONFIGURABLE)."""

from flask_wtf import FlaskForm


class RetryForm(FlaskForm):
    pass


class NotificationSettingsForm(FlaskForm):
    pass
