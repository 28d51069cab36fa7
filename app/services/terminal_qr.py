"""A QR code drawn in block characters, for a terminal: what `flask app-users create`,
`flask demo` and `flask sync link` print so a phone can scan it without the web app."""
from __future__ import annotations

import io


def terminal_qr(payload: str) -> str:
    import qrcode  # only the CLI draws these; web processes need not import it

    code = qrcode.QRCode(border=1)
    code.add_data(payload)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()
