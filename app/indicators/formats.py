"""Series as files for national reporting: Open SDG's per-indicator CSV and metadata, and
SDMX-CSV with the SDG data structure's columns and codes.

Open SDG (open-sdg/sdg-build) reads `indicator_5-2-2.csv`: `Year`, disaggregation columns
(blank on the headline rows), `Units`, `GeoCode`, `Value`; its metadata is YAML. SDMX-CSV
follows the SDG global DSD's column order (IAEG-SDGs:DF_SDG_GLH) with SDMX codes: SEX F/M,
AGE Y15T24 / Y_LT15 / Y_GE65, _T for a total, FREQ A/Q/M. Proportions are written as
percentages (UNIT_MEASURE PT), as the SDG database does.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import yaml

from forms.indicators import IndicatorSpec
from forms.sdg.catalogue import describe, split_code

SDMX_COLUMNS = (
    "DATAFLOW", "FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA", "SEX", "AGE",
    "URBANISATION", "INCOME_WEALTH_QUANTILE", "EDUCATION_LEV", "OCCUPATION",
    "CUST_BREAKDOWN", "COMPOSITE_BREAKDOWN", "DISABILITY_STATUS", "ACTIVITY", "PRODUCT",
    "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "UNIT_MULT", "UNIT_MEASURE", "BASE_PER",
    "NATURE", "TIME_DETAIL", "COMMENT_OBS", "TIME_COVERAGE", "UPPER_BOUND", "LOWER_BOUND",
    "SOURCE_DETAIL", "COMMENT_TS", "GEO_INFO_URL", "GEO_INFO_TYPE", "CUST_BREAKDOWN_LB",
    "DATA_LAST_UPDATE")
DATAFLOW = "IAEG-SDGs:DF_SDG_GLH(1.24)"
FREQ = {"year": "A", "quarter": "Q", "month": "M"}
SEX_CODES = {"female": "F", "male": "M", "other": "_O"}
OBS_NORMAL, OBS_SUPPRESSED = "A", "Q"  # SDMX CL_OBS_STATUS: normal; missing, suppressed
_AGE = re.compile(r"^(?:<(\d+)|(\d+)-(\d+)|(\d+)\+)$")


def units(kind: str) -> tuple[str, str, float]:
    """(Open SDG Units, SDMX UNIT_MEASURE, factor applied to values)."""
    return ("Percentage", "PT", 100.0) if kind == "proportion" else ("Number", "NUMBER", 1.0)


def _scaled(value: float | None, factor: float) -> str:
    if value is None:
        return ""
    return f"{value * factor:.10g}"


def _header(name: str) -> str:
    return name.replace("_", " ").capitalize()


def open_sdg_csv(spec: IndicatorSpec, blocks: Iterable[tuple[tuple[str, ...], list[dict]]]
                 ) -> str:
    """Open SDG's data CSV; `blocks` are (dimensions, points) of each breakdown, the headline
    (no dimension) first. Suppressed points are left out: Open SDG has no way to say so."""
    unit_name, _, factor = units(spec.kind)
    dims = [d.name for d in spec.dimensions if d.name != "area"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Year", *(_header(d) for d in dims), "Units", "GeoCode", "Value"])
    for _, points in blocks:
        for p in points:
            if p["suppressed"] or p["value"] is None:
                continue
            writer.writerow([p["period"], *(p.get(d) or "" for d in dims), unit_name,
                             p.get("area") or "", _scaled(p["value"], factor)])
    return out.getvalue()


def open_sdg_metadata(spec: IndicatorSpec, *, project: str, form: str, lang: str = "en"
                      ) -> str:
    """Open SDG's indicator metadata (YAML), from the declaration and the SDG catalogue."""
    goal, target, indicator = split_code(spec.sdg)
    unit_name, _, _ = units(spec.kind)
    label = spec.labels.get(lang) or spec.labels.get("") or next(iter(spec.labels.values()),
                                                                    spec.code)
    meta = {
        "indicator_number": indicator or spec.sdg, "indicator_name": describe(spec.sdg, lang),
        "national_indicator_available": label, "target_id": target or str(goal),
        "sdg_goal": str(goal), "reporting_status": "complete",
        "data_non_statistical": False, "graph_type": "line", "graph_title": label,
        "computation_units": unit_name, "computation_definitions": (
            f"{spec.kind}: numerator {spec.numerator}"
            + (f"; denominator {spec.denominator}" if spec.denominator else "")),
        "source_active_1": True, "source_organisation_1": project,
        "source_data_source_1": f"Citizen-generated data, form {form} (DataShift Collect)",
        "source_periodicity_1": spec.period_unit,
        "national_geographical_coverage": "",
    }
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)


def sdmx_age(value: str | None) -> str:
    """"15-24" -> Y15T24, "<15" -> Y_LT15, "65+" -> Y_GE65; a band the form names is kept."""
    if not value:
        return "_T"
    m = _AGE.match(value)
    if m is None:
        return value.upper()
    if m.group(1):
        return f"Y_LT{m.group(1)}"
    if m.group(4):
        return f"Y_GE{m.group(4)}"
    return f"Y{m.group(2)}T{m.group(3)}"


def sdmx_sex(value: str | None) -> str:
    """female -> F, male -> M, other -> _O, unanswered -> _U (SDMX's unknown)."""
    if not value:
        return "_U"
    return SEX_CODES.get(value, value.upper())


def sdmx_csv(spec: IndicatorSpec, blocks: Iterable[tuple[tuple[str, ...], list[dict]]], *,
             unit: str, ref_area: str, source: str, now: datetime | None = None) -> str:
    """SDMX-CSV (one observation per row) with the SDG DSD's columns."""
    _, unit_code, factor = units(spec.kind)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    custom = [d.name for d in spec.dimensions if d.name not in ("sex", "age", "area")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SDMX_COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for dims, points in blocks:
        for p in points:
            present = [c for c in custom if c in dims]
            row: dict[str, Any] = {
                "DATAFLOW": DATAFLOW, "FREQ": FREQ[unit],
                "REPORTING_TYPE": "N", "SERIES": spec.code,
                "REF_AREA": (p.get("area") or ref_area) if "area" in dims else ref_area,
                "SEX": sdmx_sex(p.get("sex")) if "sex" in dims else "_T",
                "AGE": (sdmx_age(p.get("age")) if p.get("age") else "_U")
                if "age" in dims else "_T",
                "CUST_BREAKDOWN": "_".join(f"{c}_{p.get(c) or 'UNKNOWN'}".upper()
                                           for c in present) or "_T",
                "CUST_BREAKDOWN_LB": "; ".join(f"{c}={p.get(c) or ''}" for c in present),
                "TIME_PERIOD": p["period"], "UNIT_MULT": 0, "UNIT_MEASURE": unit_code,
                "SOURCE_DETAIL": source, "DATA_LAST_UPDATE": stamp,
            }
            for column in ("URBANISATION", "INCOME_WEALTH_QUANTILE", "EDUCATION_LEV",
                           "OCCUPATION", "COMPOSITE_BREAKDOWN", "DISABILITY_STATUS",
                           "ACTIVITY", "PRODUCT"):
                row[column] = "_T"
            if p["suppressed"]:
                row["OBS_STATUS"] = OBS_SUPPRESSED
            else:
                row.update({"OBS_VALUE": _scaled(p["value"], factor), "OBS_STATUS": OBS_NORMAL,
                            "UPPER_BOUND": _scaled(p["high"], factor),
                            "LOWER_BOUND": _scaled(p["low"], factor),
                            "COMMENT_OBS": f"n={p['n']}"})
            writer.writerow(row)
    return out.getvalue()
