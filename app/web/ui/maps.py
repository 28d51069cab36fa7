"""Maps with no tile server: points drawn as SVG on a plain background, over the project's own
GeoJSON area boundaries when it uploaded some (app.indicators.overview). Works offline."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    label: str = ""
    href: str | None = None


def parse_geopoint(value: str | None) -> tuple[float, float] | None:
    """ODK's "lat lon [alt acc]" -> (lat, lon), or None."""
    if not value:
        return None
    parts = str(value).split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _rings(geojson: dict | None) -> list[list[tuple[float, float]]]:
    """Outer and inner rings (lon, lat) of every polygon in a GeoJSON object."""
    if not geojson:
        return []
    out: list[list[tuple[float, float]]] = []

    def walk(node):
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "FeatureCollection":
            for feature in node.get("features", []):
                walk(feature)
        elif kind == "Feature":
            walk(node.get("geometry") or {})
        elif kind == "Polygon":
            out.extend([(float(x), float(y)) for x, y, *_ in ring]
                       for ring in node.get("coordinates", []))
        elif kind == "MultiPolygon":
            for polygon in node.get("coordinates", []):
                out.extend([(float(x), float(y)) for x, y, *_ in ring] for ring in polygon)

    walk(geojson)
    return out


def svg_map(points: list[Point], boundaries: dict | None = None, width: int = 640,
            height: int = 400) -> dict:
    """What templates/ui/_map.html draws: points and boundary paths in SVG coordinates."""
    rings = _rings(boundaries)
    lons = [p.lon for p in points] + [x for ring in rings for x, _ in ring]
    lats = [p.lat for p in points] + [y for ring in rings for _, y in ring]
    if not lons:
        return {"points": [], "paths": [], "grid": [], "width": width, "height": height}
    pad = 0.1
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    span_x = max(east - west, 0.01)
    span_y = max(north - south, 0.01)
    west, east = west - span_x * pad, east + span_x * pad
    south, north = south - span_y * pad, north + span_y * pad
    # Equirectangular, scaled by cos(latitude) so shapes near the equator and in Nepal look right.
    k = math.cos(math.radians((north + south) / 2))
    scale = min(width / ((east - west) * k), height / (north - south))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        x = (lon - west) * k * scale + (width - (east - west) * k * scale) / 2
        y = (north - lat) * scale + (height - (north - south) * scale) / 2
        return round(x, 1), round(y, 1)

    paths = ["M" + " L".join(f"{x},{y}" for x, y in (xy(lon, lat) for lon, lat in ring)) + " Z"
             for ring in rings]
    drawn = [{"x": xy(p.lon, p.lat)[0], "y": xy(p.lon, p.lat)[1], "label": p.label,
              "href": p.href, "lat": p.lat, "lon": p.lon} for p in points]
    return {"points": drawn, "paths": paths, "grid": _grid(west, east, south, north, xy),
            "width": width, "height": height}


def _grid(west: float, east: float, south: float, north: float, xy) -> list[tuple]:
    """Graticule lines at a round step (about 4-8 lines), for a sense of scale."""
    span = max(east - west, north - south)
    step = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 1
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 8:
            step *= factor
            break
    lines = []
    lon = math.ceil(west / step) * step
    while lon < east:
        lines.append((*xy(lon, north), *xy(lon, south)))
        lon += step
    lat = math.ceil(south / step) * step
    while lat < north:
        lines.append((*xy(west, lat), *xy(east, lat)))
        lat += step
    return lines
