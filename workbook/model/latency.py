"""Tail latency under load: TTFT and TPOT percentiles of continuous batching with chunked prefill.

Requests arrive at ``lambda`` per second per replica (a renewal process whose inter-arrival
times have squared coefficient of variation ``c_a^2``: 1 is Poisson, as in MLPerf's server
scenario; larger is burstier). One replica runs **iterations**: every iteration advances each of
the ``n`` decoding sequences by one token and, while prompts wait, prefills up to ``C`` prompt
tokens (the chunk; Sarathi-Serve, Agrawal et al., OSDI 2024; vLLM's chunked prefill). The chunk is
what an iteration's **token budget** ``K`` (TensorRT-LLM's ``max_num_tokens``, vLLM's
``max_num_batched_tokens``) leaves after the decoding sequences' tokens, one each: ``C(n) = K - n``
(:func:`prefill_chunk`). Generation requests are scheduled first and contexts are chunked into the
remaining capacity (TensorRT-LLM's ``MicroBatchScheduler``; Sarathi-Serve's stall-free batching;
vLLM V1's scheduler), so the prefill budget shrinks as occupancy grows. Its time is
linear in the prefill tokens it carries: ``t(n, c) = t_d(n) + c delta(n)`` with ``t_d`` a
decode step (:func:`workbook.model.serving.decode_step_time`) and ``t_m = t_d + C(n) delta`` the
step with a full chunk (:func:`step_times`, from the same stage times).

**TTFT.** Prompts queue FIFO for the prefill budget, a server of ``C = C(n)`` tokens per ``t_m``:
service ``S = T_in t_m / C``, utilisation ``rho = lambda S``. The wait ``W`` has the G/G/1 mean of
Kingman (1961) -- ``E[W] = rho/(1-rho) (c_a^2 + c_s^2)/2 S``, exact for M/G/1 (Pollaczek--Khinchine)
-- and an exponential tail ``P(W > t) = K exp(-eta t)`` whose decay ``eta`` solves the Lundberg
equation ``E[exp(eta (S - A))] = 1`` with gamma-distributed service and inter-arrival times
(Kingman 1964; Cramér--Lundberg; Asmussen, *Applied Probability and Queues*, 2003, ch. XIII)
and ``K = eta E[W]`` (so the mean is kept), at most the probability of waiting at all
(``rho`` for Poisson arrivals). Both are exact for M/M/1 (``P(W > t) = rho exp(-(mu - lambda)
t)``); for M/D/1 the tail decay is the exact asymptote. A request also waits for the iteration in
progress: a decode step ``t_d`` or, a time share ``rho_l``, a step carrying prefill ``t_l = t_d +
min(T_in, C) delta``; its residual ``R`` is a mixture of uniforms (mean ``E[R]``, percentile
``R_p``). Arrivals that find the prefill budget idle (a share ``1 - rho``) thereby lengthen its
busy periods in proportion to the share of a chunk they fill, so the queue sees ``S + (1 - rho)
E[R] min(1, T_in / C)``. A request waits, too, for a free decode slot (a G/G/B queue over ``B =
workload.batch`` slots held ``T_out TPOT + S``: Sakasegawa's 1977 probability of waiting, an M/M/B
exponential tail with the Allen--Cunneen factor). Its own prefill ends with the step carrying its
last tokens, decode part included: ``P = max(1, T_in / C) t_d + T_in delta`` (``= S`` when the
prompt fills chunks), plus the tokens of the ``k_p`` prompts that arrived during the same step
and share a chunk shorter prompts leave room for (``k ~ Poisson(2 lambda E[R])``, normal quantile,
at most ``C / T_in - 1``). So ``TTFT_p = P + k_p T_in delta + max(R_p, E[R] + W_p + W_slot_p)``
with ``W_p = max(0, ln(K / (1-p)) / eta)`` (maxima smoothed): the p-th percentile of a sum lies
between the maximum of the parts' percentiles and their sum.

**TPOT.** A request's time per output token is the mean step time over its ``T_out`` steps:
``TPOT = 1 / (X / t_m + (1 - X) / t_d)`` where ``X`` is the share of its decode window during
which prompts are being prefilled. On average ``X = rho``, so the mean is ``t_d / (1 - lambda
T_in delta)``: decode steps stretched by the chunks interleaved. Across requests ``X`` varies
with the prefill server's busy and idle periods: over a window ``tau = T_out TPOT`` its variance
is that of an alternating renewal process, ``sigma^2 / tau`` with ``sigma^2 = (i^2 Var_b + b^2
Var_i) / (b + i)^3`` (busy period ``b = S/(1-rho)``, ``E[b^2] = E[S^2]/(1-rho)^3`` for M/G/1;
idle ``i = 1/lambda``), bounded by the Bernoulli variance ``rho (1-rho)``; percentiles by a
normal approximation, clipped to [0, 1]. The window is the request's own: with output lengths that
vary (``Workload.output_cv``; a log-normal taken at :data:`OUTPUT_LENGTH_NODES` equally likely
lengths, :func:`output_length_nodes`) short answers average over few steps, and the TPOT
percentile is that of the equal mixture of the windows' normals (solved by bisection; one normal
when every output has the same length).

**Occupancy.** Step times depend on the decoding sequences ``n``, which by Little's law are
``lambda T_out TPOT``: a fixed point, solved exactly on the piecewise-linear table of step times
(a quadratic on the segment where it lies: :func:`_occupancy_closed_form`). Iterating it instead
converges slowly where steps are compute-bound (``t_d`` nearly proportional to ``n``): 12
iterations left ``n`` 18 % short and the capacity 7 % high for Llama-2-70B on a B200 at 1,602
slots (calibration of 2026-11-30). The replica's **capacity** is the
arrival rate at which the prefill budget saturates (``rho = 1``; with ``C(n)`` shrinking as ``n``
grows, before ``n`` reaches ``K``) or the slots fill (``n = B``), whichever comes first
(:func:`capacity`).

Everything here is pure JAX, smooth inside the capacity and finite beyond it (utilisations are
clipped just below 1): jit, vmap and grad. :func:`latency_percentiles` is the checked entry and
raises :class:`~workbook.errors.InputError` at or above capacity. ``tests/test_latency.py``
checks the percentiles against a discrete-event simulation of the same iteration engine: p50 and
p99 of TTFT and TPOT within 10 % up to 60 % of capacity when prefill binds and 50 % when the slots
do, and for prompts shorter than the chunk (512 tokens in 2,048-token chunks up to 45 % of
capacity, 300 tokens up to 75 %), and with long answers whose decoding tokens take a fifth of a
512-token budget (up to 60 %). Measured over six seeds (0-5, 30,000 requests; 2026-12-02, with the
budget shared by decode and prefill tokens in both): TTFT within 6.9 %, TPOT p50 within 1.3 %, TPOT
p99 low by 2.6-9.5 % (its spread is modelled as normal). A prompt longer than its chunk takes
``ceil(T_in / C)`` iterations: counted as ``T_in / C`` (before the budget was shared, when every
tested ratio was a whole number) the simulated TTFT p50 came out up to 22 % longer than the model's.
Beyond those loads (one seed, 60,000 requests; 2026-12-01, before the budget was shared) the errors
grow: up to 75 % of capacity within 10.4 % except 512-token prompts in 2,048-token chunks (p99 TTFT
+12.5 %); at 90 %, slot-bound p50 and p99 TTFT -13 % and -34 % and TPOT p99 up to -15 %. These hold for that
test's efficiencies (overlap temperature 0.1); with step
times that grow steeply with occupancy the slot-bound tail is underestimated
(:func:`slot_wait_probability`). With bursty arrivals (``c_a^2 = 2``, one seed, calibrated H100;
measured before the 2026-12-01 occupancy fix) TTFT is within
11 % up to 80 % of capacity and TPOT's median up to 13 % low from 80 % on. With output lengths
spread as OpenOrca's (coefficient of variation 0.8, gamma-distributed in the simulation), TTFT is
within 6.0 % and TPOT p99 low by 5.2-8.6 % up to 60 % of capacity (seeds 0-3, 2026-12-02); with the
spread ignored TPOT p99 was up to 17 % low. The shape of the spread matters as well as its size: at
DeepSeek-R1's (coefficient of variation 1.25) TPOT p99 is within 7.7 % of a simulation whose
lengths are log-normal, as the model takes them, but 20-25 % low against gamma-distributed ones,
which put far more answers below a tenth of the mean (seeds 0-1, measured on 2026-12-02 before the
budget was shared).

**Using it for MLPerf ``server`` / ``interactive`` rows.** Such a row is met when the p99 TTFT and
TPOT under Poisson arrivals are within its limits: :func:`server_throughput_under_constraint` is
the output tokens/s per chip of one configuration at the largest load that meets them (DistServe's
goodput); :func:`workbook.calibration.tuning.best_goodput` takes its maximum over batch and
layout to predict those rows (nothing about the tail is fitted).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr, ndtri

from workbook.model import serving
from workbook.numerics import implicit_root, softplus_max, softplus_min
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays

# Tokens per iteration, decode and prefill together (the token budget K). Assumption: 2048, range
# 256-12,000 -- Sarathi-Serve uses budgets of 512-2048 (Agrawal et al., OSDI 2024); vLLM's default
# max_num_batched_tokens is 2048 with chunked prefill on (v0.6) and 8192 in the V1 engine; the MLPerf
# v5.1 TensorRT-LLM configs read set max_num_tokens from 256 (H200 interactive) to 12,000 (geometric
# centre 1,753; workbook.calibration.measurements._TRT_BUDGETS).
DEFAULT_CHUNK_TOKENS = 2048.0
# The least share of the token budget prefill keeps when the decoding sequences would take it all: a
# floor that keeps the prefill service finite (S = T_in t_m / C) where n >= K; such loads are beyond
# capacity (the prefill queue saturates first), so its value does not set any reported figure.
CHUNK_FLOOR = 1.0 / 64.0
PERCENTILES = (0.5, 0.9, 0.99)
POISSON_SCV = 1.0  # squared coefficient of variation of exponential inter-arrival times
MAX_UTILISATION = 0.999  # utilisations are clipped here inside the smooth core (no NaN beyond capacity)
# Squared CV of how long a request holds its decode slot, in the slot queue's Allen--Cunneen factor.
# Fitted: 0.3 matches the discrete-event simulation of tests/test_latency.py (its p99 TTFT within
# about 10 % at slot utilisations up to 0.75); range 0 (fixed T_out steps of fixed length) to 1 (M/M/B).
# The holding time varies because the step time varies with the decoding count.
SLOT_HOLDING_SCV = 0.3
# Requests' output lengths, for the spread of their TPOT: a log-normal with the workload's mean and
# coefficient of variation (``Workload.output_cv``), taken at the midpoints of this many
# equal-probability bins (the mixture's p-th percentile is solved over them). 8: against the
# discrete-event simulation TPOT p99 moves by under 0.5 % from 16 nodes, and predicting the 599
# calibration rows takes 10 s instead of 16 s (benchmarks/bench_calibration.py).
OUTPUT_LENGTH_NODES = 8
_Z_NODES = np.array([NormalDist().inv_cdf((k + 0.5) / OUTPUT_LENGTH_NODES) for k in range(OUTPUT_LENGTH_NODES)],
                    np.float32)  # a constant: no JAX work at import
_GATE = 0.05  # width of the P(W > 0) gate of the wait percentiles, in log probability
_SMOOTH = 0.02  # temperature of the smooth max(0, .) of the wait percentiles, as a share of S


class OperatingPoint(NamedTuple):
    """The replica's state at one arrival rate (what :func:`operating_point` returns)."""

    arrival_rate: jax.Array  # requests/s per replica
    decoding: jax.Array  # mean sequences decoding, n
    decode_step: jax.Array  # t_d(n), s
    mixed_step: jax.Array  # t_m(n): a step carrying a full chunk, s
    prefill_service: jax.Array  # S = T_in t_m / C(n), s
    prefill_utilisation: jax.Array  # rho = lambda S (unclipped)
    slot_utilisation: jax.Array  # (n + lambda S) / B (unclipped)
    tpot_mean: jax.Array  # t_d / (1 - lambda T_in delta), s
    chunk: jax.Array  # C(n) = K - n, prompt tokens per iteration left by the decoding sequences


class Latency(NamedTuple):
    """Latency percentiles at one load (what :func:`latency_distribution` returns); seconds."""

    percentiles: jax.Array  # p, shape (k,)
    ttft: jax.Array  # TTFT at each p, s
    tpot: jax.Array  # TPOT at each p, s
    ttft_mean: jax.Array  # s
    tpot_mean: jax.Array  # s
    prefill_utilisation: jax.Array
    slot_utilisation: jax.Array
    tokens_per_s_per_chip: jax.Array  # output tokens/s per chip served at this load
    point: OperatingPoint


# ---------------------------------------------------------------- service times


def step_times(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, decoding, chunk_tokens):
    """``(t_d, t_m)``: one iteration of ``n = decoding`` sequences alone, and with a prefill chunk
    of ``C = chunk_tokens`` prompt tokens, s.

    ``t_d`` is :func:`~workbook.model.serving.decode_step_time` at batch ``max(n, 1)`` and the mean
    decode context. The chunk adds, per micro-batch of ``c = C / m`` tokens, the share ``c / T_in``
    of one whole prompt's prefill compute and collectives (so its attention is the prompt's average)
    and of its KV writes, plus the weights the extra tokens touch (MoE experts); the weights the
    decode step streams anyway are not read twice. The stage then takes
    :func:`~workbook.model.serving.stage_time` of the sums (each kernel class apart), times ``pp``.
    """
    n = jnp.maximum(decoding, 1.0)
    w = w._replace(batch=n)
    mb = serving.micro_batches(n, d)
    b = n / mb
    dm, dmem, dcomm, dover = serving.decode_stage_times(chip, m, w, d, eff, b, serving.decode_context(w))
    t_d = d.pp * serving.stage_time(dm, dmem, dcomm, dover, eff)
    pm, pmem, pcomm, _ = serving.prefill_stage_times(chip, m, w, d, eff, jnp.ones_like(n))
    share = chunk_tokens / mb / jnp.maximum(w.input_tokens, 1.0)
    bw = chip.memory_bandwidth * eff.memory
    extra_weights = (serving.stage_weight_bytes_read(m, w, d, b + chunk_tokens / mb)
                     - serving.stage_weight_bytes_read(m, w, d, b)) / bw
    # matmul class: only the extra weights; attention class: the chunk's share of the KV writes
    mem = dmem + serving.by_kernel_class(extra_weights, share * pmem[1])
    t_m = d.pp * serving.stage_time(dm + share * pm, mem, dcomm + share * pcomm, dover, eff)
    return t_d, jnp.maximum(t_m, t_d)


def prefill_chunk(budget, decoding):
    """Prompt tokens an iteration carries while its prompts wait: ``C(n) = max(K - n, K / 64)``.

    The token budget ``K = budget`` counts every token of the iteration, one per decoding sequence
    and the prompt chunks in the rest: TensorRT-LLM's ``MicroBatchScheduler`` schedules the
    generation requests first ("if there is any remaining space, include the context requests and
    divide them into chunks", ``cpp/tensorrt_llm/batch_manager/microBatchScheduler.cpp``), as do
    Sarathi-Serve's stall-free batching and vLLM V1. The floor (``CHUNK_FLOOR``) only matters
    beyond capacity.

    >>> float(prefill_chunk(2048.0, 512.0))
    1536.0
    """
    return jnp.maximum(budget - decoding, CHUNK_FLOOR * budget)


class StepTable(NamedTuple):
    """Step times at a few decoding counts (what :func:`step_table` returns), interpolated in between."""

    decoding: jax.Array  # knots n, increasing, shape (k,)
    decode_step: jax.Array  # t_d at the knots, s
    mixed_step: jax.Array  # t_m at the knots with a chunk of the whole budget K, s
    token_time: jax.Array  # delta = (t_m - t_d) / K at the knots: time per prefill token, s
    chunk_tokens: jax.Array  # K, the token budget of an iteration


STEP_KNOTS = (0.0, 1 / 64, 1 / 16, 1 / 4, 1 / 2, 1.0)  # knots n = 1 + (B - 1) x these


def step_table(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, chunk_tokens) -> StepTable:
    """:func:`step_times` at ``n = 1 + (B - 1) k`` for ``k`` in ``STEP_KNOTS`` (one vmapped call).

    Step times are nearly linear in ``n`` (weights once, KV and FLOPs per sequence) with one bend
    where the roofline switches; the occupancy root and the percentile bisections interpolate this
    table (``jnp.interp``, flat beyond ``B``) rather than re-evaluating the serving model at every
    iteration, which keeps them cheap to compile and run.
    """
    knots = 1.0 + jnp.maximum(w.batch - 1.0, 1e-3) * jnp.asarray(STEP_KNOTS, jnp.float32)
    budget = jnp.asarray(chunk_tokens, jnp.float32)
    t_d, t_m = jax.vmap(lambda n: step_times(chip, m, w, eff, d, n, budget))(knots)
    return StepTable(knots, t_d, t_m, (t_m - t_d) / budget, budget)


def _steps_at(table: StepTable, n):
    """``(t_d, t_m, C, delta)`` with ``n`` sequences decoding: ``t_m = t_d + C(n) delta``."""
    t_d = jnp.interp(n, table.decoding, table.decode_step)
    delta = jnp.interp(n, table.decoding, table.token_time)
    c = prefill_chunk(table.chunk_tokens, n)
    return t_d, t_d + c * delta, c, delta


def _tpot_at(table: StepTable, w: Workload, arrival_rate, n):
    """``(t_d, t_m, C, TPOT)`` with ``n`` sequences decoding: ``TPOT = t_d / (1 - lambda T_in delta)``."""
    t_d, t_m, c, delta = _steps_at(table, n)
    stretch = jnp.minimum(arrival_rate * w.input_tokens * delta, MAX_UTILISATION)
    return t_d, t_m, c, t_d / (1.0 - stretch)


def _occupancy_residual(n, table: StepTable, w: Workload, arrival_rate):
    # Little's law, n - lambda T_out TPOT(n): negative at n = 0, positive beyond the bracket
    return n - arrival_rate * w.output_tokens * _tpot_at(table, w, arrival_rate, n)[3]


def _occupancy_closed_form(table: StepTable, w: Workload, arrival_rate):
    """The root of ``n - lambda T_out TPOT(n)`` on the piecewise-linear :func:`step_table`, exactly.

    On a segment of the table ``t_d = a + b n`` and ``delta = c + e n``, so with ``L = lambda
    T_out`` and ``P = lambda T_in`` Little's law ``n (1 - P (c + e n)) = L (a + b n)`` is the
    quadratic ``P e n^2 - (1 - P c - L b) n + L a = 0``, whose root with ``1 - stretch > 0`` is
    ``2 L a / (beta + sqrt(beta^2 - 4 P e L a))``, ``beta = 1 - P c - L b`` (the form without
    cancellation). The segment is the one where the residual at the knots changes sign (it is
    increasing where ``TPOT(n) / n`` does not increase); below the first knot and beyond the
    last the table is flat and the root is ``L t_d / (1 - stretch)`` with the stretch clipped at
    ``MAX_UTILISATION``, as in :func:`_tpot_at`. Interior roots are clamped to their segment
    (only reached at the clip, beyond capacity). Differentiable by ordinary autodiff through the
    chosen segment's coefficients.
    """
    k, t_d = table.decoding, table.decode_step
    g = table.token_time
    big_l = arrival_rate * w.output_tokens
    big_p = arrival_rate * w.input_tokens
    tpot_knots = t_d / (1.0 - jnp.minimum(big_p * g, MAX_UTILISATION))
    # the segment above the last knot where the residual is negative: 0 .. len(k) (the highest
    # sign change, as a bisection on [0, above the last knot] would find where it is not unique)
    idx = jnp.arange(1, k.shape[0] + 1)
    below = jnp.max(jnp.where(k - big_l * tpot_knots < 0.0, idx, 0))
    # the flat ends: n = L t_d / (1 - stretch), at the first or the last knot's steps
    end = jnp.clip(below - 1, 0, k.shape[0] - 1)
    flat = big_l * tpot_knots[end]
    # the interior segment [k_{j-1}, k_j], j = below
    j = jnp.clip(below, 1, k.shape[0] - 1)
    lo, hi = k[j - 1], k[j]
    b = (t_d[j] - t_d[j - 1]) / (hi - lo)
    e = (g[j] - g[j - 1]) / (hi - lo)
    a = t_d[j - 1] - b * lo
    c = g[j - 1] - e * lo
    slack = 1e-4 * (hi - lo)
    beta = 1.0 - big_p * c - big_l * b
    disc = beta * beta - 4.0 * big_p * e * big_l * a
    den = beta + jnp.sqrt(jnp.where(disc > 0.0, disc, 1.0)) * (disc > 0.0)
    quad = 2.0 * big_l * a / jnp.where(den > 0.0, den, 1.0)
    quad_ok = (den > 0.0) & (big_p * (c + e * quad) < MAX_UTILISATION) & (quad >= lo - slack) & (quad <= hi + slack)
    # where the stretch is clipped: (1 - MAX_UTILISATION) n = L (a + b n), linear
    den_c = 1.0 - MAX_UTILISATION - big_l * b
    clipped = big_l * a / jnp.where(den_c > 0.0, den_c, 1.0)
    clipped_ok = (den_c > 0.0) & (clipped >= lo - slack) & (clipped <= hi + slack)
    inner = jnp.clip(jnp.where(quad_ok, quad, jnp.where(clipped_ok, clipped, hi)), lo, hi)
    interior = (below > 0) & (below < k.shape[0])
    return jnp.where(interior, inner, flat)


def _operating_point(table: StepTable, w: Workload, arrival_rate) -> OperatingPoint:
    lam = arrival_rate
    n = _occupancy_closed_form(table, w, lam)
    t_d, t_m, c, tpot = _tpot_at(table, w, lam, n)
    s = w.input_tokens * t_m / c
    return OperatingPoint(lam, n, t_d, t_m, s, lam * s, (n + lam * s) / w.batch, tpot, c)


def operating_point(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, arrival_rate,
                    chunk_tokens=DEFAULT_CHUNK_TOKENS) -> OperatingPoint:
    """Mean decoding sequences, step times and utilisations at ``arrival_rate`` requests/s per replica.

    Fixed point of Little's law ``n = lambda T_out TPOT(n)`` with ``TPOT = t_d(n) / (1 - lambda
    T_in delta(n))``, ``delta = (t_m - t_d) / C`` (the extra time per prefill token): the root of
    ``n - lambda T_out TPOT(n)`` on the :func:`step_table`, in closed form (``delta`` does not depend
    on the chunk, so the shrinking chunk ``C(n)`` leaves the equation as it is)
    (:func:`_occupancy_closed_form`, differentiable). Slots are held from admission:
    ``slot_utilisation = (n + lambda S) / B``.
    """
    return _operating_point(step_table(chip, m, w, eff, d, chunk_tokens), w, arrival_rate)


# ---------------------------------------------------------------- queueing formulas


def _log_mgf(x, scv):
    """``log E[exp(x Y / E[Y])]`` of a gamma variable with squared CV ``scv`` (deterministic at 0):
    ``-log(1 - x scv) / scv``, with its series ``x + scv x^2 / 2`` below ``scv = 1e-4``."""
    small = scv < 1e-4
    safe = jnp.where(small, 1.0, scv)
    arg = jnp.maximum(1.0 - x * safe, 1e-30)
    return jnp.where(small, x + 0.5 * scv * x * x, -jnp.log(arg) / safe)


def _lundberg_residual(x, rho, arrival_scv, service_scv):
    """``log E[e^{x S/E[S]}] + log E[e^{-x A/E[S]}]`` for gamma service and arrivals: zero at the
    tail decay ``x = eta E[S]``; the arrival term is ``-log(1 + x c_a^2 / rho) / c_a^2``."""
    return _log_mgf(x, service_scv) + _log_mgf(-x / rho, arrival_scv)


def _decay_bracket(rho, arrival_scv, service_scv):
    hi = jnp.where(service_scv > 1e-4, (1.0 - 1e-6) / jnp.maximum(service_scv, 1e-4), 200.0)
    return jnp.zeros_like(rho), jnp.minimum(hi, 200.0)


_decay = implicit_root(_lundberg_residual, _decay_bracket, increasing=True)


def tail_decay(rho, arrival_scv=POISSON_SCV, service_scv=0.0):
    """Dimensionless decay ``eta E[S]`` of the G/G/1 waiting-time tail ``P(W > t) ~ K e^{-eta t}``:
    the positive root of the Lundberg equation ``E[exp(eta (S - A))] = 1`` (Kingman 1964) with
    gamma service (squared CV ``service_scv``) and inter-arrival times (``arrival_scv``).

    M/M/1 gives ``1 - rho`` (``eta = mu - lambda``, exact):

    >>> round(float(tail_decay(0.5, 1.0, 1.0)), 4)
    0.5
    """
    rho = jnp.clip(rho, 1e-6, MAX_UTILISATION)
    return _decay(rho, arrival_scv, service_scv)


def mean_wait(rho, service, arrival_scv=POISSON_SCV, service_scv=0.0):
    """Kingman's (1961) G/G/1 mean wait ``rho / (1 - rho) (c_a^2 + c_s^2) / 2 E[S]``, s; exact for
    M/G/1 (Pollaczek--Khinchine). ``rho`` is clipped to ``MAX_UTILISATION``.

    >>> round(float(mean_wait(0.5, 1.0, 1.0, 0.0)), 4)  # M/D/1 at half load: S / 2
    0.5
    """
    rho = jnp.clip(rho, 0.0, MAX_UTILISATION)
    return rho / (1.0 - rho) * 0.5 * (arrival_scv + service_scv) * service


def wait_percentile(p, rho, service, arrival_scv=POISSON_SCV, service_scv=0.0):
    """``p``-quantile of the G/G/1 wait, s: ``max(0, ln(K / (1 - p)) / eta)`` with ``K = eta E[W]``
    (:func:`tail_decay`, :func:`mean_wait`) capped by the probability of waiting at all, ``P(W > 0)
    ~ rho^(1/c_a^2)`` (exact ``rho`` for Poisson arrivals; the exponent is a heuristic
    interpolation), the max smoothed over ``0.02 E[S]`` (:func:`~workbook.numerics.softplus_max`).

    Exact for M/M/1, ``P(W > t) = rho e^{-(mu - lambda) t}``. For M/D/1 the cap trades tail for
    body: p99 within 8 % of a Lindley-recursion simulation for ``rho`` in [0.5, 0.9] (it is low by
    7 % at ``rho = 0.5``, where the true tail prefactor exceeds ``rho``), p50 within 0.25 ``S``;
    against the simulated iteration engine (``tests/test_latency.py``) the cap is the better choice.

    >>> round(float(wait_percentile(0.99, 0.5, 1.0, 1.0, 1.0)), 2)  # M/M/1: ln(50) / 0.5 = 7.824
    7.82
    """
    eta = tail_decay(rho, arrival_scv, service_scv) / service
    k = eta * mean_wait(rho, service, arrival_scv, service_scv)
    # K at most the probability of waiting at all, P(W > 0): rho for Poisson arrivals (exact for
    # M/G/1), rho^(1/c_a^2) otherwise (a heuristic interpolation: 0 for regular arrivals, towards 1
    # for bursty ones); a smooth minimum in log probability (temperature 1e-3)
    log_busy = jnp.log(jnp.clip(rho, 1e-6, 1.0)) / arrival_scv
    log_k = softplus_min(jnp.log(jnp.maximum(k, 1e-30)), log_busy, 1e-3)
    raw = (log_k - jnp.log(1.0 - p)) / eta
    return softplus_max(raw, 0.0, _SMOOTH * service)


def slot_wait_probability(rho_slots, slots):
    """Probability that a request finds all ``B = slots`` busy at utilisation ``rho``:
    Sakasegawa's (1977) ``rho^(sqrt(2(B+1)) - 1)``, exact for one slot.

    It overstates M/M/B's Erlang C at many slots (0.098 against 0.056 at ``B = 64``, ``rho = 0.8``),
    which is kept on purpose: the slot queue of an iteration engine fluctuates more slowly than a
    Markov one (step times grow with occupancy); with ``SLOT_HOLDING_SCV`` it matches the
    discrete-event simulation of ``tests/test_latency.py`` (p99 TTFT within 8 % up to 86 % slot
    utilisation with that test's efficiencies). Where step times grow steeply with occupancy (an
    overlap temperature near 1, as in the calibration of 2026-11-30) the slot-bound p99 TTFT comes
    out up to 35 % low at 64 % slot utilisation: neither formula has that feedback.

    >>> round(float(slot_wait_probability(0.5, 1.0)), 4)  # M/M/1: rho
    0.5
    """
    rho = jnp.clip(rho_slots, 1e-6, MAX_UTILISATION)
    return rho ** (jnp.sqrt(2.0 * (slots + 1.0)) - 1.0)


def slot_wait_percentile(p, rho_slots, slots, holding, arrival_scv=POISSON_SCV, holding_scv=0.0):
    """``p``-quantile of the wait for one of ``slots`` decode slots held ``holding`` s each, s.

    G/G/B: ``P(wait)`` by :func:`slot_wait_probability`, and given a wait the M/M/B
    exponential tail of rate ``B (1 - rho) / holding`` scaled by ``2 / (c_a^2 + c_s^2)`` (the
    Allen--Cunneen correction, 1990); ``max(0, ln(P(wait) / (1 - p)) / rate)``, smoothed.
    """
    rho = jnp.clip(rho_slots, 1e-6, MAX_UTILISATION)
    p_wait = slot_wait_probability(rho, slots)
    rate = slots * (1.0 - rho) / holding * 2.0 / (arrival_scv + holding_scv)
    raw = jnp.log(p_wait / (1.0 - p)) / rate
    return softplus_max(raw, 0.0, _SMOOTH * holding / slots)


def busy_share_sd(rho, service, window, arrival_scv=POISSON_SCV, service_scv=0.0):
    """Standard deviation of the share of a window of ``window`` s during which the prefill
    server is busy (an alternating renewal process of busy and idle periods).

    Busy periods: mean ``b = S / (1 - rho)`` and second moment ``E[S^2] / (1 - rho)^3`` (M/G/1),
    with ``E[S^2] / S^2 = 1 + c_s^2`` generalised to ``c_a^2 + c_s^2`` (Kingman's variability
    factor); idle periods: mean ``i = S / rho`` (so ``b / (b + i) = rho``), squared CV ``c_a^2``.
    Asymptotic variance of the busy share ``(i^2 Var_b + b^2 Var_i) / (b + i)^3 / window`` (Cox,
    *Renewal Theory*, 1962), capped smoothly by the Bernoulli variance ``rho (1 - rho)`` of a
    window much shorter than one period: ``var = bern r / (r + bern window)``.
    """
    rho = jnp.clip(rho, 1e-6, MAX_UTILISATION)
    v = 0.5 * (arrival_scv + service_scv)  # E[S^2] / (2 S^2) for Poisson arrivals
    b = service / (1.0 - rho)
    var_b = service ** 2 * (2.0 * v / (1.0 - rho) ** 3 - 1.0 / (1.0 - rho) ** 2)
    i = service / rho
    var_i = arrival_scv * i ** 2
    rate = (i ** 2 * var_b + b ** 2 * var_i) / (b + i) ** 3
    bern = rho * (1.0 - rho)
    var = bern * rate / (rate + bern * window)
    return jnp.sqrt(var)


# ---------------------------------------------------------------- the distribution at one load


def latency_distribution(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, arrival_rate,
                         chunk_tokens=DEFAULT_CHUNK_TOKENS, arrival_scv=POISSON_SCV, input_cv=0.0,
                         percentiles=PERCENTILES) -> Latency:
    """TTFT and TPOT percentiles at ``arrival_rate`` requests/s per replica (the smooth core: no
    checks, jit/vmap/grad; see the module docstring for the formulas).

    ``arrival_scv``: squared coefficient of variation of inter-arrival times (1: Poisson);
    ``input_cv``: coefficient of variation of prompt lengths (the prefill service, ``c_s``; a
    request's own prefill is taken at the mean). ``tokens_per_s_per_chip = lambda T_out / G``.
    """
    table = step_table(chip, m, w, eff, d, chunk_tokens)
    return latency_from_table(table, w, d, arrival_rate, arrival_scv, input_cv, percentiles)


def latency_from_table(table: StepTable, w: Workload, d: Deployment, arrival_rate, arrival_scv=POISSON_SCV, input_cv=0.0,
                       percentiles=PERCENTILES) -> Latency:
    """:func:`latency_distribution` from a :func:`step_table` already made (reuse it across loads)."""
    p = jnp.asarray(percentiles, jnp.float32)
    pt = _operating_point(table, w, arrival_rate)
    s, rho = pt.prefill_service, pt.prefill_utilisation
    cs2 = jnp.asarray(input_cv, jnp.float32) ** 2
    # TTFT: the iteration in progress, the wait for a slot and for the prefill budget, the prefill
    holding = w.output_tokens * pt.tpot_mean + s
    w_slot = slot_wait_percentile(p, pt.slot_utilisation, w.batch, holding, arrival_scv, SLOT_HOLDING_SCV)
    t_d, t_m, c = pt.decode_step, pt.mixed_step, pt.chunk
    delta = (t_m - t_d) / c
    # the prompt's own prefill ends with the step that carries its last tokens, decode part included:
    # ceil(T_in / C) steps, each with a decode part t_d, and T_in delta for its tokens (one step
    # t_d + T_in delta when it fits in one chunk). The count of steps is an integer: it has no
    # gradient, and where T_in / C crosses an integer TTFT steps by t_d
    share_of_chunk = w.input_tokens / c
    fill, chunks = jnp.minimum(share_of_chunk, 1.0), jnp.maximum(share_of_chunk, 1.0)
    steps_own = jax.lax.stop_gradient(jnp.maximum(jnp.ceil(share_of_chunk - 1e-3), 1.0))
    room = jnp.maximum(c / w.input_tokens - 1.0, 0.0)  # other prompts that fit in its last chunk
    own = steps_own * t_d + w.input_tokens * delta
    # the step in progress when a request arrives: a decode step t_d, or (a time share rho_l) a step
    # carrying prefill, t_l = t_d + min(T_in, C) delta. Its residual R: mean sum(share t / 2), and the
    # p-th percentile of the two-point mixture of uniforms on [0, t_d] and [0, t_l]
    t_l = t_d + fill * c * delta
    rho_l = jnp.clip(arrival_rate * chunks * t_l, 0.0, MAX_UTILISATION)
    align = 0.5 * ((1.0 - rho_l) * t_d + rho_l * t_l)
    r_low = p / ((1.0 - rho_l) / t_d + rho_l / t_l)  # the percentile when it falls below t_d
    r_high = t_l * jnp.maximum(1.0 - (1.0 - p) / jnp.maximum(rho_l, 1e-6), 0.0)
    r_p = jnp.where(r_low <= t_d, r_low, r_high)
    # a prompt reaching an idle prefill budget first waits out the step in progress: that share of
    # arrivals (1 - rho, by PASTA) lengthens the busy periods (M/G/1 with exceptional first service),
    # in proportion to the share of the next chunk it fills (prompts arriving meanwhile share the rest)
    s_q = s + (1.0 - jnp.clip(rho, 0.0, 1.0)) * align * fill
    rho_q = arrival_rate * s_q
    w_pre = wait_percentile(p, rho_q, s_q, arrival_scv, cs2)
    # prompts shorter than the chunk share it with those that arrived during the same step (about
    # Poisson(lambda 2 E[R]) of them; normal quantile, at most C / T_in - 1): their tokens lengthen it
    m = arrival_rate * 2.0 * align
    k_p = jnp.clip(m + ndtri(p) * jnp.sqrt(m), 0.0, room)
    own_p = own + k_p * w.input_tokens * delta
    # the p-th percentile of R + waits lies between max(R_p, waits_p) and R_p + waits_p: taken as
    # max(R_p, E[R] + waits_p) (smoothed): the mean residual once a queue wait dominates
    ttft = own_p + softplus_max(r_p, align + w_pre + w_slot, _SMOOTH * s)
    ttft_mean = (align + own + jnp.minimum(m, room) * w.input_tokens * delta + mean_wait(rho_q, s_q, arrival_scv, cs2)
                 + _slot_mean_wait(pt, w, holding, arrival_scv))
    # TPOT: the harmonic mix of decode-only and chunked steps over the request's window, whose
    # length is the request's own output: the busy share's percentile over the mixture of windows
    share_mean = jnp.clip(rho, 0.0, MAX_UTILISATION)
    sds = busy_share_sd(rho, s, output_length_nodes(w) * pt.tpot_mean, arrival_scv, cs2)
    share = jax.vmap(lambda q: _mixture_percentile(q, share_mean, sds))(p)
    share = softplus_min(softplus_max(share, 0.0, 0.01), 1.0, 0.01)
    tpot = 1.0 / (share / t_m + (1.0 - share) / t_d)
    chips = d.tp * d.pp * d.dp
    return Latency(p, ttft, tpot, ttft_mean, pt.tpot_mean, rho, pt.slot_utilisation,
                   arrival_rate * w.output_tokens / chips, pt)


def output_length_nodes(w: Workload):
    """Output lengths of ``OUTPUT_LENGTH_NODES`` equally likely requests, tokens: a log-normal with
    mean ``T_out`` and coefficient of variation ``output_cv``: ``exp(s z_k)`` with ``s^2 = ln(1 +
    cv^2)`` at the normal quantiles ``z_k`` of the bins' midpoints, scaled so their mean is ``T_out``
    (all ``T_out`` when ``cv = 0``)."""
    s2 = jnp.log1p(jnp.asarray(w.output_cv, jnp.float32) ** 2)
    shape = jnp.exp(jnp.sqrt(s2) * _Z_NODES)
    return w.output_tokens * shape / jnp.mean(shape)  # the nodes' mean is exactly T_out


def _mixture_excess(x, q, mean, sds):
    # (1 - q) - P(share > x) over the equally likely windows: increasing in x, zero at the q-quantile
    return (1.0 - q) - jnp.mean(ndtr((mean - x) / sds))


def _mixture_bracket(q, mean, sds):
    # the mixture's quantile lies between its narrowest and widest component's: at mean + z s_max
    # every component's CDF is on the far side of q, at mean + z s_min on the near side
    z = ndtri(q)
    a, b = mean + z * jnp.min(sds), mean + z * jnp.max(sds)
    pad = 1e-6 + 1e-3 * jnp.max(sds)
    return jnp.minimum(a, b) - pad, jnp.maximum(a, b) + pad


# 14 halvings of that bracket: 6e-5 of the spread of the windows' sds
_mixture_root = implicit_root(_mixture_excess, _mixture_bracket, steps=14, increasing=True)


def _mixture_percentile(q, mean, sds):
    """``q``-quantile of an equal mixture of normals with one mean and standard deviations ``sds``
    (= ``mean + ndtri(q) sd`` when they are all ``sd``)."""
    sds = jnp.maximum(sds, 1e-9)
    return _mixture_root(q, mean, sds)


def _slot_mean_wait(pt: OperatingPoint, w: Workload, holding, arrival_scv):
    rho = jnp.clip(pt.slot_utilisation, 1e-6, MAX_UTILISATION)
    p_wait = slot_wait_probability(rho, w.batch)
    return p_wait * 0.5 * (arrival_scv + SLOT_HOLDING_SCV) * holding / (w.batch * (1.0 - rho))


# ---------------------------------------------------------------- capacity


def _saturation(log_rate, table: StepTable, w: Workload):
    pt = _operating_point(table, w, jnp.exp(log_rate))
    return jnp.log(jnp.maximum(pt.prefill_utilisation, pt.slot_utilisation))


def _capacity_bracket(table: StepTable, w: Workload):
    t_m1 = jnp.min(table.mixed_step)  # the shortest chunked step (with pipeline stages, not n = 1)
    t_db = table.decode_step[-1]
    hi = jnp.log(table.chunk_tokens / (w.input_tokens * t_m1))  # the prefill budget alone, at its fastest
    slots = w.batch / (w.output_tokens * t_db + w.input_tokens * t_m1 / table.chunk_tokens)
    lo = jnp.log(0.5 * jnp.minimum(jnp.exp(hi), slots))
    return lo - 3.0, hi + 0.1


_log_capacity = implicit_root(_saturation, _capacity_bracket, increasing=True)


def capacity_from_table(table: StepTable, w: Workload):
    """:func:`capacity` from a :func:`step_table` already made."""
    return jnp.exp(_log_capacity(table, w))


def capacity(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, chunk_tokens=DEFAULT_CHUNK_TOKENS):
    """Largest arrival rate (requests/s per replica) the replica sustains: where the prefill
    budget saturates (``rho = 1``) or the ``B`` slots fill, whichever is first; by bisection in
    log rate, differentiable by the implicit function theorem."""
    return capacity_from_table(step_table(chip, m, w, eff, d, chunk_tokens), w)


# ---------------------------------------------------------------- goodput


def _load_residual(u, cap, table, w, d, arrival_scv, p, ttft_target, tpot_target):
    lat = latency_from_table(table, w, d, u * cap, arrival_scv, 0.0, (p,))
    return jnp.log(jnp.maximum(lat.ttft[0] / ttft_target, lat.tpot[0] / tpot_target))


_max_load = implicit_root(_load_residual, lambda *a: (0.0, MAX_UTILISATION), increasing=True, steps=40)


class Goodput(NamedTuple):
    """What :func:`goodput` returns."""

    tokens_per_s_per_chip: jax.Array  # output tokens/s per chip at the best load (0 if no load meets the targets)
    arrival_rate: jax.Array  # requests/s per replica at that load
    load: jax.Array  # that rate as a share of :func:`capacity`
    meets: jax.Array  # 1.0 if the targets are met at some load


def goodput(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, ttft_target, tpot_target,
            percentile=0.99, chunk_tokens=DEFAULT_CHUNK_TOKENS, arrival_scv=POISSON_SCV, cap=None) -> Goodput:
    """Output tokens/s per chip served with the ``percentile`` TTFT and TPOT within their targets
    (s), at the load that maximises it.

    Percentiles rise with load, so the best load is the largest one meeting both targets
    (DistServe's per-GPU goodput, Zhong et al., OSDI 2024): the root in ``u = lambda / capacity``
    of ``max(TTFT_p / target, TPOT_p / target) = 1``, by bisection (40 halvings), differentiable
    through the implicit function theorem. No load meets them when even a lightly loaded replica
    is too slow: ``meets = 0`` and the goodput is 0. ``cap``: :func:`capacity`, if known.
    """
    table = step_table(chip, m, w, eff, d, chunk_tokens)
    cap = capacity_from_table(table, w) if cap is None else cap
    args = (cap, table, w, d, arrival_scv, percentile, ttft_target, tpot_target)
    u = _max_load(*args)
    r = _load_residual(u, *args)
    ok = (r <= 1e-3).astype(jnp.float32)
    # pinned at an end of [0, MAX_UTILISATION] (no root inside): the load does not move with the inputs
    u = jnp.where(jnp.abs(r) <= 1e-3, u, jax.lax.stop_gradient(u))
    lam = u * cap
    return Goodput(ok * lam * w.output_tokens / (d.tp * d.pp * d.dp), lam, u, ok)


def server_throughput_under_constraint(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment,
                                       ttft_limit, tpot_limit, percentile=0.99, chunk_tokens=DEFAULT_CHUNK_TOKENS,
                                       arrival_scv=POISSON_SCV):
    """Output tokens/s per chip of an MLPerf ``server`` / ``interactive`` row: Poisson arrivals,
    p99 TTFT and TPOT within the row's limits (s). The :func:`goodput` of one configuration
    (batch ``w.batch`` = slots, deployment ``d``); a tuner maximises it over batch and layout.
    Returns 0 where no load meets the limits."""
    return goodput(chip, m, w, eff, d, ttft_limit, tpot_limit, percentile, chunk_tokens, arrival_scv).tokens_per_s_per_chip


# ---------------------------------------------------------------- checked entry


def latency_percentiles(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency(), d: Deployment | None = None,
                        arrival_rate=None, chunk_tokens=DEFAULT_CHUNK_TOKENS, arrival_scv=POISSON_SCV, input_cv=0.0,
                        percentiles=PERCENTILES) -> Latency:
    """:func:`latency_distribution` with its inputs checked (concrete values; not under jit).

    ``arrival_rate`` (requests/s per replica) must be positive and below :func:`capacity`;
    ``chunk_tokens`` in [1, 1e6]; ``arrival_scv`` in [0.01, 100]; ``input_cv`` in [0, 10];
    percentiles in [0.01, 0.9999]; the prompt at least 1 token. A bad value raises
    :class:`~workbook.errors.InputError` naming it.
    """
    from workbook.errors import InputError, require
    from workbook.specs import tensor_parallel

    d = tensor_parallel(w.chips) if d is None else d
    require("arrival_rate", arrival_rate, low=0, low_open=True, unit="requests/s")
    require("chunk_tokens", chunk_tokens, low=1, high=1e6, unit="tokens")
    require("arrival_scv", arrival_scv, low=0.01, high=100)
    require("input_cv", input_cv, low=0, high=10)
    require("percentiles", percentiles, low=0.01, high=0.9999)
    require("input_tokens", w.input_tokens, low=1, unit="tokens")
    args = tuple(as_arrays(r) for r in (chip, m, w, eff, d))
    cap = float(_capacity_jit(*args, jnp.float32(chunk_tokens)))
    if float(arrival_rate) >= cap:
        raise InputError(f"arrival_rate: {float(arrival_rate):.6g} is out of range; allowed (0, {cap:.6g}) requests/s, "
                         f"the capacity of this replica (the prefill budget or the {int(float(w.batch))} slots saturate)")
    return _latency_jit(*args, jnp.float32(arrival_rate), jnp.float32(chunk_tokens), jnp.float32(arrival_scv),
                        jnp.float32(input_cv), jnp.asarray(percentiles, jnp.float32))


_capacity_jit = jax.jit(capacity)
_latency_jit = jax.jit(latency_distribution)
