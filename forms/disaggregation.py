"""Standard SDG disaggregation values read from answers: sex spelled many ways, age bands."""

from __future__ import annotations

# Choice names and typed answers for sex, in the four languages the project speaks.
SEX = {
    "female": "female", "f": "female", "woman": "female", "women": "female", "girl": "female",
    "mwanamke": "female", "mujer": "female", "femenino": "female", "mahila": "female",
    "male": "male", "m": "male", "man": "male", "men": "male", "boy": "male",
    "mwanaume": "male", "hombre": "male", "masculino": "male", "purush": "male",
}


def normalise_sex(value: object) -> str:
    """"Mwanamke" -> "female"; an unknown spelling is kept, lower-cased (e.g. "other")."""
    text = str(value).strip().lower()
    return SEX.get(text, text)


def five_year_band(years: int) -> str:
    """Five-year bands as the UN Statistics Division reports them, 80+ at the top."""
    if years >= 80:
        return "80+"
    low = max(years, 0) // 5 * 5
    return f"{low}-{low + 4}"


def age_band(years: float, cuts: tuple[int, ...]) -> str:
    """The band of `years` between declared cut points: cuts (15, 25) give "<15", "15-24",
    "25+". A fractional age falls in the band of its whole years."""
    if not cuts or years < cuts[0]:
        return f"<{cuts[0]}" if cuts else "all"
    for low, high in zip(cuts, cuts[1:], strict=False):
        if low <= years < high:
            return f"{low}-{high - 1}"
    return f"{cuts[-1]}+"
