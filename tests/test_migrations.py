"""The schema comes from Alembic migrations; they must agree with the models."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import upgrade
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from core.db import Base

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_build_exactly_the_models(db_url, monkeypatch):
    engine = create_engine(db_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    monkeypatch.setenv("DATABASE_URL", db_url)
    from webapp import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x"})
    with app.app_context():
        config = Config(str(ROOT / "migrations" / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
        upgrade(config, "head")
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    # leave the database as the other tests expect it (created from the models)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    from tests import conftest

    conftest._schema_ready.discard(engine.url.render_as_string())
    engine.dispose()


def _migration(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "migrations" / "versions" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bss_address_index_is_not_built_over_twins_it_names_them(session, demo):
    """Migration 0021 stops, naming the addresses two tenants' BSS users share, rather than
    failing on the unique index (or leaving those users unable to sign in)."""
    from sqlalchemy import select, text

    from core.models import Tenant, User

    module = _migration("0021_bss_email_unique.py")
    nimbus = session.scalar(select(Tenant.id).where(Tenant.slug == "distributor"))
    connection = session.connection()
    assert module._shared_bss_addresses(connection) == []
    connection.execute(text("DROP INDEX uq_user_bss_email"))
    twin = {
        c.key: getattr(
            session.scalar(select(User).where(User.email == "admin@skyline.example")), c.key
        )
        for c in User.__table__.columns
        if c.key != "id"
    }
    twin.update(tenant_id=nimbus, email="Admin@Skyline.example")
    connection.execute(User.__table__.insert().values(**twin))
    assert module._shared_bss_addresses(connection) == ["admin@skyline.example"]
    session.rollback()
    assert module._shared_bss_addresses(session.connection()) == []
    with pytest.raises(IntegrityError):  # the index is back for the next tests
        session.connection().execute(User.__table__.insert().values(**twin))
    session.rollback()


def test_offer_numbers_continue_above_every_number_given_before(session, demo):
    """Migration 0023 seeds each tenant's offer sequence at its highest offer id (numbers
    were OF + id), so the first offer after the upgrade takes a number never given."""
    from sqlalchemy import delete, select

    from core.models import DocumentNumberSequence, Offer, Tenant
    from core.services import offers

    module = _migration("0023_offer_number_sequence.py")
    skyline = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    offer = session.scalar(select(Offer).where(Offer.tenant_id == skyline).limit(1))
    session.execute(  # as before the upgrade: no sequence, numbers from ids
        delete(DocumentNumberSequence).where(DocumentNumberSequence.kind == "offer")
    )
    top = session.scalar(select(Offer.id).order_by(Offer.id.desc()).limit(1))
    moved = top + 40  # an offer made before the upgrade, numbered from its id
    session.execute(
        Offer.__table__.insert().values(
            id=moved,
            tenant_id=skyline,
            number=f"OF{moved:07d}",
            account_id=offer.account_id,
            status_id=offer.status_id,
        )
    )
    module._seed(session.connection())
    module._seed(session.connection())  # once per tenant, whatever runs it again
    session.commit()
    new = offers.create_offer(session, skyline, None, account_id=offer.account_id, name="After")
    assert new.number == f"OF{moved + 1:07d}"
