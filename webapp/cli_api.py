"""``flask api-keys create``: an API key (issue 18) from the command line, as BSS > API keys
makes it (core.services.api_keys), for scripts and first set-ups. Prints the key alone, once:
``KEY=$(flask api-keys create --as admin@skyline.example)``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from core.enums import Role, UserKind
from core.models import User
from core.services import api_keys
from core.services.errors import ValidationFailed
from webapp.extensions import db

api_keys_cli = AppGroup("api-keys", help="Public API keys.")


@api_keys_cli.command("create")
@click.option("--as", "email", required=True, help="e-mail of the BSS user the key acts as")
@click.option("--name", default="Command line", show_default=True, help="who uses the key")
@click.option(
    "--scope", type=click.Choice(["read", "read_write"]), default="read_write", show_default=True
)
@click.option("--days", type=int, default=30, show_default=True, help="expiry; 0: never")
def create(email: str, name: str, scope: str, days: int):
    """Create a key acting as a BSS user; made in the name of an admin of that user's tenant."""
    user = db.session.scalar(
        select(User).where(User.email == email.strip().lower(), User.kind == UserKind.BSS)
    )
    if user is None:
        raise click.ClickException(f"No BSS user {email}.")
    admin = (
        user
        if user.role == Role.ADMIN
        else db.session.scalar(
            select(User)
            .where(User.tenant_id == user.tenant_id, User.role == Role.ADMIN, User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
    )
    try:
        created = api_keys.create_key(
            db.session,
            user.tenant_id,
            admin or user,
            name=name,
            user_id=user.id,
            scope=scope,
            expires_in_days=days or None,
        )
    except ValidationFailed as refused:
        raise click.ClickException(refused.message) from None
    click.echo(created.token)


def register(app: Flask) -> None:
    app.cli.add_command(api_keys_cli)
