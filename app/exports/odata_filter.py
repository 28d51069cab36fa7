"""Central's OData `$filter` subset (lib/data/odata-filter.js) compiled to SQLAlchemy clauses:
`__id` and `__system/*` fields; eq ne lt le gt ge, and or not, parentheses;
year month day hour minute second now(); string, number, null, boolean and date literals."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Numeric,
    String,
    and_,
    extract,
    false,
    literal,
    not_,
    or_,
    true,
)

from app import problems
from app.models import Submission

SUBMISSIONS = {
    "__id": Submission.instance_id,
    "__system/submissionDate": Submission.created_at,
    "__system/updatedAt": Submission.updated_at,
    "__system/submitterId": Submission.submitter_id,
    "__system/reviewState": Submission.review_state,
    "__system/deletedAt": Submission.deleted_at,
}
# Repeat tables filter on their submission: `$root/Submissions/__system/...`.
SUBTABLE = {f"$root/Submissions/{k}": v for k, v in SUBMISSIONS.items()}

_TOKEN = re.compile(r"""\s*(?:
    (?P<date>\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<punct>[(),])
  | (?P<word>[$A-Za-z_][\w/$]*)
)""", re.VERBOSE)
_COMPARE = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
            "ge": "__ge__"}
_PARTS = ("year", "month", "day", "hour", "minute", "second")
# Bounds that keep a hostile filter cheap and within the database's types: nesting (each
# parenthesis or `not`) is parsed by recursion, and a number must fit a BIGINT.
MAX_DEPTH = 32
MAX_TOKENS = 1000
MAX_INT = 2**63 - 1
_SQL_KINDS = (("datetime", DateTime), ("number", Integer | Numeric), ("string", String),
              ("boolean", Boolean))


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise problems.unparseable_odata(f"unexpected character at {at}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind)))
        at = match.end()
    return out


class _Parser:
    def __init__(self, text: str, columns: dict) -> None:
        self.tokens = _tokens(text)
        if len(self.tokens) > MAX_TOKENS:
            raise problems.unparseable_odata(f"more than {MAX_TOKENS} terms")
        self.pos = 0
        self.depth = 0
        self.columns = columns

    def nested(self):
        """Count one level of nesting (parenthesis or `not`); too deep is a 400."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise problems.unparseable_odata(f"nested more than {MAX_DEPTH} deep")
        return self

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise problems.unparseable_odata(f"expected {value or 'more'}")
        self.pos += 1
        return token

    def parse(self) -> ColumnElement[bool]:
        clause = self.disjunction()
        if self.peek() is not None:
            raise problems.unparseable_odata(f"unexpected {self.peek()[1]}")
        return clause

    def disjunction(self):
        clause = self.conjunction()
        while self._word("or"):
            clause = or_(clause, self.conjunction())
        return clause

    def conjunction(self):
        clause = self.negation()
        while self._word("and"):
            clause = and_(clause, self.negation())
        return clause

    def negation(self):
        if self._word("not"):
            self.nested()
            inner = self.negation()
            self.depth -= 1
            return not_(inner)
        return self.comparison()

    def comparison(self):
        left = self.operand()
        token = self.peek()
        if token is None or token[1] not in _COMPARE:
            if _is_sql(left) and _kind(left) == "boolean":  # a comparison in parentheses
                return left
            raise problems.unparseable_odata("expected a comparison")
        self.pos += 1
        right = self.operand()
        left, right = _coerce(left, right, token)
        if not _is_sql(left) and not _is_sql(right):
            # Two literals: decided here (PostgreSQL cannot type `$1 IS NULL` or `$1 < $2`).
            if left is None or right is None:
                same = left is right
                return true() if same == (token[1] == "eq") else false()
            return true() if getattr(left, _COMPARE[token[1]])(right) else false()
        if token[1] in ("eq", "ne") and (left is None or right is None):
            column = right if left is None else left
            return column.is_(None) if token[1] == "eq" else column.is_not(None)
        if not _is_sql(left):
            left = literal(left)
        return getattr(left, _COMPARE[token[1]])(right)

    def _word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1] == word:
            self.pos += 1
            return True
        return False

    def operand(self):
        kind, value, at = self.take()
        if value == "(":
            self.nested()
            inner = self.disjunction()
            self.take(")")
            self.depth -= 1
            return inner
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            number = float(value) if "." in value else int(value)
            if abs(number) > MAX_INT:
                raise problems.unparseable_odata(f"the number at {at} is too large")
            return number
        if kind == "date":
            return _date(value, at)
        if value in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[value]
        if self.peek() is not None and self.peek()[1] == "(":
            return self.call(value, at)
        if value in self.columns:
            return self.columns[value]
        raise problems.unsupported_odata_field(at, value)

    def call(self, name: str, at: int):
        self.take("(")
        if name == "now":
            self.take(")")
            return datetime.now(UTC)
        if name not in _PARTS:
            raise problems.unsupported_odata_expression(at, "MethodCallExpression", name)
        arg = self.operand()
        self.take(")")
        if _kind(arg) != "datetime":
            raise problems.unparseable_odata(f"{name}() at {at} takes a date and time")
        return extract(name, arg)


def _is_sql(value) -> bool:
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


def _date(text: str, at: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise problems.unparseable_odata(f"the date at {at} is not a valid date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _kind(value) -> str | None:
    """"datetime", "number", "string", "boolean", or None (null): what SQL may compare."""
    if value is None:
        return None
    if _is_sql(value):
        sql_type = getattr(value.type, "impl", value.type)
        for kind, types in _SQL_KINDS:
            if isinstance(sql_type, types):
                return kind
        return "other"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    return "string"


def _coerce(left, right, token: tuple[str, str, int]):
    """Both sides of a comparison of one kind (or null): PostgreSQL refuses `text = 5`. A
    quoted string compared with a date and time is read as one."""
    if {_kind(left), _kind(right)} == {"datetime", "string"}:
        # Only a quoted literal is read as a date; a text field stays a text field (400 below).
        if isinstance(left, str) and _is_sql(right):
            left = _date(left, token[2])
        elif isinstance(right, str) and _is_sql(left):
            right = _date(right, token[2])
    kinds = {_kind(left), _kind(right)} - {None}
    if len(kinds) > 1:
        raise problems.unparseable_odata(
            f"{token[1]} at {token[2]} compares a {' with a '.join(sorted(kinds))}")
    if token[1] not in ("eq", "ne") and None in (_kind(left), _kind(right)):
        raise problems.unparseable_odata(f"{token[1]} at {token[2]} cannot compare with null")
    return left, right


def to_sql(text: str, columns: dict) -> ColumnElement[bool]:
    """The WHERE clause for a `$filter` expression; 400.18 unparseable, 501.4/501.5 unsupported."""
    return _Parser(text, columns).parse()
