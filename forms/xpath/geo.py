"""ODK distance() and area() over geopoint strings 'lat lon [alt acc]' joined by ';'."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6378100.0  # the radius JavaRosa's GeoUtils uses


def _points(values: list[str]) -> list[tuple[float, float]] | None:
    parts = [p for v in values for p in v.split(";") if p.strip()]
    points = []
    for p in parts:
        bits = p.split()
        try:
            points.append((float(bits[0]), float(bits[1])))
        except (IndexError, ValueError):
            return None
    return points


def distance(values: list[str]) -> float:
    """Sum of great-circle distances in metres along the points; NaN when a point is bad."""
    pts = _points(values)
    if pts is None or len(pts) < 2:
        return math.nan if pts is None else 0.0
    total = 0.0
    for (la1, lo1), (la2, lo2) in zip(pts, pts[1:], strict=False):
        p1, p2 = math.radians(la1), math.radians(la2)
        dp, dl = p2 - p1, math.radians(lo2 - lo1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
    return total


def area(values: list[str]) -> float:
    """Area in square metres of the polygon the points draw (spherical approximation)."""
    pts = _points(values)
    if pts is None:
        return math.nan
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    if len(pts) < 3:
        return 0.0
    total = 0.0
    for i in range(len(pts)):
        la1, lo1 = pts[i]
        la2, lo2 = pts[(i + 1) % len(pts)]
        total += math.radians(lo2 - lo1) * (2 + math.sin(math.radians(la1)) +
                                            math.sin(math.radians(la2)))
    return abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0)
