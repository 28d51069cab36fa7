"""Central's OData `$filter` subset (lib/data/odata-filter.js) compiled to SQLAlchemy clauses:
`__id` and `__system/*` fields; eq ne lt le gt ge, and or not, parentheses;
year month day hour minute second now(); string, number, null, boolean and date literals."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, extract, literal, not_, or_

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
        self.pos = 0
        self.columns = columns

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
            return not_(self.negation())
        return self.comparison()

    def comparison(self):
        left = self.operand()
        token = self.peek()
        if token is None or token[1] not in _COMPARE:
            if _is_sql(left):
                return left
            raise problems.unparseable_odata("expected a comparison")
        self.pos += 1
        right = self.operand()
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
            inner = self.disjunction()
            self.take(")")
            return inner
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "date":
            return _date(value)
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
        return extract(name, arg)


def _is_sql(value) -> bool:
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_sql(text: str, columns: dict) -> ColumnElement[bool]:
    """The WHERE clause for a `$filter` expression; 400.18 unparseable, 501.4/501.5 unsupported."""
    return _Parser(text, columns).parse()
