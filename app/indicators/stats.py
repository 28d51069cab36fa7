"""Point estimates and 95% intervals of one cell: Wilson for proportions, Student's t for
means, none for counts (a count of reports is what was reported, not a sample estimate).

Pure arithmetic (no scipy): the t quantile comes from the regularised incomplete beta
function by bisection, exact to ~1e-12, cached per degrees of freedom.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
SIGNIFICANT = 10  # figures kept: sums may differ in the last bits between databases


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None


def rounded(x: float | None) -> float | None:
    """Same figures on every database: sums of floats can differ in their last bits."""
    if x is None or math.isnan(x):
        return None
    return float(f"{x:.{SIGNIFICANT}g}")


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927); good at small n and near 0 or 1."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(kind: str, n: float, num: float, num2: float) -> Estimate:
    """The value of one cell and its interval; n is the cell's population size."""
    if n <= 0:
        return Estimate(None, None, None)
    if kind == "count":
        return Estimate(rounded(num), None, None)
    if kind == "proportion":
        low, high = wilson(num, n)
        return Estimate(rounded(num / n), rounded(low), rounded(high))
    mean = num / n
    if n < 2:
        return Estimate(rounded(mean), None, None)
    variance = max(0.0, (num2 - n * mean * mean) / (n - 1))
    half = t_quantile(int(n) - 1) * math.sqrt(variance / n)
    return Estimate(rounded(mean), rounded(mean - half), rounded(mean + half))


@lru_cache(maxsize=4096)
def t_quantile(df: int, p: float = 0.975) -> float:
    """The p-quantile of Student's t with df degrees of freedom (p > 0.5)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df > 100_000:
        return _normal_quantile(p)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return (lo + hi) / 2


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t, through the regularised incomplete beta function."""
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta I_x(a, b) (continued fraction, modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1 - _betainc(b, a, 1 - x)
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h
