"""Serving figures through module-level compiled functions: one point, or one model across many chips."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration import calibrated_efficiency
from workbook.model import serving, sizing
from workbook.model.deployment import candidate_deployments
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays, stack, tensor_parallel


performance_jit = jax.jit(serving.performance)


def performance(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """:func:`workbook.serving.performance` through one module-level compiled function."""
    return performance_jit(*(as_arrays(r) for r in (chip, m, w, eff)))


CANDIDATES_PER_CHIP = 16  # layouts evaluated per chip (padded), so one compiled shape serves every call


def _compare(chips, m, w, effs, deployments):
    """Performance of every (chip, candidate layout): chips ``(n,)``, deployments ``(n, K)``."""
    per_chip = jax.vmap(serving.performance, in_axes=(None, None, None, None, 0))
    return jax.vmap(per_chip, in_axes=(0, None, None, 0, 0))(chips, m, w, effs, deployments)


compare_jit = jax.jit(_compare)


def _candidates(chip, m: Model, w: Workload, chips_per_replica: float) -> list[tuple[str, Deployment]]:
    """``CANDIDATES_PER_CHIP`` (name, layout) pairs to try for one chip, padded by repeating the
    first: the valid layouts on ``chips_per_replica`` chips, or on the fewest power-of-two chips
    that hold the workload and on twice that (replicated KV heads may need more)."""
    if chips_per_replica > 0:
        counts = [int(chips_per_replica)]
    else:
        g = sizing.tensor_parallel_chips(chip, m, w)
        counts = [g, 2 * g]
    cands = [c for g in counts for c in candidate_deployments(chip, m, g, float(w.batch))]
    cands = (cands or [("tp", tensor_parallel(float(counts[0])))])[:CANDIDATES_PER_CHIP]
    return cands + [cands[0]] * (CANDIDATES_PER_CHIP - len(cands))


def compare_chips(chip_ids, m: Model, w: Workload, effs=None, chips_per_replica: float = 0.0, prices=None) -> dict:
    """Serving figures of ``m`` on every chip in ``chip_ids`` (one vmapped, compiled call).

    Per chip, the valid layouts (:func:`workbook.model.deployment.candidate_deployments`) on
    ``chips_per_replica`` chips -- or, when it is 0, on the fewest power-of-two chips whose
    memory holds the workload and on twice as many -- are evaluated and the one with the most
    tokens/s per chip that fits is kept. ``effs`` is a list of :class:`Efficiency` (default:
    calibrated per chip); ``prices`` overrides USD per chip-hour ({chip_id: price}). Returns
    ``{"chip_id": [...], "chips": array, "layout": [...], **Performance fields as numpy
    arrays}``.
    """
    chip_ids = list(chip_ids)
    specs = [catalog.chip(c) for c in chip_ids]
    if prices:
        specs = [s._replace(price=float(prices.get(c, s.price))) for c, s in zip(chip_ids, specs)]
    if effs is None:
        effs = [calibrated_efficiency(c)[0] for c in chip_ids]
    cands = [_candidates(c, m, w, chips_per_replica) for c in specs]
    deps = stack([stack([d for _, d in per_chip]) for per_chip in cands])
    perf = compare_jit(stack(specs), as_arrays(m), as_arrays(w), stack(effs), deps)
    tps = np.where(np.asarray(perf.fits) > 0.5, np.asarray(perf.tokens_per_s_per_chip), -np.inf)
    best = np.argmax(tps, axis=1)
    rows = np.arange(len(chip_ids))
    out = {"chip_id": chip_ids, "chips": np.asarray(perf.chips, float)[rows, best],
           "layout": [per_chip[b][0] for per_chip, b in zip(cands, best)]}
    out.update({k: np.asarray(v, float)[rows, best] for k, v in perf._asdict().items()})
    return out
