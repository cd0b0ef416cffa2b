"""BSS people (issue 14): admins invite BSS users by e-mail, set their role and team, and
deactivate them; an invited user sets their password from the e-mailed link."""

from __future__ import annotations

from flask import abort, flash, g, url_for

from bss_admin import bp
from bss_admin.people.forms import PersonForm, TeamForm
from core import texts
from core.enums import UserKind
from core.rules import roles
from core.services import people, tokens, two_factor
from core.services.errors import Conflict, NotFound, ValidationFailed
from webapp.auth import bss_required, signed_in_user
from webapp.emails import mailer
from webapp.extensions import db
from webapp.password_links import set_password_page
from webapp.web import page, see_other

people_admin = bss_required(*roles.roles_with(roles.PEOPLE))


def _team_choices():
    return [("", "— no team —")] + [(t.id, t.name) for t in people.teams(db.session, g.tenant_id)]


def _people_page(invite=None, team_form=None, errors=None, status=200):
    invite = invite or PersonForm(formdata=None)
    invite.team_id.choices = _team_choices()
    return page(
        "bss_admin/people/list.html",
        block="people",
        status=status,
        rows=people.bss_users(db.session, g.tenant_id),
        teams=people.teams(db.session, g.tenant_id),
        invite=invite,
        team_form=team_form or TeamForm(formdata=None),
        errors=errors or {},
        role_labels=roles.ROLE_LABELS,
    )


@bp.route("/people")
@people_admin
def people_list():
    return _people_page()


@bp.post("/people/invite")
@people_admin
def people_invite():
    form = PersonForm()
    form.team_id.choices = _team_choices()
    try:
        user = people.invite_bss_user(
            db.session,
            g.tenant_id,
            signed_in_user(),
            mailer("bss_admin.invitation"),
            email=form.email.data or "",
            name=form.name.data or "",
            role=form.role.data or "",
            team_id=form.team_id.data,
        )
    except ValidationFailed as error:
        return _people_page(invite=form, errors=error.errors, status=422)
    flash(texts.USER_INVITED.format(email=user.email), "success")
    return see_other(url_for("bss_admin.people_list"))


@bp.post("/people/teams")
@people_admin
def people_add_team():
    form = TeamForm()
    try:
        team = people.add_team(db.session, g.tenant_id, signed_in_user(), form.name.data or "")
    except ValidationFailed as error:
        return _people_page(team_form=form, errors={"team_name": error.errors["name"]}, status=422)
    flash(texts.TEAM_ADDED.format(name=team.name), "success")
    return see_other(url_for("bss_admin.people_list"))


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@people_admin
def person_edit(user_id: int):
    try:
        user = people.get_bss_user(db.session, g.tenant_id, user_id)
    except NotFound:
        abort(404)
    form = PersonForm(obj=user)
    form.team_id.choices = _team_choices()
    errors: dict[str, list[str]] = {}
    if form.is_submitted():
        try:
            people.update_bss_user(
                db.session,
                g.tenant_id,
                signed_in_user(),
                user_id,
                name=form.name.data or "",
                role=form.role.data or "",
                team_id=form.team_id.data,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.USER_SAVED, "success")
            return see_other(url_for("bss_admin.people_list"))
    return page(
        "bss_admin/people/edit.html",
        block="person_form",
        status=422 if errors else 200,
        person=user,
        form=form,
        errors=errors,
        invited=people.is_invited(user),
    )


def _set_active(user_id: int, active: bool):
    try:
        user = people.set_bss_user_active(
            db.session, g.tenant_id, signed_in_user(), user_id, active
        )
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(error.message, "error")
        return see_other(url_for("bss_admin.person_edit", user_id=user_id))
    message = texts.USER_REACTIVATED if active else texts.USER_DEACTIVATED
    flash(message.format(name=user.name), "success")
    return see_other(url_for("bss_admin.people_list"))


@bp.post("/people/<int:user_id>/deactivate")
@people_admin
def person_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/people/<int:user_id>/reactivate")
@people_admin
def person_reactivate(user_id: int):
    return _set_active(user_id, True)


# --- an invited BSS user sets their password (public: the signed link is the key) ----------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    return set_password_page(
        token,
        tokens.INVITATION,
        "bss_admin/people/set_password.html",
        "bss_admin.login",
        people.LinkScope(UserKind.BSS),
    )


@bp.post("/people/<int:user_id>/two-factor/reset")
@people_admin
def person_two_factor_reset(user_id: int):
    try:
        people.get_bss_user(db.session, g.tenant_id, user_id)
        user = two_factor.reset(db.session, g.tenant_id, signed_in_user(), user_id)
    except NotFound:
        abort(404)
    flash(texts.TOTP_RESET.format(name=user.name), "success")
    return see_other(url_for("bss_admin.person_edit", user_id=user_id))
