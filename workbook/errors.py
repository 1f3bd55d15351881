"""The one error type users see, and the one helper that raises it.

Every check of user input in the model, the analysis, the economics, the CLI and the panels
goes through :func:`require` (or raises :class:`InputError` with the same shape of message):
the field, the value, and what is allowed, in one line.

>>> require("batch", 64, low=1)
64.0
>>> require("price", -1.0, low=0, low_open=True, unit="USD per chip-hour")
Traceback (most recent call last):
...
workbook.errors.InputError: price: -1 is out of range; allowed (0, inf) USD per chip-hour
"""

from __future__ import annotations

import math

import numpy as np


class InputError(ValueError):
    """Invalid user input. The message names the field, the value and what is allowed."""


def allowed_range(low=None, high=None, *, low_open: bool = False, high_open: bool = False, unit: str = "",
                  finite: bool = True) -> str:
    """Interval notation of an allowed range, e.g. ``(0, inf) tokens``, ``[0, 1]``, ``[0, inf]``
    (``finite=False``: infinity itself is allowed)."""
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    closed_hi = (high is not None and not high_open) or (high is None and not finite)
    text = f"{'(' if low_open or low is None else '['}{lo}, {hi}{']' if closed_hi else ')'}"
    return f"{text} {unit}".rstrip()


def require(field: str, value, *, low=None, high=None, low_open: bool = False, high_open: bool = False,
            unit: str = "", integer: bool = False, finite: bool = True):
    """``value`` as a float (or a float array, for array input) if every element is a finite
    number in the allowed range, else :class:`InputError` naming ``field``, the first bad
    value and the range.

    ``low``/``high`` bound the range (None: unbounded), closed unless ``low_open``/``high_open``;
    ``integer`` also requires whole numbers; ``finite=False`` admits +-inf inside the range
    (never NaN). Concrete values only: call it before ``jax.jit``.
    """
    rng = allowed_range(low, high, low_open=low_open, high_open=high_open, unit=unit, finite=finite)
    if integer:
        rng = f"whole numbers in {rng}"
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, bool):
        raise InputError(f"{field}: {value!r} is not a number; allowed {rng}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{field}: {_short(value)} is not a number; allowed {rng}") from None
    flat = arr.ravel()
    bad = np.isnan(flat) if not finite else ~np.isfinite(flat)
    if low is not None:
        bad |= (flat <= low) if low_open else (flat < low)
    if high is not None:
        bad |= (flat >= high) if high_open else (flat > high)
    if integer:
        bad |= np.isfinite(flat) & (flat != np.round(flat))
    if bad.any():
        x = float(flat[np.argmax(bad)])
        what = "is not a finite number" if (math.isnan(x) or (finite and math.isinf(x))) else (
            "is not a whole number" if integer and x != round(x) and _inside(x, low, high, low_open, high_open)
            else "is out of range")
        shown = f"{x:.6g}" if arr.ndim == 0 else f"{x:.6g} (element {int(np.argmax(bad))})"
        raise InputError(f"{field}: {shown} {what}; allowed {rng}")
    return float(arr) if arr.ndim == 0 else arr


def require_choice(field: str, value, choices) -> str:
    """``value`` if it is one of ``choices``, else :class:`InputError` listing them."""
    choices = list(choices)
    if value not in choices:
        raise InputError(f"{field}: unknown value {_short(value)}; allowed: {', '.join(map(str, choices))}")
    return value


def _inside(x, low, high, low_open, high_open) -> bool:
    ok_lo = low is None or (x > low if low_open else x >= low)
    ok_hi = high is None or (x < high if high_open else x <= high)
    return ok_lo and ok_hi


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
