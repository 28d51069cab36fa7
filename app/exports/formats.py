"""The export format registry: every downloadable format, by the name in its URL.

A format is served at `GET /v1/projects/{pid}/forms/{fid}/submissions.{name}` (sync, or as a
background job for large exports, see app/exports/jobs.py) and by `flask export --format
{name}`. Adding one is a single `register(...)` call at the bottom of this module:

    register(Format(name="xlsx", suffix=".xlsx",
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    producer=_xlsx))

where the producer takes an `app.exports.spec.Source` and yields the file's bytes:

    def _xlsx(source: Source) -> Iterator[bytes]:
        from app.exports import xlsx_export          # import the writer lazily
        yield from xlsx_export.workbook(source.model, source.chunks(), mask=source.mask,
                                        phone_paths=source.phone_paths,
                                        language=source.spec.language)

`source.spec` is the plain ExportSpec; `source.form`, `.model`, `.versions`, `.mask`,
`.phone_paths`, `.extra_fields` are ready; `source.chunks()` streams the rows (lists of
queries.Row, constant memory) and reports progress to the job (pass `report=False` for a
preliminary pass). Producers never see the request: the caller has authorised and audited.
Mask every value in `source.phone_paths` with `source.mask` when it is not None.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.exports.spec import ExportSpec, Progress, Source

if TYPE_CHECKING:
    from app.exports.columns import Table
    from app.exports.csv_export import CsvOptions

Producer = Callable[[Source], Iterator[bytes]]


class FormatUnavailable(Exception):
    """The format's optional packages are not installed here; the message says how to add
    them (the web answers 501, the CLI exits 1)."""


@dataclass(frozen=True)
class Format:
    """A downloadable format: `name` in the URL (`submissions.{name}`) and `--format`,
    `suffix` of the file name (`{xmlFormId}{suffix}`), its `mimetype`, its `producer`, and
    `requires`, a check that raises FormatUnavailable when an optional package is missing."""

    name: str
    suffix: str
    mimetype: str
    producer: Producer
    requires: Callable[[], None] | None = None

    def filename(self, xml_form_id: str) -> str:
        return f"{xml_form_id}{self.suffix}"

    def check(self) -> None:
        """Raise FormatUnavailable when this server cannot write the format."""
        if self.requires is not None:
            self.requires()


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add (or replace) a format; returns it."""
    FORMATS[fmt.name] = fmt
    return fmt


def get(name: str) -> Format | None:
    return FORMATS.get(name)


def names() -> list[str]:
    return sorted(FORMATS)


def produce(spec: ExportSpec, progress: Progress | None = None) -> Iterator[bytes]:
    """The export's bytes, streamed; `progress(n)` is called after each chunk of n rows."""
    fmt = FORMATS.get(spec.format)
    if fmt is None:
        raise KeyError(f"unknown export format {spec.format!r} (known: {', '.join(names())})")
    fmt.check()
    return fmt.producer(Source(spec, progress))


# ---- Central's CSV zip and CSV ---------------------------------------------------------------
def csv_options(source: Source) -> CsvOptions:
    """Central's CSV options of the spec, with the phone mask (csv_export.CsvOptions)."""
    from app.exports.csv_export import CsvOptions

    spec = source.spec
    options = CsvOptions(attachments=spec.attachments, group_paths=spec.group_paths,
                         split_select_multiples=spec.split_select_multiples,
                         deleted_fields=spec.deleted_fields, mask=source.mask,
                         phone_paths=source.phone_paths, formula_safe=spec.formula_safe)
    if spec.deleted_fields:
        options.extra_fields = source.extra_fields
    return options


def _csv_layout(source: Source, options: CsvOptions) -> list[Table]:
    from app.exports import csv_export

    values = None
    if options.split_select_multiples:
        values = csv_export.observed_select_values(
            source.model, source.chunks(extras=False, report=False))
    return csv_export.layout_for(source.model, options, values)


def _csv(source: Source) -> Iterator[bytes]:
    from app.exports import csv_export

    options = csv_options(source)
    layout = _csv_layout(source, options)
    yield from csv_export.root_csv(layout, options, source.chunks())


def _csv_zip(source: Source) -> Iterator[bytes]:
    from app.exports import csv_export

    options = csv_options(source)
    layout = _csv_layout(source, options)
    media = (csv_export.media_files(source.form.id, source.spec.filters)
             if options.attachments else ())
    yield from csv_export.csv_zip(layout, options, source.chunks(), media)


register(Format("csv.zip", ".csv.zip", "application/zip", _csv_zip))
register(Format("csv", ".csv", "text/csv", _csv))


# ---- XLSX, GeoJSON, JSON Lines, SPSS and Stata (app/exports/*_export.py) ---------------------
def _xlsx(source: Source) -> Iterator[bytes]:
    """The CSV zip's tables as sheets (Central's CSV options apply), typed cells."""
    from app.exports import xlsx_export

    options = csv_options(source)
    options.attachments = False
    layout = _csv_layout(source, options)
    yield from xlsx_export.write_xlsx(layout, options, source.chunks())


def _geojson(source: Source) -> Iterator[bytes]:
    """Central's FeatureCollection of each submission's default geo field (the HTTP route
    also takes Central's `fieldpath` and `limit`)."""
    from app.exports import geojson_export

    yield from geojson_export.write_geojson(geojson_export.version_models(source.form.id),
                                            source.model, source.chunks(extras=False))


def _jsonl(source: Source) -> Iterator[bytes]:
    from app.exports import jsonl_export

    yield from jsonl_export.write_jsonl(source.model, source.chunks(), mask=source.mask,
                                        phone_paths=source.phone_paths)


STATS_HOW_TO = ("SPSS (.sav) and Stata (.dta) exports need the optional statistics packages "
                "(pyreadstat with pandas and numpy, about 160 MB): install them with `pip "
                "install -r requirements-stats.txt -c constraints.txt` and restart the server")


def _stats_installed() -> None:
    """pyreadstat writes from a pandas DataFrame: both must import."""
    try:
        import pandas  # noqa: F401
        import pyreadstat  # noqa: F401
    except ImportError:
        raise FormatUnavailable(STATS_HOW_TO) from None


def _stats(fmt: str, zipped: bool) -> Producer:
    """SPSS (`sav`) or Stata (`dta`): the root table, or (`zipped`) every table in a zip;
    labels in `spec.language` (LookupError for a language the form does not have)."""

    def produce_stats(source: Source) -> Iterator[bytes]:
        from app.exports import stats_export
        from app.exports.typed import pick_language

        model = source.model
        try:
            language = pick_language(model.languages, model.default_language,
                                     source.spec.language)
        except LookupError:
            raise LookupError(
                f"unknown language {source.spec.language!r}; the form's languages are: "
                f"{', '.join(model.languages) or 'none'}") from None
        yield from stats_export.write_stats(model, source.chunks(), fmt, zipped=zipped,
                                            language=language, mask=source.mask,
                                            phone_paths=source.phone_paths)

    return produce_stats


register(Format("xlsx", ".xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx))
register(Format("geojson", ".geojson", "application/json", _geojson))
register(Format("jsonl", ".jsonl", "application/x-ndjson", _jsonl))
register(Format("sav", ".sav", "application/x-spss-sav", _stats("sav", False), _stats_installed))
register(Format("sav.zip", ".sav.zip", "application/zip", _stats("sav", True), _stats_installed))
register(Format("dta", ".dta", "application/x-stata-dta", _stats("dta", False), _stats_installed))
register(Format("dta.zip", ".dta.zip", "application/zip", _stats("dta", True), _stats_installed))
