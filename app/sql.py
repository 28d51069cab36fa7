"""The SQL dialect differences, in one small place: upsert and insert-or-skip (ON CONFLICT),
row locks (FOR UPDATE), bulk COPY, and a write of dependent INSERTs sent as one statement.

Everything else is plain SQLAlchemy Core that runs on PostgreSQL and SQLite alike.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table, bindparam, false, literal, null, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def dialect() -> str:
    """"postgresql" or "sqlite": the dialect of the session's bind."""
    return db.engine.dialect.name


def insert(table: Any) -> Any:
    """INSERT in the session's dialect, for its ON CONFLICT clauses (both speak them)."""
    return (postgresql if dialect() == "postgresql" else sqlite).insert(table)


def insert_or_skip(table: Table, keys: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING: a row whose key exists is skipped (and,
    with RETURNING, returns nothing)."""
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))


def upsert(table: Table, keys: Sequence[str], update: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each `update` column to the new value."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update})


def accumulate(table: Table, keys: Sequence[str], add: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each `add` column to its stored value plus
    the new one: running totals kept by deltas."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in add})


def copy_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """PostgreSQL's COPY of `rows` into `table`, in the session's transaction; -> False (nothing
    done) elsewhere, for the caller's executemany INSERT. COPY streams many small rows without
    a statement per row."""
    if dialect() != "postgresql" or not rows:
        return False
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])
    return True


def rows_of(columns: Sequence[tuple[str, Any]], rows: Sequence[Sequence[Any]]) -> Any:
    """A FROM clause of literal rows (`columns`: name and type): SELECT ... UNION ALL SELECT
    ..., or one that yields nothing. Runs on both dialects (SQLite has no VALUES aliases)."""
    if not rows:
        return select(*[null().cast(type_).label(name) for name, type_ in columns]).where(
            false()).subquery()
    selects = [select(*[literal(value, type_).label(name)
                        for (name, type_), value in zip(columns, row, strict=True)])
               for row in rows]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery()


def param_rows(prefix: str, columns: Sequence[tuple[str, Any]], count: int) -> Any:
    """`rows_of` with bound parameters instead of values: `count` rows whose values are the
    parameters `{prefix}{i}_{name}` (see `row_params`), so that one statement serves every
    call with that many rows (and compiles once)."""
    if not count:
        return rows_of(columns, [])
    selects = [select(*[bindparam(f"{prefix}{i}_{name}", type_=type_).label(name)
                        for name, type_ in columns]) for i in range(count)]
    return (selects[0] if count == 1 else union_all(*selects)).subquery()


def row_params(prefix: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
               ) -> dict[str, Any]:
    """The parameters of `param_rows(prefix, columns, len(rows))` for these rows."""
    return {f"{prefix}{i}_{name}": value for i, row in enumerate(rows)
            for name, value in zip(columns, row, strict=True)}


# Write statements built once per shape (Write(key=...)), PostgreSQL's one-statement form.
_BUILT: dict[Hashable, tuple[Any, list[tuple[str, list[tuple[str, Any]]]]]] = {}
_BUILT_MAX = 256


class Write:
    """Dependent INSERTs written once, sent as ONE statement on PostgreSQL (data-modifying
    CTEs, each step reading the rows the earlier ones returned) and one by one elsewhere (each
    step then reads the earlier ones' returned rows as literal rows, `rows_of`).

    `add(name, build, columns)`: `build(refs)` makes the step's INSERT ... RETURNING `columns`
    (name, type) from `refs`, the earlier steps' rows as FROM clauses; `report`: `run()`
    returns its rows (a reported step returns one row). Every later step must select FROM the
    first, so that a first step that writes nothing (ON CONFLICT DO NOTHING) writes nothing
    at all; `run()` then returns None.

    `key`: the write's shape. Steps whose values are bound parameters (given to `run(params)`,
    each named with its step's name as prefix), never literals, build the same statement for
    every write of one shape: with a key, PostgreSQL's statement is built once per key and
    reused (building a CTE statement cost more CPU than the rest of a request). Without a
    key it is built anew.
    """

    def __init__(self, key: Hashable | None = None) -> None:
        self.key = key
        self._steps: list[tuple[str, Callable[[dict[str, Any]], Any],
                                list[tuple[str, Any]], bool]] = []

    def add(self, name: str, build: Callable[[dict[str, Any]], Any],
            columns: Sequence[tuple[str, Any]], *, report: bool = True) -> Write:
        self._steps.append((name, build, list(columns), report))
        return self

    @property
    def first(self) -> str | None:
        """The first step's name (the one later steps select FROM), if any yet."""
        return self._steps[0][0] if self._steps else None

    def run(self, params: Mapping[str, Any] | None = None) -> dict[str, tuple] | None:
        """-> each reported step's returned row, or None when the first step wrote nothing.
        `params`: the values of the steps' bound parameters."""
        params = dict(params or {})
        if dialect() == "postgresql":
            return self._as_one_statement(params)
        refs: dict[str, Any] = {}
        out: dict[str, tuple] = {}
        for index, (name, build, columns, report) in enumerate(self._steps):
            own = {k: v for k, v in params.items() if k.startswith(name)}
            rows = [tuple(row) for row in db.session.execute(build(refs), own).all()]
            if index == 0 and not rows:
                return None
            if report:
                out[name] = rows[0]
            refs[name] = rows_of(columns, rows)
        return out

    def _as_one_statement(self, params: dict[str, Any]) -> dict[str, tuple] | None:
        built = _BUILT.get(self.key) if self.key is not None else None
        if built is None:
            built = self._build()
            if self.key is not None:
                if len(_BUILT) >= _BUILT_MAX:
                    _BUILT.clear()
                _BUILT[self.key] = built
        query, reported = built
        row = db.session.execute(query, params).first()
        if row is None:
            return None
        return {name: tuple(row._mapping[f"{name}__{column}"] for column, _t in columns)
                for name, columns in reported}

    def _build(self) -> tuple[Any, list[tuple[str, list[tuple[str, Any]]]]]:
        refs: dict[str, Any] = {}
        for name, build, _columns, _report in self._steps:
            refs[name] = build(refs).cte(name)
        reported = [(name, columns) for name, _b, columns, report in self._steps if report]
        joined = refs[reported[0][0]]
        for name, _columns in reported[1:]:
            joined = joined.join(refs[name], true())
        query = select(*[refs[name].c[column].label(f"{name}__{column}")
                         for name, columns in reported for column, _type in columns]
                       ).select_from(joined).add_cte(*refs.values())
        return query, reported
