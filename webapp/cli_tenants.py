"""``flask tenants create``: a provider's first (empty) tenant and its first BSS admin (issue 15).

The admin either gets a password now (``--password-env VAR`` reads it from the environment,
``--password-prompt`` asks for it), or the command prints a set-password link (an invitation,
valid a week) to hand over. The tenant starts empty: no catalogue, no price list, no account;
the admin builds them in the BSS (README "Catalogue back office").
"""

from __future__ import annotations

import os

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup

from core import texts
from core.services import tokens
from core.services.errors import ValidationFailed
from core.services.passwords import check_password
from core.services.tenants import open_tenant
from webapp.auth import hash_password
from webapp.emails import external_base
from webapp.extensions import db

tenants_cli = AppGroup("tenants", help="Tenants (a provider's shop).")


@tenants_cli.command("create")
@click.option("--name", required=True, help="The tenant's name, e.g. 'Skyline Cloud'.")
@click.option("--slug", required=True, help="Short name: lower-case letters, digits, dashes.")
@click.option("--host", required=True, help="Host name of its Storefront, e.g. shop.example.com.")
@click.option("--admin-email", required=True, help="E-mail address of the first BSS admin.")
@click.option("--admin-name", default="Administrator", show_default=True)
@click.option("--parent", "parent_slug", default=None, help="Slug of its distributor tenant.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--password-env", default=None, help="Read the admin's password from this variable.")
@click.option("--password-prompt", is_flag=True, help="Ask for the admin's password.")
def create(
    name, slug, host, admin_email, admin_name, parent_slug, currency, timezone, password_env,
    password_prompt,
):  # fmt: skip
    """Create an empty tenant with its first BSS admin; print how the admin signs in."""
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise click.ClickException(f"${password_env} is empty or unset.")
    elif password_prompt:
        password = click.prompt("Admin password", hide_input=True, confirmation_prompt=True)
    if password is not None and (problems := check_password(password, admin_email)):
        raise click.ClickException(" ".join(problems))
    try:
        tenant, admin = open_tenant(
            db.session,
            name=name,
            slug=slug,
            host=host,
            admin_email=admin_email,
            admin_name=admin_name,
            password_hash=hash_password(password) if password is not None else None,
            parent_slug=parent_slug,
            currency=currency,
            timezone=timezone,
        )
    except ValidationFailed as error:
        raise click.ClickException(
            "; ".join(f"{k}: {m}" for k, ms in error.errors.items() for m in ms)
        ) from None
    click.echo(
        texts.TENANT_CREATED.format(
            name=tenant.name, slug=tenant.slug, host=tenant.host, email=admin.email
        )
    )
    base = external_base(tenant.host)  # the tenant's host, on PUBLIC_URL's scheme and port
    with current_app.test_request_context(base_url=base + "/"):
        if password is None:
            token = tokens.make_token(current_app.secret_key, tokens.INVITATION, admin)
            link = base + url_for("bss_admin.invitation", token=token)
            hours = tokens.MAX_AGE[tokens.INVITATION] // 3600
            click.echo(texts.TENANT_SET_PASSWORD.format(hours=hours, url=link))
        else:
            click.echo(texts.TENANT_PASSWORD_SET.format(url=base + url_for("bss_admin.login")))


def register(app: Flask) -> None:
    app.cli.add_command(tenants_cli)
