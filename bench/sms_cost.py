"""Messages and SMS parts per completed survey, for each demo form and language: the shortest
and longest path, computed from the form by answering it with the real engine
(sms_flows/cost.py). One command, prints its figures:

    .venv/bin/python bench/sms_cost.py [--segments 2] [--lookalikes] [FORM.xlsx ...]
        [--setting "sdg5_safety:consent=consent safe_now" ...]

`--setting FORM:COLUMN=VALUE` adds a settings-sheet column to a form first (the shared forms
declare no `consent`: with one, a declined consent is its own column, not a completed path).

SMS at the channel's default budget (2 parts a reply, no look-alikes), the same survey as
USSD screens and WhatsApp messages; "in" counts the texts the person sends (the keyword
included), which they pay for where short codes are not free to the sender.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FORMS = ROOT / "app" / "demo_forms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def main() -> None:
    from forms.xlsform import compile_upload
    from sms_flows import engine
    from sms_flows.cost import survey_cost

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", type=Path)
    parser.add_argument("--segments", type=int, default=2)
    parser.add_argument("--lookalikes", action="store_true")
    parser.add_argument("--setting", action="append", default=[],
                        help="FORM:COLUMN=VALUE, a settings-sheet column added to a form")
    args = parser.parse_args()
    paths = args.forms or sorted(FORMS.glob("*.xlsx"))
    settings = {"segments": args.segments, "lookalikes": args.lookalikes}
    added: dict[str, list[tuple[str, str]]] = {}
    for item in args.setting:
        form, _, pair = item.partition(":")
        column, _, value = pair.partition("=")
        added.setdefault(form, []).append((column, value))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; SMS budget "
          f"{args.segments} parts, look-alikes {'on' if args.lookalikes else 'off'}"
          + "".join(f"; {form}: " + ", ".join(f"{c} = {v}" for c, v in pairs)
                    for form, pairs in added.items()))
    print(f"{'form':12} {'language':15} {'SMS short':>22} {'SMS long':>22} "
          f"{'USSD':>7} {'WhatsApp':>8} {'declined':>9} {'paths':>5} {'s':>5}")
    for path in paths:
        compiled = compile_upload(_with_settings(path, added.get(path.stem, [])), XLSX,
                                  path.name, validate=False, ignore_warnings=True)
        model = engine.parse_form(compiled.xml, compiled.conversation)
        keyword = compiled.sms_keyword or "KEY"
        started = time.perf_counter()
        sms = survey_cost(model, "sms", settings, keyword)
        ussd = survey_cost(model, "ussd", settings, keyword)
        whatsapp = survey_cost(model, "whatsapp", settings, keyword)
        took = time.perf_counter() - started
        for by_sms, by_ussd, by_whatsapp in zip(sms, ussd, whatsapp, strict=True):
            print(f"{compiled.form_id:12} {(by_sms.language or '-')[:15]:15} "
                  f"{_sms(by_sms.shortest):>22} {_sms(by_sms.longest):>22} "
                  f"{_span(by_ussd, 'messages_out'):>7} {_span(by_whatsapp, 'messages_out'):>8} "
                  f"{_sms(by_sms.declined, short=True):>9} "
                  f"{by_sms.paths:>4}{'' if by_sms.exhaustive else '+'} {took:5.1f}")
    print("SMS: in/out texts, out parts (GSM-7+UCS-2); USSD: screens, shortest-longest; "
          "WhatsApp: messages out; declined: a declined consent's out texts/parts; "
          "paths: completed and declined paths seen (+: search stopped early)")


def _with_settings(path: Path, columns: list[tuple[str, str]]) -> bytes:
    """The XLSForm's bytes, with settings-sheet columns added."""
    if not columns:
        return path.read_bytes()
    from tests.forms.xlsform_builder import with_settings

    return with_settings(path, columns)


def _sms(cost, short: bool = False) -> str:
    if cost is None:
        return "-"
    if short:
        return f"{cost.messages_out}/{cost.segments}"
    return (f"{cost.messages_in}/{cost.messages_out} {cost.segments} "
            f"({cost.gsm7}+{cost.ucs2})")


def _span(result, field: str) -> str:
    if result.shortest is None:
        return "-"
    return f"{getattr(result.shortest, field)}-{getattr(result.longest, field)}"


if __name__ == "__main__":
    main()
