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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, TextClause, bindparam, insert, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value


@dataclass(frozen=True)
class _Statement:
    """A PostgreSQL statement built once per table and columns: its text (parsed once) and
    each column's bind processor."""

    sql: TextClause
    names: tuple[str, ...]
    processors: tuple[Callable | None, ...]

    def params(self, rows: Sequence[dict]) -> dict[str, list]:
        """One list per column, each value as the column's type binds it."""
        params = {}
        for n, (name, process) in enumerate(zip(self.names, self.processors, strict=True)):
            values = [row[name] for row in rows]
            params[f"p{n}"] = [process(v) for v in values] if process else values
        return params


_STATEMENTS: dict[tuple, _Statement] = {}


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
    names = tuple(rows[0])
    defaults = _defaults(table, names)
    if dialect.name != "postgresql" or defaults is None:
        statement = insert(table)
        if returning is None:
            connection.execute(statement, list(rows))
            return None
        # not ``sort_by_parameter_order``: on SQLite that is one INSERT per row; the ids are
        # sorted instead (the table is locked by the write transaction: they grow in order)
        result = connection.execute(statement.returning(table.c[returning]), list(rows))
        return sorted(result.scalars())
    if defaults:  # the columns' Python defaults, as SQLAlchemy's INSERT applies them
        rows = [{**row, **{name: make() for name, make in defaults}} for row in rows]
        names += tuple(name for name, _ in defaults)
    key = ("insert", table.name, names, returning)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = _built(
            table, names, _unnest_insert(table, names, returning, dialect), dialect
        )
    result = connection.execute(statement.sql, statement.params(rows))
    if returning is None:
        return None
    return sorted(result.scalars())


def update_rows(session: Session, table: Table, rows: Sequence[dict], key: str = "id") -> None:
    """UPDATE one row of ``table`` per entry of ``rows`` (every entry with the same keys), found
    by its ``key`` column; the other keys are the columns set. One statement on PostgreSQL
    (``UPDATE ... FROM unnest(...)``), an executemany elsewhere."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(rows[0])
    # a column's ``onupdate`` is left to SQLAlchemy's own UPDATE
    if dialect.name != "postgresql" or any(
        c.onupdate is not None for c in table.c if c.name not in names
    ):
        statement = update(table).where(table.c[key] == bindparam("_key"))
        others = [name for name in names if name != key]
        connection.execute(
            statement, [{"_key": row[key], **{name: row[name] for name in others}} for row in rows]
        )
        return
    cache_key = ("update", table.name, names, key)
    statement = _STATEMENTS.get(cache_key)
    if statement is None:
        statement = _STATEMENTS[cache_key] = _built(
            table, names, _unnest_update(table, names, key, dialect), dialect
        )
    connection.execute(statement.sql, statement.params(rows))


def update_object(session: Session, obj, values: dict) -> None:
    """Write ``values`` (attribute: value, column attributes of the loaded object ``obj``, a
    table with an ``id``) now, with one Core UPDATE by its id in the session's transaction,
    and its table's ``onupdate`` stamps (``updated_at``) as the ORM's UPDATE writes them;
    ``obj`` keeps the values as committed: nothing left for a flush (issue 19, eighth pass:
    the unit of work of a flush for one order's UPDATE was a sixth of a placement's Python
    work). Any other change of ``obj`` not written yet still goes with the next flush."""
    table = obj.__table__
    statement = _UPDATES.get(table.name)
    if statement is None:
        statement = _UPDATES[table.name] = update(table).where(table.c.id == bindparam("_id"))
    values = {**values, **{name: make() for name, make in _stamps(table) if name not in values}}
    session.connection().execute(statement, {"_id": obj.id, **values})
    for name, value in values.items():
        set_committed_value(obj, name, value)


_UPDATES: dict[str, object] = {}


def _stamps(table: Table) -> tuple:
    """(column, a function of no argument giving its value) of each Python ``onupdate``."""
    if table.name not in _STAMPS:
        found = _python_values(table, "onupdate", ())
        if found is None:
            raise ValueError(f"{table.name}: an onupdate not written here")
        _STAMPS[table.name] = found
    return _STAMPS[table.name]


_STAMPS: dict[str, tuple] = {}


def _defaults(table: Table, names: tuple) -> tuple | None:
    """(column, a function of no argument giving its value) of each column not in ``names``
    with a Python default; None when one of those defaults needs SQLAlchemy's execution
    context or is an SQL expression (those rows go through SQLAlchemy's own INSERT)."""
    key = (table.name, names)
    if key not in _DEFAULTS:
        _DEFAULTS[key] = _python_defaults(table, names)
    return _DEFAULTS[key]


_DEFAULTS: dict[tuple, tuple | None] = {}


def _python_defaults(table: Table, names: tuple) -> tuple | None:
    return _python_values(table, "default", names)


def _python_values(table: Table, kind: str, names: tuple) -> tuple | None:
    """(column, a function of no argument giving its value) of each column not in ``names``
    with a Python ``kind`` (``default`` or ``onupdate``); None when one needs SQLAlchemy's
    execution context or is an SQL expression."""
    found = []
    for column in table.c:
        made = getattr(column, kind)
        if column.name in names or made is None or made.is_sequence:
            continue
        if made.is_scalar:
            found.append((column.name, lambda value=made.arg: value))
        elif made.is_callable and hasattr(made.arg, "__wrapped__"):
            found.append((column.name, made.arg.__wrapped__))  # a function of no argument
        else:
            return None
    return tuple(found)


def _built(table: Table, names: tuple, sql: str, dialect) -> _Statement:
    processors = tuple(table.c[name].type.bind_processor(dialect) for name in names)
    return _Statement(text(sql), names, processors)


def _unnest(table: Table, names: tuple, dialect) -> str:
    """One array parameter per column, cast to an array of the column's type without its
    length or precision (an explicit cast to ``VARCHAR(300)`` would cut a longer value where
    the INSERT refuses it; the column's own type still applies when the row is stored)."""
    return ", ".join(
        f"CAST(:p{n} AS {_MODIFIERS.sub('', table.c[name].type.compile(dialect=dialect))}[])"
        for n, name in enumerate(names)
    )


_MODIFIERS = re.compile(r"\(.*?\)")


def _unnest_insert(table: Table, names: tuple, returning: str | None, dialect) -> str:
    preparer = dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in names)
    aliases = ", ".join(f"u{n}" for n in range(len(names)))
    sql = (
        f"INSERT INTO {preparer.format_table(table)} ({columns}) "
        f"SELECT {aliases} FROM unnest({_unnest(table, names, dialect)}) "
        f"WITH ORDINALITY AS u({aliases}, ordinal) ORDER BY ordinal"
    )
    if returning is not None:
        sql += f" RETURNING {preparer.quote(returning)}"
    return sql


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
