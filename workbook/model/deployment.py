"""Valid ways to split a replica over its chips, and the best of them.

A :class:`~workbook.specs.Deployment` is valid when its degrees divide what they split
(Megatron-style tensor parallelism splits query heads: ``N % tp == 0``; expert parallelism
places whole experts: ``E % ep == 0``; a pipeline stage holds at least one layer:
``pp <= L``; every data-parallel attention group serves at least one sequence: ``dp <= B``)
and ``tp * pp * dp`` is the replica's chip count. The candidates are the layouts serving
runtimes offer (TensorRT-LLM, vLLM, SGLang; DeepSeek's inference system, Feb 2025):

* ``tp``: tensor parallelism over every chip (``tp = G``);
* ``tp x pp``: tensor parallelism inside a scale-up domain, pipeline stages across domains
  (also how chips that hold weights in SRAM -- Groq, Cerebras -- chain many chips), with
  tensor parallelism widened beyond the domain when there would be more stages than layers;
* ``pp``: a pure pipeline (``pp = G``);
* ``tp + ep``: tensor-parallel attention, experts spread over the same chips;
* ``dp + ep``: data-parallel attention (one chip per group) with experts over all chips;
* ``tp x pp x dp + ep``: all of them, for replicas larger than heads x layers chips.

Concrete (numpy) choices on the Python side; the chosen record is evaluated in JAX.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from workbook.model import serving
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays, stack

LAYOUTS = ("tp", "tp x pp", "tp x pp", "pp", "tp + ep", "dp + ep", "tp x pp x dp + ep")


@functools.lru_cache(maxsize=4096)
def _largest_divisor_at_most(n: int, bound: int, of: int) -> int:
    """Largest ``d <= bound`` dividing both ``n`` and ``of`` (1 if none larger)."""
    return max(d for d in range(1, max(1, min(bound, n)) + 1) if n % d == 0 and of % d == 0)


@functools.lru_cache(maxsize=65536)
def _layouts(g: int, heads: int, layers: int, experts: int, scale_up: int, batch: float) -> tuple:
    out: dict[tuple, str] = {}

    def add(name, tp, pp, ep, dp):
        if tp * pp * dp != g or pp > layers or heads % tp or dp > max(batch, 1.0):
            return
        if ep > 1 and (experts == 0 or experts % ep):
            return
        out.setdefault((tp, pp, ep, dp), name)

    add("tp", g, 1, 1, 1)
    tp = _largest_divisor_at_most(g, min(scale_up, g), heads)
    add("tp x pp", tp, g // tp, 1, 1)
    # more chips than layers in one domain: widen tensor parallelism until the stages fit
    wider = [d for d in range(tp, g + 1) if g % d == 0 and heads % d == 0 and g // d <= layers]
    if wider:
        add("tp x pp", wider[0], g // wider[0], 1, 1)
    add("pp", 1, g, 1, 1)
    if experts:
        add("tp + ep", g, 1, g, 1)
        add("dp + ep", 1, 1, g, g)
        # beyond heads x layers chips (DeepSeek in 16 bits on 230 MB chips): data-parallel
        # attention groups fill the rest, experts spread over each stage's tp x dp chips
        tp_max = _largest_divisor_at_most(g, g, heads)
        rest = g // tp_max
        pp = _largest_divisor_at_most(rest, layers, rest)
        dp = rest // pp
        add("tp x pp x dp + ep", tp_max, pp, tp_max * dp, dp)
    return tuple((name, key) for key, name in out.items())


def candidate_deployments(chip: Chip, m: Model, chips: int, batch: float) -> list[tuple[str, Deployment]]:
    """The valid layouts of :data:`LAYOUTS` for ``chips`` chips, as ``(name, Deployment)``."""
    g = int(chips)
    found = _layouts(g, int(m.n_heads), int(m.n_layers), int(m.n_experts), int(max(1, chip.scale_up_chips)), float(batch))
    return [(name, Deployment(*(float(x) for x in key))) for name, key in found]


_perf_over_deployments = jax.jit(jax.vmap(serving.performance, in_axes=(None, None, None, None, 0)))


def best_deployment(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """``(name, Deployment, Performance)`` of the valid layout for ``w.chips`` chips with the
    most output tokens/s per chip among those that fit in memory (at fixed batch and chips this
    is also the lowest time per output token); ``None`` if no layout fits."""
    cands = candidate_deployments(chip, m, int(w.chips), float(w.batch))
    if not cands:
        return None
    perf = _perf_over_deployments(as_arrays(chip), as_arrays(m), as_arrays(w), as_arrays(eff), stack([d for _, d in cands]))
    tps = np.where(np.asarray(perf.fits) > 0.5, np.asarray(perf.tokens_per_s_per_chip), -np.inf)
    if not np.isfinite(tps).any():
        return None
    i = int(np.argmax(tps))
    return cands[i][0], cands[i][1], jax.tree.map(lambda x: x[i], perf)


MAX_CHIPS = 65536  # the largest replica searched (a TPU v5p pod has 8,960 chips; Groq up to 10,440)


def fewest_chips(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """``(chips, name, Deployment, Performance)`` for the fewest power-of-two chips, from the
    memory lower bound (:func:`workbook.model.sizing.min_chips`) up to ``MAX_CHIPS``, on which
    some valid layout fits; ``None`` if none does."""
    from workbook.model.sizing import tensor_parallel_chips

    g = tensor_parallel_chips(chip, m, w)
    while g <= MAX_CHIPS:
        best = best_deployment(chip, m, w._replace(chips=float(g)), eff)
        if best is not None:
            return (g, *best)
        g *= 2
    return None


def as_dict(d: Deployment) -> dict:
    """``{"tp", "pp", "ep", "dp"}`` as integers (for JSON)."""
    return {k: int(round(float(v))) for k, v in d._asdict().items()}
