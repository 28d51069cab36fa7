"""Chart specs are data: built on the server from the same points the tables list."""
from __future__ import annotations

from app.indicators import charts

LABELS = {"ours": "Citizen data", "official": "Official", "period": "Period",
          "value": "Share", "low": "Low", "high": "High", "missing": "Not answered",
          "area": "Area", "form": "Mapped by the form", "model": "Tagged by the classifier",
          "count": "Submissions", "sex": "Sex"}
POINTS = [
    {"period": "2025-Q1", "value": 0.6, "low": 0.23, "high": 0.88, "n": 5, "numerator": 3,
     "suppressed": False, "sex": "female", "area": "kisumu"},
    {"period": "2025-Q2", "value": None, "low": None, "high": None, "n": None,
     "numerator": None, "suppressed": True, "sex": "male", "area": "kilifi"},
]


def test_trend_shows_unsuppressed_points_its_band_and_the_official_series():
    spec = charts.trend(POINTS, kind="proportion", title="Harassed", labels=LABELS,
                        official=[{"period": "2024", "value": 0.4}])
    assert spec["$schema"].endswith("vega-lite/v6.json")
    values = spec["data"]["values"]
    assert [(v["period"], v["source"]) for v in values] == [("2025-Q1", "Citizen data"),
                                                            ("2024", "Official")]
    band, line = spec["layer"]
    assert band["mark"]["type"] == "area" and band["encoding"]["y2"] == {"field": "high"}
    assert line["encoding"]["y"]["axis"]["format"] == ".0%"
    assert line["encoding"]["color"]["scale"]["range"] == [charts.OURS, charts.OFFICIAL]


def test_breakdown_bars_carry_their_intervals_and_leave_out_suppressed_cells():
    spec = charts.breakdown(POINTS, "sex", kind="proportion", title="By sex", labels=LABELS,
                            names={"female": "Women"})
    assert spec["data"]["values"] == [{"group": "Women", "value": 0.6, "low": 0.23,
                                       "high": 0.88, "n": 5}]
    assert spec["layer"][1]["mark"]["type"] == "rule"


def test_map_is_a_choropleth_over_uploaded_boundaries_or_points_without_tiles():
    square = {"type": "Polygon", "coordinates": [[[34, -1], [35, -1], [35, 0], [34, 0],
                                                  [34, -1]]]}
    boundaries = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"NAME": "kisumu"}, "geometry": square},
        {"type": "Feature", "properties": {"NAME": "kilifi"}, "geometry": square}]}
    spec = charts.area_map(POINTS, kind="proportion", title="Map", labels=LABELS,
                           boundaries=boundaries, match="NAME")
    assert spec["mark"]["type"] == "geoshape"
    features = spec["data"]["values"]["features"]
    assert [(f["properties"]["area"], f["properties"]["value"]) for f in features] == [
        ("kisumu", 0.6), ("kilifi", None)]
    assert spec["encoding"]["color"]["scale"] == {"scheme": "viridis"}
    points = charts.area_map(POINTS, kind="proportion", title="Map", labels=LABELS,
                             locations=[{"lat": -0.1, "lon": 34.7, "value": 1.0}])
    assert points["mark"]["type"] == "circle" and "url" not in str(points)


def test_goals_chart_shows_mapped_and_tagged_apart():
    spec = charts.goals([{"goal": 5, "label": "5 Gender equality", "form": 3, "model": 7}],
                        title="Goals", labels=LABELS)
    assert spec["data"]["values"] == [
        {"goal": "5 Gender equality", "source": "Mapped by the form", "count": 3},
        {"goal": "5 Gender equality", "source": "Tagged by the classifier", "count": 7}]
    assert spec["encoding"]["color"]["scale"]["range"] == list(charts.PALETTE[:2])


def test_the_palette_is_okabe_ito():
    assert charts.PALETTE[:3] == ("#0072B2", "#E69F00", "#009E73")


def test_map_areas_are_wound_as_d3_draws_them():
    """GeoJSON winds outer rings counter-clockwise; d3-geo (Vega) wants them clockwise, or
    it fills the rest of the globe. Holes the other way round; already-clockwise kept."""
    ring = [[34.0, -1.0], [35.0, -1.0], [35.0, 0.0], [34.0, 0.0], [34.0, -1.0]]
    hole = [[34.2, -0.8], [34.2, -0.2], [34.8, -0.2], [34.8, -0.8], [34.2, -0.8]]
    boundaries = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "kisumu"},
         "geometry": {"type": "Polygon", "coordinates": [ring, hole]}},
        {"type": "Feature", "properties": {"name": "kilifi"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[ring[::-1]]]}}]}
    spec = charts.area_map([], kind="proportion", title="t", labels=LABELS,
                           boundaries=boundaries, match="name")
    kisumu, kilifi = spec["data"]["values"]["features"]
    assert kisumu["geometry"]["coordinates"] == [ring[::-1], hole[::-1]]
    assert kilifi["geometry"]["coordinates"] == [[ring[::-1]]]
    assert boundaries["features"][0]["geometry"]["coordinates"][0] == ring  # not changed
