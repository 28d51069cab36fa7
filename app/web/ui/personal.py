"""The personal-data policy on web pages, the API's own (app.web.personal_data): personal
answers show as the keyed hash for every role; a manager or admin who asks
(`?personalData=clear`) sees them in clear, and that read is audited as the API audits it.
A viewer who asks gets the API's 403."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for

from app.models import Form
from app.services import personal_data as store
from app.web import personal_data
from forms.model import FormModel


@dataclass(frozen=True)
class Personal:
    """Which answers of a form are personal, and how this request shows them."""

    paths: frozenset[str]
    clear: bool
    can_clear: bool
    mask: store.Mask

    def show(self, path: str | None, value: object) -> object:
        """The value as this page may show it: masked when personal and not asked clear."""
        if self.clear or path not in self.paths or value in (None, ""):
            return value
        return self.mask(str(value).strip())

    def url(self, clear: bool) -> str:
        """This page again, with personal answers in clear or not."""
        args = request.args.to_dict(flat=False)
        for name in personal_data.PARAMETERS:
            args.pop(name, None)
        if clear:
            args["personalData"] = ["clear"]
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def for_form(form: Form, model: FormModel, action: str) -> Personal:
    """The policy for one page over `form`; audits a clear read as `action` (the API's)."""
    paths = store.personal_paths(model)
    clear = personal_data.policy(form, action) == "clear"
    can_clear = bool(paths) and g.principal.can_form(personal_data.READ_PERSONAL,
                                                      form.project_id, form.id)
    return Personal(paths=paths, clear=clear, can_clear=can_clear, mask=store.masker())
