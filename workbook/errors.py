"""The one error type users see: bad input, named by field, value and allowed range."""


class InputError(ValueError):
    """Invalid user input. The message names the field, the value and what is allowed."""


def require_positive(field: str, value, *, allow_zero: bool = False) -> float:
    """``float(value)`` if it is a finite number > 0 (>= 0 with ``allow_zero``), else InputError."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field}: {value!r} is not a number") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise InputError(f"{field}: {value!r} is not a finite number")
    if x < 0 or (x == 0 and not allow_zero):
        rng = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{field}: {value!r} is out of range; allowed {rng}")
    return x


def require_range(field: str, value, low: float, high: float) -> float:
    """``float(value)`` if ``low <= value <= high``, else InputError naming the range."""
    x = require_positive(field, value, allow_zero=True) if low >= 0 else float(value)
    if not (low <= x <= high):
        raise InputError(f"{field}: {value!r} is out of range; allowed {low:g} to {high:g}")
    return x
