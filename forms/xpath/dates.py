"""ODK date functions: today, now, date, date-time, decimal-date-time, decimal-time, format-date."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from forms.xpath.values import (
    EPOCH,
    DateValue,
    date_value,
    datetime_days,
    parse_date,
    to_number,
    to_string,
)

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now().astimezone()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def today_fn(now: datetime | None) -> DateValue:
    """today(): the local date of the (injected) clock."""
    return date_value(_now(now).date())


def now_fn(now: datetime | None) -> DateValue:
    """now(): the (injected) clock as an ODK dateTime with its offset."""
    return date_value(_now(now))


def _as_datetime(v: object) -> date | datetime | None:
    if isinstance(v, DateValue):
        return parse_date(to_string(v))
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        if v != v or math.isinf(v):
            return None
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=float(v))
    s = to_string(v)
    d = parse_date(s)
    if d is None and s.strip():
        num = to_number(s)
        return _as_datetime(num) if num == num else None
    return d


def date_fn(v: object) -> DateValue | str:
    """date(): a number of days or a date string as a date; '' when it is not one."""
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        if v != v or math.isinf(v):
            return ""
        return date_value(EPOCH + timedelta(days=math.floor(v)))
    d = _as_datetime(v)
    if d is None:
        return ""
    return date_value(d)


def date_time_fn(v: object) -> DateValue | str:
    """date-time(): like date() but keeps the time of day."""
    d = _as_datetime(v)
    if d is None:
        return ""
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return date_value(d)


def decimal_date_time(v: object) -> float:
    """decimal-date-time(): days since the epoch, with the time as a fraction."""
    d = _as_datetime(v)
    if d is None:
        return math.nan
    return datetime_days(d) if isinstance(d, datetime) else float((d - EPOCH).days)


def decimal_time(v: object, now: datetime | None = None) -> float:
    """decimal-time(): fraction of the day, in the device's timezone, of 'HH:MM[:SS][offset]'."""
    s = to_string(v).strip()
    d = parse_date("1970-01-01T" + s) if s else None
    if not isinstance(d, datetime):
        return math.nan
    if d.tzinfo is not None:
        d = d.astimezone(_now(now).tzinfo)
    secs = d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6
    return secs / 86400.0


def format_date(v: object, fmt: str) -> str:
    """format-date(): ODK's % codes; '' when the value is not a date."""
    d = _as_datetime(v)
    if d is None:
        return ""
    dt = d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)
    codes = {
        "Y": f"{dt.year:04d}", "y": f"{dt.year % 100:02d}", "m": f"{dt.month:02d}",
        "n": str(dt.month), "b": _MONTHS[dt.month - 1], "d": f"{dt.day:02d}",
        "e": str(dt.day), "H": f"{dt.hour:02d}", "h": str(dt.hour), "M": f"{dt.minute:02d}",
        "S": f"{dt.second:02d}", "3": f"{dt.microsecond // 1000:03d}",
        "a": _DAYS[dt.weekday()],
    }
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            out.append(codes.get(code, code))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
