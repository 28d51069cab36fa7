"""Vega-Lite specs for the dashboard, built here from series points and tested as data.

One library (Vega-Lite, rendered in the page by the vendored vega-embed), one colour-blind
safe palette (Okabe & Ito), labels passed in the UI's language. Every spec carries its data
inline (no fetch from the page), so what a chart shows is what its table under it lists.
Suppressed points are left out of the marks; the tables say "suppressed".
"""
from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
OURS, OFFICIAL = PALETTE[0], PALETTE[5]
SEQUENTIAL = "viridis"  # perceptually uniform and colour-blind safe


def _base(title: str, width: int | str = "container", height: int = 220) -> dict[str, Any]:
    return {"$schema": SCHEMA, "title": title, "width": width, "height": height,
            "background": "white", "config": {"font": "system-ui, sans-serif",
                                              "axis": {"labelFontSize": 11,
                                                       "titleFontSize": 12}}}


def _value_axis(kind: str, label: str) -> dict[str, Any]:
    axis: dict[str, Any] = {"title": label}
    if kind == "proportion":
        axis["format"] = ".0%"
    return axis


def shown(points: list[dict]) -> list[dict]:
    """The points a chart draws: neither suppressed nor empty."""
    return [p for p in points if not p.get("suppressed") and p.get("value") is not None]


def trend(points: list[dict], *, kind: str, title: str, labels: dict[str, str],
          official: list[dict] | None = None) -> dict[str, Any]:
    """The value by period with its 95% band; an official series beside it, dashed."""
    rows = [{"period": p["period"], "value": p["value"], "low": p["low"], "high": p["high"],
             "n": p["n"], "source": labels["ours"]} for p in shown(points)]
    rows += [{"period": o["period"], "value": o["value"], "low": None, "high": None, "n": None,
              "source": labels["official"]} for o in (official or [])]
    x = {"field": "period", "type": "ordinal", "sort": "ascending",
         "title": labels["period"]}
    y = {"field": "value", "type": "quantitative",
         "axis": _value_axis(kind, labels["value"])}
    colour = {"field": "source", "type": "nominal", "title": None,
              "scale": {"domain": [labels["ours"], labels["official"]],
                        "range": [OURS, OFFICIAL]}}
    spec = _base(title)
    spec["data"] = {"values": rows}
    spec["layer"] = [
        {"mark": {"type": "area", "opacity": 0.2, "color": OURS},
         "transform": [{"filter": "datum.low != null"}],
         "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"},
                      "y2": {"field": "high"}}},
        {"mark": {"type": "line", "point": True},
         "encoding": {"x": x, "y": y, "color": colour,
                      "strokeDash": {"field": "source", "type": "nominal", "legend": None,
                                     "scale": {"domain": [labels["ours"], labels["official"]],
                                               "range": [[1, 0], [6, 4]]}},
                      "tooltip": _tooltip(kind, labels, "period")}},
    ]
    return spec


def _tooltip(kind: str, labels: dict[str, str], key: str) -> list[dict[str, Any]]:
    value_format = ".1%" if kind == "proportion" else ".3~g"
    return [{"field": key, "type": "nominal", "title": labels.get(key, key)},
            {"field": "value", "type": "quantitative", "format": value_format,
             "title": labels["value"]},
            {"field": "low", "type": "quantitative", "format": value_format,
             "title": labels["low"]},
            {"field": "high", "type": "quantitative", "format": value_format,
             "title": labels["high"]},
            {"field": "n", "type": "quantitative", "title": "n"}]


def breakdown(points: list[dict], dimension: str, *, kind: str, title: str,
              labels: dict[str, str], names: dict[str, str] | None = None) -> dict[str, Any]:
    """One dimension's values in one period: bars with their 95% intervals."""
    names = names or {}
    rows = [{"group": names.get(p.get(dimension) or "", p.get(dimension) or labels["missing"]),
             "value": p["value"], "low": p["low"], "high": p["high"], "n": p["n"]}
            for p in shown(points)]
    x = {"field": "group", "type": "nominal", "title": labels.get(dimension, dimension),
         "sort": None, "axis": {"labelAngle": 0}}
    spec = _base(title, height=200)
    spec["data"] = {"values": rows}
    spec["layer"] = [
        {"mark": {"type": "bar", "color": OURS},
         "encoding": {"x": x, "y": {"field": "value", "type": "quantitative",
                                    "axis": _value_axis(kind, labels["value"])},
                      "tooltip": _tooltip(kind, {**labels, "group": labels.get(dimension,
                                                                               dimension)},
                                          "group")}},
        {"mark": {"type": "rule", "color": PALETTE[7]},
         "transform": [{"filter": "datum.low != null"}],
         "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"},
                      "y2": {"field": "high"}}},
    ]
    return spec


def area_map(points: list[dict], *, kind: str, title: str, labels: dict[str, str],
             boundaries: dict | None = None, match: str | None = None,
             locations: list[dict] | None = None) -> dict[str, Any]:
    """A choropleth of the value by area over the project's boundaries (GeoJSON features
    whose property `match` holds the area's answer); without boundaries, circles at the
    submissions' points. No tiles: nothing is fetched from elsewhere."""
    spec = _base(title, height=320)
    colour = {"field": "value", "type": "quantitative", "title": labels["value"],
              "scale": {"scheme": SEQUENTIAL},
              "legend": {"format": ".0%"} if kind == "proportion" else {}}
    if boundaries is not None and match:
        values = {p.get("area"): p for p in shown(points)}
        features = []
        for feature in boundaries.get("features", []):
            key = str((feature.get("properties") or {}).get(match, ""))
            point = values.get(key)
            features.append({**feature, "geometry": d3_winding(feature.get("geometry")),
                             "properties": {
                "area": key, "value": point["value"] if point else None,
                "n": point["n"] if point else None,
                "low": point["low"] if point else None,
                "high": point["high"] if point else None}})
        spec["data"] = {"values": {"type": "FeatureCollection", "features": features},
                        "format": {"type": "json", "property": "features"}}
        spec["projection"] = {"type": "mercator"}
        spec["mark"] = {"type": "geoshape", "stroke": "white", "strokeWidth": 0.8}
        spec["encoding"] = {
            "color": {**colour, "field": "properties.value"},
            "tooltip": [{"field": "properties.area", "type": "nominal",
                         "title": labels["area"]},
                        {"field": "properties.value", "type": "quantitative",
                         "title": labels["value"],
                         "format": ".1%" if kind == "proportion" else ".3~g"},
                        {"field": "properties.n", "type": "quantitative", "title": "n"}]}
        return spec
    rows = [{"lat": p["lat"], "lon": p["lon"], "value": p["value"]}
            for p in (locations or []) if p.get("lat") is not None]
    spec["data"] = {"values": rows}
    spec["projection"] = {"type": "mercator"}
    spec["mark"] = {"type": "circle", "opacity": 0.7, "size": 30}
    spec["encoding"] = {"longitude": {"field": "lon", "type": "quantitative"},
                        "latitude": {"field": "lat", "type": "quantitative"},
                        "color": colour}
    return spec


def _signed_area(ring: list) -> float:
    """Twice the ring's planar area, longitude as x and latitude as y: > 0 counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:],
                                                                         strict=False))


def _wound(rings: list) -> list:
    out = []
    for number, ring in enumerate(rings):
        outer = number == 0
        area = _signed_area(ring) if isinstance(ring, list) and len(ring) > 3 else 0
        out.append(list(reversed(ring)) if (outer and area > 0) or (not outer and area < 0)
                   else ring)
    return out


def d3_winding(geometry: dict | None) -> dict | None:
    """A polygon as Vega's d3-geo reads it: outer rings clockwise, holes counter-clockwise.
    GeoJSON (RFC 7946) winds them the other way; d3 would then draw the rest of the globe
    (the whole map one colour)."""
    if not isinstance(geometry, dict):
        return geometry
    if geometry.get("type") == "Polygon":
        return {**geometry, "coordinates": _wound(geometry.get("coordinates") or [])}
    if geometry.get("type") == "MultiPolygon":
        return {**geometry, "coordinates": [_wound(p) for p in
                                            geometry.get("coordinates") or []]}
    return geometry


def goals(counts: list[dict], *, title: str, labels: dict[str, str]) -> dict[str, Any]:
    """The 17 goals: submissions the form maps to each, beside those the classifier tags,
    shown apart (grouped bars, two colours)."""
    rows = []
    for goal in counts:
        rows.append({"goal": goal["label"], "source": labels["form"], "count": goal["form"]})
        rows.append({"goal": goal["label"], "source": labels["model"], "count": goal["model"]})
    spec = _base(title, height=17 * 26)
    spec["data"] = {"values": rows}
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "y": {"field": "goal", "type": "nominal", "sort": None, "title": None},
        "yOffset": {"field": "source"},
        "x": {"field": "count", "type": "quantitative", "title": labels["count"]},
        "color": {"field": "source", "type": "nominal", "title": None,
                  "scale": {"domain": [labels["form"], labels["model"]],
                            "range": [PALETTE[0], PALETTE[1]]}},
        "tooltip": [{"field": "goal"}, {"field": "source"}, {"field": "count"}]}
    return spec
