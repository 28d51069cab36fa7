"""Small L2-regularised logistic layers (pure Python) and fold helpers.

fit_logistic: shared weights and one bias per goal (the "base" layer for SMS-length and
non-English texts).

fit_layer: the "en" layer. It scores a (text, goal) pair from that goal's evidence features x:
    z = bias[g] + sum_j (shared[j] + goal[g][j]) * x[j] / scale[j]
Shared weights are what all goals have in common; the per-goal weights (more strongly
penalised) let, say, partnership vocabulary count differently from water vocabulary.
Fitted by Newton's method on the penalised log-likelihood (about 150 parameters).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any


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
    """Stable fold number for a group key (e.g. a text), so a text is never split."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % k


def layer_score(layer: dict[str, Any], goal_index: int, x: Sequence[float]) -> float:
    """Probability that the text speaks to the goal, from its evidence features."""
    shared, own = layer["shared"], layer["goal"][goal_index]
    z = layer["bias"][goal_index]
    for j, (xj, sj) in enumerate(zip(x, layer["scale"], strict=True)):
        z += (shared[j] + own[j]) * xj / sj
    return sigmoid(z)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a symmetric positive-definite system by Cholesky decomposition."""
    n = len(b)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row_i = low[i]
        for j in range(i + 1):
            row_j = low[j]
            s = a[i][j] - sum(row_i[k] * row_j[k] for k in range(j))
            if i == j:
                row_i[i] = math.sqrt(max(s, 1e-12))
            else:
                row_i[j] = s / row_j[j]
    y = [0.0] * n
    for i in range(n):
        y[i] = (b[i] - sum(low[i][k] * y[k] for k in range(i))) / low[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (y[i] - sum(low[k][i] * x[k] for k in range(i + 1, n))) / low[i][i]
    return x


def fit_layer(
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    groups: Sequence[int],
    n_groups: int,
    l2_shared: float = 1.0,
    l2_goal: float = 10.0,
    l2_bias: float = 0.1,
    iterations: int = 25,
) -> dict[str, Any]:
    """Fit bias per group, shared weights and per-group weights; returns the layer as JSON."""
    n, d = len(x), len(x[0])
    scale = []
    for j in range(d):
        col = [row[j] for row in x]
        mean = sum(col) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in col) / n)
        scale.append(sd if sd > 1e-9 else 1.0)
    xs = [[v / s for v, s in zip(row, scale, strict=True)] for row in x]
    size = n_groups + d + n_groups * d
    penalty = [l2_bias] * n_groups + [l2_shared] * d + [l2_goal] * (n_groups * d)
    theta = [0.0] * size

    def active(row: list[float], g: int) -> list[tuple[int, float]]:
        own = n_groups + d + g * d
        return [(g, 1.0)] + [(n_groups + j, v) for j, v in enumerate(row)] + [
            (own + j, v) for j, v in enumerate(row)
        ]

    rows = [active(row, g) for row, g in zip(xs, groups, strict=True)]
    for _ in range(iterations):
        grad = [p * t for p, t in zip(penalty, theta, strict=True)]
        hess = [[0.0] * size for _ in range(size)]
        for i in range(size):
            hess[i][i] = penalty[i]
        for act, yi in zip(rows, y, strict=True):
            p = sigmoid(sum(theta[k] * v for k, v in act))
            err, wt = p - yi, p * (1 - p)
            for k, v in act:
                grad[k] += err * v
                hk = hess[k]
                for m, u in act:
                    hk[m] += wt * v * u
        step = _solve(hess, grad)
        theta = [t - s for t, s in zip(theta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    shared = theta[n_groups : n_groups + d]
    own = theta[n_groups + d :]
    return {
        "scale": [round(s, 6) for s in scale],
        "bias": [round(b, 5) for b in theta[:n_groups]],
        "shared": [round(w, 5) for w in shared],
        "goal": [[round(w, 5) for w in own[g * d : (g + 1) * d]] for g in range(n_groups)],
    }
