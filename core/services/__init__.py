"""Use cases: each takes a SQLAlchemy session and plain values, loads what it needs, applies the
rules of :mod:`core.rules`, and commits once (see :func:`core.db.write_transaction`)."""
