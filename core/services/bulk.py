"""Many rows in one statement (issue 19: a 500-item execution on PostgreSQL).

On PostgreSQL an executemany is one statement per row on the server and psycopg's Python work
per row, and SQLAlchemy's multi-row ``INSERT ... VALUES`` (used when ids come back) builds and
parses one bind parameter per value: a 500-row INSERT of nine columns is 4,500 parameters. Here
each column travels as ONE array parameter and the server unnests them: one statement, as many
parameters as columns, the same SQL text whatever the number of rows (planned once per
connection's statement cache). On SQLite, whose executemany is a loop in C, the rows keep going
through SQLAlchemy's ordinary executemany.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, bindparam, insert, text, update
from sqlalchemy.orm import Session

_SQL: dict[tuple, str] = {}  # the statement of (table, columns, returning, engine kind)


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict], returning: str | None = None
) -> list | None:
    """INSERT ``rows`` (every row with the same keys) into ``table`` in the session's
    transaction. ``returning``: a column of the new rows to return (their ids), in ``rows``
    order; for an id that relies, as SQLAlchemy's own ``sort_by_parameter_order`` does on
    PostgreSQL, on a sequence handing out growing numbers in the order rows are inserted."""
    if not rows:
        return [] if returning else None
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        statement = insert(table)
        if returning is None:
            connection.execute(statement, list(rows))
            return None
        # not ``sort_by_parameter_order``: on SQLite that is one INSERT per row; the ids are
        # sorted instead (the table is locked by the write transaction: they grow in order)
        result = connection.execute(statement.returning(table.c[returning]), list(rows))
        return sorted(result.scalars())
    names = tuple(rows[0])
    key = (table.name, names, returning)
    sql = _SQL.get(key)
    if sql is None:
        sql = _SQL[key] = _unnest_insert(table, names, returning, dialect)
    result = connection.execute(text(sql), _arrays(table, names, rows, dialect))
    if returning is None:
        return None
    return sorted(result.scalars())


def _unnest_insert(table: Table, names: tuple, returning: str | None, dialect) -> str:
    preparer = dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in names)
    arrays = _unnest(table, names, dialect)
    aliases = ", ".join(f"u{n}" for n in range(len(names)))
    sql = (
        f"INSERT INTO {preparer.format_table(table)} ({columns}) "
        f"SELECT {aliases} FROM unnest({arrays}) WITH ORDINALITY AS u({aliases}, ordinal) "
        "ORDER BY ordinal"
    )
    if returning is not None:
        sql += f" RETURNING {preparer.quote(returning)}"
    return sql


def update_rows(session: Session, table: Table, rows: Sequence[dict], key: str = "id") -> None:
    """UPDATE one row of ``table`` per entry of ``rows`` (every entry with the same keys), found
    by its ``key`` column; the other keys are the columns set. One statement on PostgreSQL
    (``UPDATE ... FROM unnest(...)``), an executemany elsewhere."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(rows[0])
    if dialect.name != "postgresql":
        statement = update(table).where(table.c[key] == bindparam("_key"))
        others = [name for name in names if name != key]
        connection.execute(
            statement, [{"_key": row[key], **{name: row[name] for name in others}} for row in rows]
        )
        return
    cache_key = ("update", table.name, names, key)
    sql = _SQL.get(cache_key)
    if sql is None:
        sql = _SQL[cache_key] = _unnest_update(table, names, key, dialect)
    connection.execute(text(sql), _arrays(table, names, rows, dialect))


def _arrays(table: Table, names: tuple, rows: Sequence[dict], dialect) -> dict[str, list]:
    """One list per column, each value as the column's type binds it."""
    params = {}
    for n, name in enumerate(names):
        process = table.c[name].type.bind_processor(dialect)
        values = [row[name] for row in rows]
        params[f"p{n}"] = [process(v) for v in values] if process else values
    return params


def _unnest(table: Table, names: tuple, dialect) -> str:
    return ", ".join(
        f"CAST(:p{n} AS {table.c[name].type.compile(dialect=dialect)}[])"
        for n, name in enumerate(names)
    )


def _unnest_update(table: Table, names: tuple, key: str, dialect) -> str:
    preparer = dialect.identifier_preparer
    target = preparer.format_table(table)
    aliases = ", ".join(f"u{n}" for n in range(len(names)))
    sets = ", ".join(
        f"{preparer.quote(name)} = u.u{n}" for n, name in enumerate(names) if name != key
    )
    return (
        f"UPDATE {target} SET {sets} FROM unnest({_unnest(table, names, dialect)}) "
        f"AS u({aliases}) WHERE {target}.{preparer.quote(key)} = u.u{names.index(key)}"
    )
