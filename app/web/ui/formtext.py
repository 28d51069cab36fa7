"""A form's own words in the reader's language: labels of questions and choices in the form
language matching the UI's (else the form's default), SDG codes with catalogue titles."""
from __future__ import annotations

from forms.model import Choice, Field, FormModel
from forms.sdg import catalogue
from forms.walker import language_code


def form_language(model: FormModel, ui_language: str) -> str | None:
    """The form's language whose code is the UI's, else its default, else its first."""
    for name in model.languages:
        if language_code(name) == ui_language:
            return name
    return model.default_language or (model.languages[0] if model.languages else None)


def pick(texts: dict[str, str], language: str | None) -> str:
    if not texts:
        return ""
    if language in texts:
        return texts[language]
    for key in ("", "default", None):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()))


def field_label(field: Field, language: str | None) -> str:
    return pick(field.labels, language) or field.name


def choice_label(choice: Choice, language: str | None) -> str:
    return pick(choice.labels, language) or choice.name


def sdg_title(code: str, ui_language: str) -> str:
    """The catalogue's title for a goal, target or indicator in the UI's language."""
    try:
        return catalogue.describe(code, ui_language)
    except catalogue.UnknownSdgCode:
        return code
