"""Preview states of the BSS people pages, the set-password pages and the e-mails of
issue 14: fixture data only, no database. Registered by webapp/preview_fixtures.py."""

from __future__ import annotations

from types import SimpleNamespace as NS

from core import texts
from core.rules.roles import ROLE_LABELS
from webapp.preview_fixtures import ANONYMOUS, BSS_ADMIN, TENANT, state

TEAM = NS(id=1, name="Operations Athens")
ADA = NS(id=31, name="Ada Admin", email="admin@skyline.example", role="admin", active=True)
OTTO = NS(
    id=32, name="Otto Operator", email="operator@skyline.example", role="operator", active=True
)
NEW = NS(id=33, name="Nina New", email="nina@skyline.example", role="finance", active=True)
GONE = NS(
    id=34, name="Gus Gone", email="gus@skyline.example", role="catalogue_manager", active=False
)
ROWS = [
    NS(user=ADA, team=None, state=texts.USER_STATE_ACTIVE),
    NS(user=GONE, team=None, state=texts.USER_STATE_INACTIVE),
    NS(user=NEW, team=TEAM, state=texts.USER_STATE_INVITED),
    NS(user=OTTO, team=TEAM, state=texts.USER_STATE_ACTIVE),
]


def _people(errors=None, **invite):
    from bss_admin.people.forms import PersonForm, TeamForm

    form = PersonForm(formdata=None, data=invite)
    form.team_id.choices = [("", "— no team —"), (1, TEAM.name)]
    return {
        "rows": ROWS,
        "teams": [TEAM],
        "invite": form,
        "team_form": TeamForm(formdata=None),
        "errors": errors or {},
        "role_labels": ROLE_LABELS,
    }


@state(
    "bss",
    "people",
    "bss_admin/people/list.html",
    "People: BSS users, invite, teams",
    user=BSS_ADMIN,
)
def bss_people():
    return _people()


@state(
    "bss",
    "people-invite-invalid",
    "bss_admin/people/list.html",
    "People: a refused invitation",
    user=BSS_ADMIN,
)
def bss_people_invalid():
    return _people(
        {"email": [texts.USER_ALREADY_EXISTS], "name": [texts.USER_NAME_REQUIRED]},
        email="admin@skyline.example",
    )


@state(
    "bss",
    "people-invite-address-in-use",
    "bss_admin/people/list.html",
    "People: an address another tenant's BSS user has",
    user=BSS_ADMIN,
)
def bss_people_address_in_use():
    return _people({"email": [texts.BSS_EMAIL_IN_USE]}, email="admin@nimbus.example")


@state(
    "bss", "person-edit", "bss_admin/people/edit.html", "BSS user: role and team", user=BSS_ADMIN
)
def bss_person_edit():
    from bss_admin.people.forms import PersonForm

    form = PersonForm(formdata=None, obj=NEW)
    form.team_id.choices = [("", "— no team —"), (1, TEAM.name)]
    return {"person": NEW, "form": form, "errors": {}, "invited": True}


def _set_password(invalid=False, errors=None):
    from webapp.password_links import SetPasswordForm

    return {
        "form": None if invalid else SetPasswordForm(formdata=None),
        "invalid": invalid,
        "errors": errors or {},
        "person": None if invalid else NEW,
    }


@state(
    "auth",
    "bss-invitation",
    "bss_admin/people/set_password.html",
    "BSS invitation: choose a password",
    user=ANONYMOUS,
)
def bss_invitation():
    return _set_password()


@state(
    "auth",
    "bss-invitation-refused",
    "bss_admin/people/set_password.html",
    "BSS invitation: a common password refused",
    user=ANONYMOUS,
)
def bss_invitation_refused():
    return _set_password(errors={"password": [texts.PASSWORD_TOO_COMMON]})


@state(
    "auth",
    "bss-invitation-invalid",
    "bss_admin/people/set_password.html",
    "BSS invitation: the link was used or expired",
    user=ANONYMOUS,
)
def bss_invitation_invalid():
    return _set_password(invalid=True)


# --- e-mails -----------------------------------------------------------------------------


def email_state(kind: str, title: str, **context):
    """Register the preview of the e-mail ``emails/<kind>.txt`` rendered with ``context``."""

    @state(
        "emails",
        kind,
        "emails/_preview.html",
        title,
        user=ANONYMOUS,
        note=f"Edit webapp/templates/emails/{kind}.txt",
    )
    def preview():
        from webapp.emails import render_email, template_of

        subject, body = render_email(kind, {"tenant": TENANT, **context})
        return {
            "kind": kind,
            "template": template_of(kind),
            "recipient": context["user"].email,
            "subject": subject,
            "body": body,
        }

    return preview


email_state(
    "bss_invitation",
    "Invitation of a BSS user",
    user=NEW,
    inviter=ADA,
    link="https://localhost/bss/invitation/eyJhbGciOi...",
    hours=168,
    extra="",
)
email_state(
    "storefront_invitation",
    "Invitation of a Storefront user",
    user=NS(name="Bea Buyer", email="bea@acme.example", account=NS(name="Acme Ltd")),
    inviter=NS(name="Alice Acme"),
    link="https://localhost/invitation/eyJhbGciOi...",
    hours=168,
    extra="",
)
email_state(
    "password_reset",
    "Password reset",
    user=NS(name="Alice Acme", email="alice@acme.example"),
    inviter=None,
    link="https://localhost/password/reset/eyJhbGciOi...",
    hours=1,
    extra="",
)


# --- Storefront: set a password, forgotten password, an account's users --------------------


@state(
    "auth",
    "storefront-set-password",
    "storefront/people/set_password.html",
    "Storefront: choose a password (invitation or reset)",
    user=ANONYMOUS,
)
def sf_set_password():
    return _set_password()


@state(
    "auth",
    "storefront-set-password-refused",
    "storefront/people/set_password.html",
    "Storefront: the two passwords differ",
    user=ANONYMOUS,
)
def sf_set_password_refused():
    return _set_password(errors={"password": [texts.PASSWORDS_DIFFER]})


@state(
    "auth",
    "storefront-set-password-invalid",
    "storefront/people/set_password.html",
    "Storefront: the link was used or expired",
    user=ANONYMOUS,
)
def sf_set_password_invalid():
    return _set_password(invalid=True)


def _forgot(error=None):
    from storefront.people_views import ForgotForm

    return {"form": ForgotForm(formdata=None), "error": error}


@state(
    "auth",
    "storefront-forgot",
    "storefront/people/forgot.html",
    "Storefront: forgotten password",
    user=ANONYMOUS,
)
def sf_forgot():
    return _forgot()


@state(
    "auth",
    "storefront-forgot-throttled",
    "storefront/people/forgot.html",
    "Storefront: forgotten password, too many requests",
    user=ANONYMOUS,
)
def sf_forgot_throttled():
    return _forgot(texts.PASSWORD_RESET_THROTTLED)


def _colleagues(errors=None, sent=None):
    from core.rules.roles import STOREFRONT_ROLE_LABELS
    from webapp.people_forms import ColleagueForm

    alice = NS(
        name="Alice Acme",
        email="alice@acme.example",
        role="account_admin",
        active=True,
        password_hash="x",
    )
    bea = NS(
        name="Bea Buyer",
        email="bea@acme.example",
        role="customer",
        active=True,
        password_hash="!invited",
    )
    return {
        "users": [alice, bea],
        "form": ColleagueForm(formdata=None),
        "errors": errors or {},
        "sent": sent,
        "role_labels": STOREFRONT_ROLE_LABELS,
        "is_invited": lambda u: u.password_hash == "!invited",
    }


def _account_admin():
    from webapp.preview_fixtures import CUSTOMER

    return NS(**{**vars(CUSTOMER), "role": "account_admin"})


@state(
    "storefront",
    "account-users",
    "storefront/people/users.html",
    "Account admin: users of my account, invite a colleague",
    user=_account_admin(),
)
def sf_account_users():
    return _colleagues()


@state(
    "storefront",
    "account-users-invalid",
    "storefront/people/users.html",
    "Account admin: a refused invitation",
    user=_account_admin(),
)
def sf_account_users_invalid():
    return _colleagues({"email": [texts.USER_ALREADY_EXISTS]})


@state(
    "storefront",
    "account-users-sent",
    "storefront/people/users.html",
    "Account admin: an invitation sent (the answer inside the block the form replaces; the "
    "same for an address of another company's user, to whom nothing is sent)",
    user=_account_admin(),
)
def sf_account_users_sent():
    return _colleagues(sent=texts.USER_INVITED.format(email="bea@acme.example"))


email_state(
    "email_change",
    "E-mail change: the link to the new address",
    user=NS(name="Alice Acme", email="alice.new@acme.example"),
    inviter=None,
    link="https://localhost/account/email/confirm/eyJhbGciOi...",
    hours=24,
    extra="alice.new@acme.example",
)
email_state(
    "email_change_notice",
    "E-mail change: the notice to the current address",
    user=NS(name="Alice Acme", email="alice@acme.example"),
    extra="alice.new@acme.example",
)


def _profile(errors=None):
    from storefront.people_views import ChangeEmailForm, ChangePasswordForm

    return {
        "password_form": ChangePasswordForm(formdata=None),
        "email_form": ChangeEmailForm(formdata=None),
        "errors": errors or {},
    }


@state(
    "storefront",
    "profile",
    "storefront/people/profile.html",
    "My sign-in: change password and e-mail",
)
def sf_profile():
    return _profile()


@state(
    "storefront",
    "profile-refused",
    "storefront/people/profile.html",
    "My sign-in: wrong current password, address in use",
)
def sf_profile_refused():
    return _profile(
        {
            "password_current": [texts.CURRENT_PASSWORD_WRONG],
            "email_email": [texts.EMAIL_TAKEN],
        }
    )


@state(
    "auth",
    "storefront-email-confirm",
    "storefront/people/email_confirm.html",
    "E-mail change: confirm the new address",
    user=ANONYMOUS,
)
def sf_email_confirm():
    return {"invalid": False, "new_email": "alice.new@acme.example"}


@state(
    "auth",
    "storefront-email-confirm-invalid",
    "storefront/people/email_confirm.html",
    "E-mail change: the link is not valid",
    user=ANONYMOUS,
)
def sf_email_confirm_invalid():
    return {"invalid": True, "new_email": None}


# --- two-factor sign-in ----------------------------------------------------------------------

PREVIEW_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code_form(errors=None):
    from webapp.login import SecondFactorForm

    form = SecondFactorForm(formdata=None)
    form.code.errors = list(errors or [])
    return form


@state(
    "auth",
    "bss-second-factor",
    "bss_admin/people/second_factor.html",
    "BSS sign-in: the two-factor code",
    user=ANONYMOUS,
)
def bss_second_factor():
    return {"form": _code_form(), "error": None}


@state(
    "auth",
    "bss-second-factor-wrong",
    "bss_admin/people/second_factor.html",
    "BSS sign-in: a wrong two-factor code",
    user=ANONYMOUS,
)
def bss_second_factor_wrong():
    return {"form": _code_form(), "error": texts.TOTP_CODE_WRONG}


def _setup(errors=None, enabled=False, *, may_turn_off=None, off_errors=None, refusal=None):
    from core.services.two_factor import provisioning_uri
    from webapp.two_factor_web import CodeForm, OffForm, qr_data_uri

    return {
        "form": CodeForm(formdata=None),
        "errors": errors or {},
        "qr": qr_data_uri(provisioning_uri(PREVIEW_SECRET, ADA.email, TENANT.name)),
        "secret": PREVIEW_SECRET,
        "enabled": enabled,
        "may_turn_off": enabled if may_turn_off is None else may_turn_off,
        "off_form": OffForm(formdata=None),
        "off_errors": off_errors or {},
        "refusal": refusal,
    }


@state(
    "bss",
    "two-factor-setup",
    "bss_admin/people/two_factor_setup.html",
    "Two-factor sign-in: set up (QR code)",
    user=BSS_ADMIN,
)
def bss_two_factor_setup():
    return _setup()


@state(
    "bss",
    "two-factor-setup-wrong",
    "bss_admin/people/two_factor_setup.html",
    "Two-factor sign-in: set up again, a wrong code",
    user=BSS_ADMIN,
)
def bss_two_factor_setup_wrong():
    return _setup({"code": [texts.TOTP_CODE_WRONG]}, enabled=True)


@state(
    "bss",
    "two-factor-required-on",
    "bss_admin/people/two_factor_setup.html",
    "Two-factor sign-in: on and required (no turning off; refused if tried)",
    user=BSS_ADMIN,
)
def bss_two_factor_required_on():
    return _setup(enabled=True, may_turn_off=False, refusal=texts.TOTP_REQUIRED_CANNOT_TURN_OFF)


@state(
    "bss",
    "two-factor-recovery-codes",
    "bss_admin/people/recovery_codes.html",
    "Two-factor sign-in: the recovery codes, shown once",
    user=BSS_ADMIN,
)
def bss_recovery_codes():
    return {"codes": [f"{n:04x}-9c21-e04b" for n in range(4096, 4106)]}


@state(
    "setup",
    "security",
    "bss_admin/people/security.html",
    "Setup › Security: who must use two-factor sign-in",
    user=BSS_ADMIN,
)
def bss_security():
    from bss_admin.people.two_factor_views import SecurityForm

    return {"form": SecurityForm(formdata=None, data={"policy": "admins"}), "errors": {}}


# --- self-registration -----------------------------------------------------------------------


def _register(errors=None, closed=False):
    from storefront.people_views import RegisterForm

    return {"form": None if closed else RegisterForm(formdata=None), "errors": errors or {}}


@state(
    "auth",
    "storefront-register",
    "storefront/people/register.html",
    "Storefront: create your account",
    user=ANONYMOUS,
)
def sf_register():
    return _register()


@state(
    "auth",
    "storefront-register-refused",
    "storefront/people/register.html",
    "Storefront: create your account, refused input",
    user=ANONYMOUS,
)
def sf_register_refused():
    return _register(
        {
            "company": [texts.ACCOUNT_NAME_REQUIRED],
            "country": [texts.REGISTRATION_COUNTRY_INVALID],
            "vat_number": [texts.REGISTRATION_VAT_COUNTRY],
            "password": [texts.PASSWORD_TOO_SHORT.format(min=12)],
        }
    )


@state(
    "auth",
    "storefront-register-closed",
    "storefront/people/register.html",
    "Storefront: registration is off",
    user=ANONYMOUS,
)
def sf_register_closed():
    return _register(closed=True)


def _registration_email(kind, title, **context):
    @state(
        "emails",
        kind,
        "emails/_preview.html",
        title,
        user=ANONYMOUS,
        note=f"Edit webapp/templates/emails/{kind}.txt",
    )
    def preview():
        from webapp.emails import render_email, template_of

        subject, body = render_email(kind, {"tenant": TENANT, **context})
        return {
            "kind": kind,
            "template": template_of(kind),
            "recipient": "it@wayne.example",
            "subject": subject,
            "body": body,
        }

    return preview


_registration_email(
    "registration_received",
    "Self-registration received",
    name="Bruce Wayne",
    company="Wayne Enterprises",
    email="it@wayne.example",
)
_registration_email(
    "registration_exists",
    "Self-registration with an address in use",
    name="Bruce Wayne",
    company="Wayne Enterprises",
    email="it@wayne.example",
)
_registration_email(
    "registration_approved",
    "Self-registered account approved",
    account=NS(name="Wayne Enterprises"),
)


@state(
    "auth",
    "storefront-second-factor",
    "storefront/people/second_factor.html",
    "Storefront sign-in: the two-factor code",
    user=ANONYMOUS,
)
def sf_second_factor():
    return {"form": _code_form(), "error": None}


@state(
    "storefront",
    "two-factor-setup",
    "storefront/people/two_factor_setup.html",
    "Storefront: set up two-factor sign-in (optional)",
)
def sf_two_factor_setup():
    return _setup()


@state(
    "storefront",
    "two-factor-on",
    "storefront/people/two_factor_setup.html",
    "Storefront: two-factor sign-in on (set up again, or turn it off with a code)",
)
def sf_two_factor_on():
    return _setup(enabled=True)


@state(
    "storefront",
    "two-factor-off-wrong",
    "storefront/people/two_factor_setup.html",
    "Storefront: turning two-factor sign-in off, a wrong code",
)
def sf_two_factor_off_wrong():
    return _setup(enabled=True, off_errors={"off_code": [texts.TOTP_CODE_WRONG]})


@state(
    "storefront",
    "two-factor-recovery-codes",
    "storefront/people/recovery_codes.html",
    "Storefront: the recovery codes, shown once",
)
def sf_recovery_codes():
    return bss_recovery_codes()


@state(
    "auth",
    "storefront-register-received",
    "storefront/people/register.html",
    "Storefront: account created, what happens next",
    user=ANONYMOUS,
)
def sf_register_received():
    return {**_register(closed=True), "received": True}
