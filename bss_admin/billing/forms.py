"""Forms of the billing pages: the CSRF token; the fields are read by the views (the service
validates them and says what is wrong)."""

from flask_wtf import FlaskForm


class RunBillingForm(FlaskForm):
    pass


class CreditNoteForm(FlaskForm):
    pass


class BillingSettingsForm(FlaskForm):
    pass
