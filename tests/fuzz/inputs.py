"""Hypothesis strategies for what arrives from outside: submission XML, XForm and XLSForm
uploads, OData `$filter` text, and SMS/USSD provider callbacks (Africa's Talking and Twilio
shapes). Shared by tests/fuzz/test_input_fuzz.py and bench/fuzz."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from tests.forms.xlsform_builder import build_xlsx
from tests.fuzz.seed import FORM

# Values that broke parsers before, or might: huge, negative, not-a-number, control
# characters, markup, formulas, dates that do not exist, long words.
TRICKY = ["", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "-inf", "2026-02-30",
          "2026-13-01T25:61:00Z", "+254712345678", "0712 345 678", "=cmd|' /C calc'!A0",
          "\x00", "\x1b[31m", "a" * 5000, "<x/>", "&amp;", "'", "\"", "\\", "%s%n", "१२३",
          "-1.28 36.81 0 5", "91 181", "1 2 3 4 5", "uuid:" + "f" * 300, "\ud7ff\ue000\ufffe"]
FIELDS = ["issue", "contact_number", "full_name", "households", "place", "meta", "group",
          "repeat", "x"]


def text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TRICKY),
                     st.text(st.characters(exclude_categories=("Cs",)), max_size=40))


def _node(depth: int) -> st.SearchStrategy[str]:
    leaf = st.builds(lambda tag, value: f"<{tag}>{escape(value)}</{tag}>",
                     st.sampled_from(FIELDS), text())
    if depth <= 0:
        return leaf
    return st.one_of(leaf, st.builds(lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>",
                                     st.sampled_from(FIELDS),
                                     st.lists(_node(depth - 1), max_size=3)))


@st.composite
def submission_xml(draw) -> bytes:
    """Mostly well-formed instances of the seeded form with odd values; some broken ones."""
    form_id = draw(st.sampled_from(["hotline", "hotline", "other", "", "hot line"]))
    version = draw(st.sampled_from(["1", "1", "2", "", "x" * 300]))
    instance_id = draw(st.one_of(st.builds(lambda n: f"uuid:fuzz-{n}", st.integers(0, 10**6)),
                                 text()))
    kids = "".join(draw(st.lists(_node(3), max_size=6)))
    meta = f"<meta><instanceID>{escape(instance_id)}</instanceID>" + draw(st.sampled_from(
        ["", "<deprecatedID>uuid:nope</deprecatedID>", "<instanceName>n</instanceName>"])) \
        + "</meta>"
    xml = (f'<data id={quoteattr(form_id)} version={quoteattr(version)}>{kids}{meta}</data>')
    mangle = draw(st.sampled_from(["none", "none", "none", "truncate", "bytes", "dtd",
                                   "namespace"]))
    if mangle == "truncate":
        xml = xml[:draw(st.integers(0, len(xml)))]
    elif mangle == "dtd":
        xml = '<!DOCTYPE d [<!ENTITY e "x">]>' + xml
    elif mangle == "namespace":
        xml = xml.replace("<data ", '<data xmlns="http://opendatakit.org/submissions" '
                                    'xmlns:orx="http://openrosa.org/xforms" ', 1)
    data = xml.encode("utf-8")
    if mangle == "bytes":
        data = draw(st.binary(max_size=200)) + data[draw(st.integers(0, len(data))):]
    return data


BIND_TYPES = ["string", "int", "decimal", "date", "dateTime", "time", "geopoint", "geotrace",
              "binary", "boolean", "barcode", "select1", "xsd:int", "nonsense", ""]


@st.composite
def xform(draw) -> bytes:
    """The seeded XForm with its binds, ids, title and attributes changed at random."""
    xml = FORM.replace('id="hotline"', f'id={quoteattr(draw(text()) or "f")}')
    for field in ("issue", "households", "place"):
        kind = draw(st.sampled_from(BIND_TYPES))
        xml = xml.replace(f'nodeset="/data/{field}" type="', f'nodeset="/data/{field}" '
                          f'constraint={quoteattr(draw(text()))} type="{kind}" x="', 1)
    xml = xml.replace("<h:title>Hotline</h:title>", f"<h:title>{escape(draw(text()))}</h:title>")
    if draw(st.booleans()):
        xml = xml.replace('ds:privacy="phone"', f"ds:privacy={quoteattr(draw(text()))}")
    if draw(st.booleans()):
        xml = xml[:draw(st.integers(0, len(xml)))]
    return xml.encode("utf-8", "surrogatepass")


def cell() -> st.SearchStrategy[str]:
    """Text a worksheet can hold (no control characters: openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return text().map(lambda value: ILLEGAL_CHARACTERS_RE.sub("", value))


QUESTION_TYPES = ["text", "integer", "decimal", "date", "geopoint", "note", "calculate",
                  "select_one yn", "select_multiple yn", "select_one missing", "begin group",
                  "end group", "begin repeat", "end repeat", "phonenumber", "image", "range",
                  "nonsense", ""]


@st.composite
def xlsform(draw) -> bytes:
    """A small workbook: random question types, names, labels and our own columns."""
    rows = [["type", "name", "label", "privacy", "sdg", "disaggregation", "constraint",
             "relevant", "calculation"]]
    for _ in range(draw(st.integers(0, 8))):
        rows.append([draw(st.sampled_from(QUESTION_TYPES)),
                     draw(st.one_of(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True),
                                    cell())),
                     draw(cell()),
                     draw(st.sampled_from(["", "phone", "personal", "none", "PHONE", "secret"])),
                     draw(st.sampled_from(["", "6", "6.1", "5.2.1", "99", "x"])),
                     draw(st.sampled_from(["", "sex", "age", "location", "height"])),
                     draw(st.sampled_from(["", ". > 0", ". <", "regex(., '[')", "${nope} = 1"])),
                     draw(st.sampled_from(["", "${issue} != ''", "((((", "true()"])),
                     draw(st.sampled_from(["", "1 + 1", "now()", "${x} div 0", "concat("]))])
    choices = [["list_name", "name", "label"], ["yn", "1", "Yes"], ["yn", "2", "No"]]
    settings = {"form_id": draw(st.one_of(st.just("fuzzed"), cell())) or "fuzzed",
                "version": draw(st.sampled_from(["1", "", "x" * 300])),
                "sms_keyword": draw(st.sampled_from(["", "MAJI", "two words", "ñ"]))}
    return build_xlsx(rows, choices, settings={k: v for k, v in settings.items() if v})


_FILTER_FIELDS = ["__id", "__system/submissionDate", "__system/updatedAt",
                  "__system/submitterId", "__system/reviewState", "__system/deletedAt",
                  "$root/Submissions/__id", "nope", "__system/nope"]
_LITERALS = ["'uuid:x'", "''", "'it''s'", "1", "-1", "99999999999999999999", "1.5",
             "2026-01-01", "2026-01-01T00:00:00Z", "2026-02-30", "null", "true", "false",
             "now()", "year(__system/submissionDate)", "month(__id)", "'2026-01-01'"]


def _comparison() -> st.SearchStrategy[str]:
    return st.builds(lambda a, op, b: f"{a} {op} {b}",
                     st.sampled_from(_FILTER_FIELDS + _LITERALS),
                     st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "has", "add"]),
                     st.sampled_from(_FILTER_FIELDS + _LITERALS))


def odata_filter() -> st.SearchStrategy[str]:
    """Grammatical `$filter`s (nested, combined, negated), and text that is not one."""
    expression = st.recursive(
        _comparison(),
        lambda inner: st.one_of(
            st.builds(lambda e: f"({e})", inner),
            st.builds(lambda e: f"not {e}", inner),
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]),
                      inner)),
        max_leaves=12)
    return st.one_of(expression, text(),
                     st.builds(lambda n: "(" * n + "1 eq 1" + ")" * n, st.integers(0, 600)))


def at_sms(sender: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    """Africa's Talking's incoming-message callback, with fields odd or missing."""
    return st.fixed_dictionaries({}, optional={
        "from": sender, "to": st.sampled_from(["21512", "", "x"]), "text": text(),
        "id": st.one_of(st.builds(lambda n: f"ATXid_{n}", st.integers(0, 10**6)), text()),
        "date": st.sampled_from(["2017-05-03T06:04:45Z", "", "yesterday"]),
        "linkId": text(), "networkCode": st.sampled_from(["63902", ""])})


def at_ussd(sender: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={
        "sessionId": st.one_of(st.builds(lambda n: f"ATUid_{n}", st.integers(0, 50)), text()),
        "serviceCode": st.sampled_from(["*384*1234#", "", "*1#"]), "phoneNumber": sender,
        "text": st.one_of(text(), st.builds("*".join, st.lists(
            st.sampled_from(["1", "2", "0", "00", "99", "", "Kisima"]), max_size=8))),
        "networkCode": st.sampled_from(["63902", ""])})


def twilio_sms(sender: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={
        "From": sender, "To": st.sampled_from(["+12028831111", ""]), "Body": text(),
        "MessageSid": st.one_of(st.builds(lambda n: f"SM{n:032d}", st.integers(0, 10**6)),
                                text()),
        "AccountSid": st.just("AC" + "0" * 32), "NumMedia": st.sampled_from(["0", "1", "x"]),
        "MediaUrl0": st.sampled_from(["http://169.254.169.254/", "x"]),
        "SmsStatus": st.sampled_from(["received", "x"])})


def senders() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["+254711000111", "+254711000112", "+14133881111",
                                      "0711000111", "", "+", "+999999999999999999"]), text())
