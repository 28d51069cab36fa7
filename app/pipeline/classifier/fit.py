"""A small L2-regularised logistic regression (pure Python) and grouped k-fold splits."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence


def sigmoid(z: float) -> float:
    """Numerically safe logistic function."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def fit_logistic(
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    groups: Sequence[int],
    n_groups: int,
    l2: float = 0.01,
    l2_group: float = 0.05,
    epochs: int = 400,
    lr: float = 0.5,
) -> tuple[list[float], list[float]]:
    """Fit shared weights plus one bias per group by full-batch gradient descent (Adam)."""
    n, d = len(x), len(x[0])
    w, b = [0.0] * d, [0.0] * n_groups
    mw, vw, mb, vb = [0.0] * d, [0.0] * d, [0.0] * n_groups, [0.0] * n_groups
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        gw, gb = [l2 * wi for wi in w], [l2_group * bi for bi in b]
        for xi, yi, gi in zip(x, y, groups, strict=True):
            err = (sigmoid(sum(a * c for a, c in zip(w, xi, strict=True)) + b[gi]) - yi) / n
            for j in range(d):
                gw[j] += err * xi[j]
            gb[gi] += err
        for params, grads, m, v in ((w, gw, mw, vw), (b, gb, mb, vb)):
            for j, g in enumerate(grads):
                m[j] = b1 * m[j] + (1 - b1) * g
                v[j] = b2 * v[j] + (1 - b2) * g * g
                params[j] -= lr * 0.1 * (m[j] / (1 - b1**t)) / (math.sqrt(v[j] / (1 - b2**t)) + eps)
    return w, b


def fold_of(key: str, k: int) -> int:
    """Stable fold number for a group key (e.g. a text id), so a text is never split."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % k
