"""Serving figures through module-level compiled functions: one point, or one model across many chips."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration import calibrated_efficiency
from workbook.model import serving, sizing
from workbook.specs import Chip, Efficiency, Model, Workload, as_arrays, stack


performance_jit = jax.jit(serving.performance)


def performance(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """:func:`workbook.serving.performance` through one module-level compiled function."""
    return performance_jit(*(as_arrays(r) for r in (chip, m, w, eff)))


def _compare(chips, m, w, effs, chips_per_replica):
    def one(chip, eff):
        auto = jnp.maximum(sizing.min_chips(chip, m, w), 1.0)
        n = jnp.where(chips_per_replica > 0, chips_per_replica, auto)
        return serving.performance(chip, m, w._replace(chips=n), eff), n

    return jax.vmap(one)(chips, effs)


compare_jit = jax.jit(_compare)


def compare_chips(chip_ids, m: Model, w: Workload, effs=None, chips_per_replica: float = 0.0, prices=None) -> dict:
    """Serving figures of ``m`` on every chip in ``chip_ids`` (one vmapped, compiled call).

    ``chips_per_replica = 0`` picks, per chip, the fewest chips whose memory holds the
    workload (:func:`workbook.sizing.min_chips`); ``effs`` is a list of
    :class:`Efficiency` (default: calibrated per chip); ``prices`` overrides USD per
    chip-hour ({chip_id: price}). Returns ``{"chip_id": [...], "chips": array, **Performance
    fields as numpy arrays}``.
    """
    chip_ids = list(chip_ids)
    specs = [catalog.chip(c) for c in chip_ids]
    if prices:
        specs = [s._replace(price=float(prices.get(c, s.price))) for c, s in zip(chip_ids, specs)]
    if effs is None:
        effs = [calibrated_efficiency(c)[0] for c in chip_ids]
    perf, n = compare_jit(stack(specs), as_arrays(m), as_arrays(w), stack(effs), jnp.float32(chips_per_replica))
    out = {"chip_id": chip_ids, "chips": np.asarray(n, float)}
    out.update({k: np.asarray(v, float) for k, v in perf._asdict().items()})
    return out
