"""Tail latency under load (workbook/model/latency.py): queueing formulas pinned to exact results,
invariants, checked errors, gradients, goodput, and a discrete-event simulation of the same
iteration engine."""

import collections
import heapq
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbook import catalog
from workbook.errors import InputError
from workbook.model import latency as L
from workbook.model import serving
from workbook.specs import Deployment, Efficiency, as_arrays, workload

H100 = catalog.chip("nvidia_h100_sxm")
L8 = catalog.model("llama-3.1-8b")
# A frozen set of efficiencies (the H100 calibration of 2026-11-30, with the default overlap temperature
# 0.1): refits of calibration.json must not move these tests of the queueing and serving logic.
EFF = Efficiency(compute_prefill=0.84, compute_decode=0.82, memory=0.77, interconnect=0.52, collective_latency=1.2,
                 moe=0.52, step_overhead=1.5e-4, temperature=0.1, kernel_time=1e-6, kernels_per_layer=6.0)
ONE = Deployment(1.0, 1.0, 1.0, 1.0)
# compiled once per module (eager evaluation of the nested solves is slow)
lat_jit = jax.jit(L.latency_distribution, static_argnames=("percentiles",))
cap_jit = jax.jit(L.capacity)
goodput_jit = jax.jit(L.goodput)


def args(batch=64, t_in=1024, t_out=256, chip=H100):
    w = workload("fp8", batch=batch, input_tokens=t_in, output_tokens=t_out)
    return [as_arrays(r) for r in (chip, L8, w, EFF, ONE)]


# ---------------------------------------------------------------- queueing formulas


@pytest.mark.parametrize("rho", [0.2, 0.5, 0.8, 0.95])
def test_mm1_is_exact(rho):
    # M/M/1 (Kleinrock 1975, vol. 1, eq. 3.28): P(W > t) = rho exp(-(mu - lambda) t), E[W] = rho/(mu - lambda)
    s = 2.0  # mean service, s
    assert float(L.tail_decay(rho, 1.0, 1.0)) == pytest.approx(1 - rho, rel=1e-4)
    assert float(L.mean_wait(rho, s, 1.0, 1.0)) == pytest.approx(rho * s / (1 - rho), rel=1e-5)
    for p in (0.9, 0.99):
        exact = np.log(rho / (1 - p)) * s / (1 - rho)
        assert float(L.wait_percentile(p, rho, s, 1.0, 1.0)) == pytest.approx(exact, rel=2e-3)


@pytest.mark.parametrize("rho,p50,p99", [(0.5, 0.001, 3.347), (0.7, 0.732, 6.492), (0.8, 1.271, 10.318), (0.9, 3.046, 22.33)])
def test_md1_within_8_percent_of_lindley(rho, p50, p99):
    # M/D/1, S = 1: p50 and p99 of the wait from a 2e6-customer Lindley recursion W' = max(0, W + S - A)
    # (seed 0, run once offline; sampling error below 1 %). Capping the tail prefactor at P(W > 0) = rho
    # costs up to 7 % at rho = 0.5 (see wait_percentile). Pollaczek-Khinchine mean: rho / (2 (1 - rho)).
    assert float(L.mean_wait(rho, 1.0, 1.0, 0.0)) == pytest.approx(rho / (2 * (1 - rho)), rel=1e-5)
    assert float(L.wait_percentile(0.99, rho, 1.0, 1.0, 0.0)) == pytest.approx(p99, rel=0.08)
    assert float(L.wait_percentile(0.5, rho, 1.0, 1.0, 0.0)) == pytest.approx(p50, abs=0.25)  # low by up to 0.23 S


def erlang_c(servers, rho):
    """Exact M/M/c probability of waiting (Erlang C), for the check below."""
    a = servers * rho
    terms = [a ** k / math.factorial(k) for k in range(servers)]
    last = a ** servers / math.factorial(servers) / (1 - rho)
    return last / (sum(terms) + last)


@pytest.mark.parametrize("servers,rho", [(1, 0.5), (8, 0.7), (64, 0.8)])
def test_slot_wait_probability_against_erlang_c(servers, rho):
    # Sakasegawa (1977): exact for one server; above Erlang C (Kleinrock 1975) but within 2x of it for many
    # servers -- deliberately conservative, see slot_wait_probability
    got, exact = float(L.slot_wait_probability(rho, servers)), erlang_c(servers, rho)
    if servers == 1:
        assert got == pytest.approx(exact, rel=1e-5)
    else:
        assert exact <= got <= 2 * exact


def test_md1_tail_decay_solves_the_lundberg_equation():
    # M/D/1: lambda (e^{eta S} - 1) = eta  <=>  rho (e^x - 1) = x for x = eta S
    for rho in (0.3, 0.6, 0.9):
        x = float(L.tail_decay(rho, 1.0, 0.0))
        assert rho * (np.exp(x) - 1) == pytest.approx(x, rel=1e-4)


def test_burstier_arrivals_wait_longer():
    w = [float(L.wait_percentile(0.99, 0.7, 1.0, ca2, 0.0)) for ca2 in (0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in zip(w, w[1:]))


# ---------------------------------------------------------------- the distribution under load


def test_percentiles_ordered_and_increasing_with_load():
    a = args()
    cap = float(cap_jit(*a, 512.0))
    loads = jnp.linspace(0.05, 0.95, 10) * cap
    lat = jax.jit(jax.vmap(lambda lam: L.latency_distribution(*a, lam, 512.0)))(loads)
    ttft, tpot = np.asarray(lat.ttft), np.asarray(lat.tpot)
    assert np.isfinite(ttft).all() and np.isfinite(tpot).all()
    assert (np.diff(ttft, axis=1) > 0).all() and (np.diff(tpot, axis=1) >= 0).all()  # p50 <= p90 <= p99
    assert (np.diff(ttft, axis=0) > 0).all() and (np.diff(tpot, axis=0) > 0).all()  # rising with load
    assert (np.asarray(lat.ttft_mean) > 0).all() and (ttft[:, -1] > np.asarray(lat.ttft_mean)).all()


def test_bigger_chunks_slow_decode_and_speed_prefill():
    a = args(batch=256)
    lam = 10.0
    small, big = (lat_jit(*a, lam, c) for c in (256.0, 4096.0))
    assert float(big.point.mixed_step) > float(small.point.mixed_step)  # a chunk stretches its step
    assert float(big.point.prefill_service) < float(small.point.prefill_service)  # fewer, fuller steps
    assert float(cap_jit(*a, 4096.0)) > float(cap_jit(*a, 256.0))


@pytest.mark.parametrize("batch", [64, 512, 2048])
def test_occupancy_keeps_littles_law_and_capacity_stays_below_the_offline_cycle(batch):
    # At 2,048 slots decode steps are compute-bound (t_d nearly proportional to n), where iterating
    # n = lambda T_out TPOT(n) converges slowly: 12 iterations left Little's law 7 % short and the
    # capacity above what the same slots serve offline. The closed form keeps n = lambda T_out TPOT
    # to 1e-4, and the queue at capacity serves no more than serving.performance's cycle, which
    # overlaps prefill with decode over the whole batch (the queue only within a step).
    for t_in, t_out in ((1024, 256), (222, 294)):
        a = args(batch=batch, t_in=t_in, t_out=t_out)
        cycle = float(serving.performance(*a).tokens_per_s_per_chip)
        for chunk in (512.0, 8192.0):
            cap = float(cap_jit(*a, chunk))
            pt = L.operating_point(*a, 0.99 * cap, chunk)
            assert float(pt.decoding) == pytest.approx(0.99 * cap * t_out * float(pt.tpot_mean), rel=1e-4)
            assert cap * t_out <= 1.001 * cycle, (batch, t_in, t_out, chunk)


@pytest.mark.parametrize("chip", ["nvidia_h100_sxm", "nvidia_b200_hgx"])
def test_occupancy_closed_form_is_the_root_a_bisection_finds(chip):
    # The quadratic on the step table's segment against 40 halvings of [0, above the slowest TPOT]
    # (the residual's root), from idle through capacity to overload (the stretch clipped), for
    # slot counts whose steps are bandwidth- or compute-bound; and its derivative in the load
    # against central differences.
    from workbook.numerics import bisect

    def bisected(table, w, lam):
        stretch = jnp.minimum(lam * w.input_tokens * jnp.max(table.token_time), L.MAX_UTILISATION)
        hi = 1.001 * lam * w.output_tokens * jnp.max(table.decode_step) / (1.0 - stretch) + 1e-6
        return bisect(lambda n: L._occupancy_residual(n, table, w, lam), 0.0, hi, 40, True)

    closed = jax.jit(L._occupancy_closed_form)
    for batch in (1, 64, 2048):
        for t_in, t_out, chunk in ((1024, 256, 512.0), (8000, 100, 8192.0)):
            a = args(batch, t_in, t_out, catalog.chip(chip))
            table = L.step_table(*a, chunk)
            cap = float(cap_jit(*a, chunk))
            for u in (0.0, 0.3, 0.95, 0.999, 1.2, 3.0):
                lam = jnp.float32(u * cap)
                got, want = float(closed(table, a[2], lam)), float(bisected(table, a[2], lam))
                assert got == pytest.approx(want, rel=1e-4, abs=1e-4), (batch, t_in, u)
            lam, h = 0.5 * cap, 1e-3 * cap
            slope = float(jax.grad(lambda x: closed(table, a[2], x))(jnp.float32(lam)))
            central = (float(closed(table, a[2], jnp.float32(lam + h))) - float(closed(table, a[2], jnp.float32(lam - h)))) / (2 * h)
            assert slope == pytest.approx(central, rel=1e-2)


def test_finite_at_and_beyond_capacity_but_checked_entry_refuses():
    a = args()
    cap = float(cap_jit(*a, 512.0))
    for lam in (cap, 1.5 * cap, 10 * cap):
        lat = lat_jit(*a, lam, 512.0)
        assert np.isfinite(np.asarray(lat.ttft)).all() and np.isfinite(np.asarray(lat.tpot)).all()
    w = workload("fp8", batch=64, input_tokens=1024, output_tokens=256)
    with pytest.raises(InputError, match=r"arrival_rate: .* is out of range; allowed \(0, .*\) requests/s, the capacity"):
        L.latency_percentiles(H100, L8, w, EFF, ONE, 1.01 * cap, 512.0)
    ok = L.latency_percentiles(H100, L8, w, EFF, ONE, 0.5 * cap, 512.0)
    assert float(ok.prefill_utilisation) < 1 and float(ok.slot_utilisation) < 1


@pytest.mark.parametrize("kw,message", [
    (dict(arrival_rate=0.0), "arrival_rate: 0 is out of range; allowed (0, inf) requests/s"),
    (dict(arrival_rate=float("nan")), "arrival_rate: nan is not a finite number"),
    (dict(arrival_rate=1.0, chunk_tokens=0.0), "chunk_tokens: 0 is out of range; allowed [1, 1e+06] tokens"),
    (dict(arrival_rate=1.0, arrival_scv=-1.0), "arrival_scv: -1 is out of range; allowed [0.01, 100]"),
    (dict(arrival_rate=1.0, percentiles=(0.5, 1.0)), "percentiles: 1 (element 1) is out of range"),
    (dict(arrival_rate=1.0, input_cv=11.0), "input_cv: 11 is out of range; allowed [0, 10]"),
])
def test_bad_input_names_the_field(kw, message):
    w = workload("fp8", batch=64)
    with pytest.raises(InputError) as exc:
        L.latency_percentiles(H100, L8, w, EFF, ONE, **kw)
    assert message in str(exc.value)


def test_empty_prompt_is_refused():
    with pytest.raises(InputError, match=r"input_tokens: 0 is out of range; allowed \[1, inf\) tokens"):
        L.latency_percentiles(H100, L8, workload("fp8", input_tokens=0), EFF, ONE, 1.0)


def test_gradients_are_finite_and_match_finite_differences():
    a = args()
    lam = 0.6 * float(cap_jit(*a, 512.0))

    def p99_ttft(bw):
        chip = a[0]._replace(memory_bandwidth=bw)
        return L.latency_distribution(chip, *a[1:], lam, 512.0).ttft[-1]

    bw = float(H100.memory_bandwidth)
    p99_ttft = jax.jit(p99_ttft)
    g = float(jax.jit(jax.grad(p99_ttft))(jnp.float32(bw)))
    fd = (float(p99_ttft(jnp.float32(bw * 1.02))) - float(p99_ttft(jnp.float32(bw * 0.98)))) / (0.04 * bw)
    assert np.isfinite(g) and g < 0  # more bandwidth, shorter tail
    assert g == pytest.approx(fd, rel=0.05)
    grads = jax.jit(jax.grad(lambda c: L.capacity(c, *a[1:], 512.0)))(a[0])
    assert all(np.isfinite(float(x)) for x in grads)
    assert float(grads.memory_bandwidth) > 0


# ---------------------------------------------------------------- goodput


def test_goodput_is_the_largest_load_meeting_the_targets():
    a = args()
    ttft_target, tpot_target = 0.2, 0.0095
    g = goodput_jit(*a, ttft_target, tpot_target, 0.99, 512.0)
    assert float(g.meets) == 1.0 and 0 < float(g.load) < 1
    at = lat_jit(*a, g.arrival_rate, 512.0, percentiles=(0.99,))
    assert float(at.ttft[0]) <= ttft_target * 1.002 and float(at.tpot[0]) <= tpot_target * 1.002
    above = lat_jit(*a, 1.02 * g.arrival_rate, 512.0, percentiles=(0.99,))
    assert float(above.ttft[0]) > ttft_target or float(above.tpot[0]) > tpot_target
    assert float(g.tokens_per_s_per_chip) == pytest.approx(float(g.arrival_rate) * 256, rel=1e-5)
    grad = jax.jit(jax.grad(lambda c: L.goodput(c, *a[1:], ttft_target, tpot_target, 0.99, 512.0).tokens_per_s_per_chip))(a[0])
    assert np.isfinite(float(grad.memory_bandwidth)) and float(grad.memory_bandwidth) > 0


def test_unreachable_targets_give_zero_goodput():
    a = args()
    g = goodput_jit(*a, 1e-4, 1e-4, 0.99, 512.0)  # 0.1 ms: no load is that fast
    assert float(g.meets) == 0.0 and float(g.tokens_per_s_per_chip) == 0.0
    s = jax.jit(L.server_throughput_under_constraint)(*a, 2.0, 0.2)  # MLPerf Llama-2-70B server limits, on an 8B model
    assert float(s) > 0


# ---------------------------------------------------------------- discrete-event simulation


def simulate(t_d, t_m, chunk, t_in, t_out, slots, rate, n_req, seed, scv=1.0, out_cv=0.0):
    """Iteration-level simulation of continuous batching with chunked prefill.

    Each iteration advances every decoding sequence one token and prefills, FIFO, the prompt tokens
    the token budget ``chunk`` has left after those ``n`` tokens (``chunk - n``, as TensorRT-LLM's
    ``MicroBatchScheduler`` and vLLM V1 schedule; a prompt takes a slot when its first chunk starts;
    at most ``slots``); it takes ``t_d[n] + c (t_m[n] - t_d[n]) / chunk`` for ``n`` decoding
    sequences and ``c`` prompt tokens (the model's step, linear in the prompt tokens it carries).
    A prompt's last chunk emits its first token (TTFT); ``t_out - 1`` decode steps follow (TPOT =
    their mean). Gamma inter-arrival times with squared CV ``scv``; output lengths all ``t_out``,
    or (``out_cv > 0``) gamma-distributed with mean ``t_out`` and that coefficient of variation
    (at least 2 tokens). Returns TTFT and TPOT of the requests after the first 10 % (warm-up).
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.gamma(1.0 / scv, scv / rate, n_req))
    if out_cv > 0:
        outs = np.maximum(np.rint(rng.gamma(1.0 / out_cv ** 2, t_out * out_cv ** 2, n_req)), 2).astype(int)
    else:
        outs = np.full(n_req, int(t_out))
    ttft, tpot, first = np.full(n_req, np.nan), np.full(n_req, np.nan), np.zeros(n_req)
    queue = collections.deque()  # [request, prompt tokens left, holds a slot]
    decoding = []  # heap of (step of its last token, request)
    t, step, nxt, done, holding = 0.0, 0, 0, 0, 0
    while done < n_req:
        while nxt < n_req and arrivals[nxt] <= t:
            queue.append([nxt, t_in, False])
            nxt += 1
        n = len(decoding)
        budget, taken, finished = max(chunk - n, 0), 0, []
        for q in queue:
            if budget <= 0:
                break
            if not q[2]:
                if n + holding >= slots:
                    break
                q[2], holding = True, holding + 1
            k = min(budget, q[1])
            q[1], budget, taken = q[1] - k, budget - k, taken + k
            if q[1] == 0:
                finished.append(q[0])
        if n == 0 and taken == 0:
            t = max(t, arrivals[nxt])
            continue
        i = max(n, 1)
        t += t_d[i] + taken * (t_m[i] - t_d[i]) / chunk
        step += 1
        while decoding and decoding[0][0] == step:
            _, r = heapq.heappop(decoding)
            tpot[r] = (t - first[r]) / (outs[r] - 1)
            done += 1
        for r in finished:
            queue.popleft()
            holding -= 1
            ttft[r], first[r] = t - arrivals[r], t
            heapq.heappush(decoding, (step + outs[r] - 1, r))
    keep = slice(n_req // 10, None)
    return ttft[keep], tpot[keep]


# (batch B, token budget K, prompt, output, loads as shares of capacity): prefill-bound (256 slots),
# slot-bound (64 slots), prompts shorter than the chunk (several share one chunk: MLPerf's
# Llama-2-70B and Mixtral rows), and long answers whose decoding tokens take a fifth of the budget
# (the chunk C(n) = K - n falls to about 410 of 512 tokens at 0.6). Over these loads, seeds 0-5
# (2026-12-02): TTFT within 6.9 %, TPOT p50 within 1.3 %, TPOT p99 low by 2.6-9.5 %. Beyond them
# the model's error grows (measured 2026-12-01, before the budget was shared, seed 0,
# 60,000 requests: slot-bound TPOT p99 -10.4 % at 0.75, p50 and p99 TTFT -13 % and -34 % at 0.9;
# 512-token prompts in 2,048-token chunks p99 TTFT +9 % at 0.6 and +12.5 % at 0.75) and the
# simulated p99 needs many more requests to settle.
DES_CASES = [(256, 256, 1024, 128, (0.3, 0.45, 0.6)), (64, 512, 1024, 256, (0.3, 0.4, 0.5)),
             (256, 2048, 512, 256, (0.3, 0.45)), (512, 2048, 300, 150, (0.3, 0.6, 0.75)),
             (256, 512, 128, 1024, (0.3, 0.6))]
DES_REQUESTS = 30_000
DES_SEED = int(os.environ.get("WORKBOOK_DES_SEED", "0"))  # checked offline with seeds 0-5


@pytest.mark.parametrize("batch,chunk,t_in,t_out,loads", DES_CASES)
def test_percentiles_match_a_discrete_event_simulation(batch, chunk, t_in, t_out, loads):
    a = args(batch, t_in, t_out)
    n = jnp.arange(0, batch + 1, dtype=jnp.float32)
    t_d, t_m = (np.asarray(x, float) for x in jax.vmap(lambda k: L.step_times(*a, k, float(chunk)))(n))
    cap = float(cap_jit(*a, float(chunk)))
    for u in loads:
        lat = lat_jit(*a, jnp.float32(u * cap), float(chunk), percentiles=(0.5, 0.99))
        ttft, tpot = simulate(t_d, t_m, chunk, t_in, t_out, batch, u * cap, DES_REQUESTS, DES_SEED)
        sim = np.percentile(ttft, [50, 99]), np.percentile(tpot, [50, 99])
        for name, got, want in (("TTFT", lat.ttft, sim[0]), ("TPOT", lat.tpot, sim[1])):
            err = np.asarray(got, float) / want - 1
            assert (np.abs(err) < 0.10).all(), f"{name} p50/p99 at load {u}: model {np.asarray(got)}, simulated {want}"


# Output lengths that vary (MLPerf's OpenOrca outputs: coefficient of variation 0.79): a request's
# TPOT averages the step times of its own window, so short answers spread the TPOT percentiles.
# Measured (seeds 0-3, 2026-12-02): TPOT p99 low by 5.2-8.6 % and TTFT within 6.0 % over these loads; ignoring the spread
# (every window T_out long) gave TPOT p99 up to 17 % low.
DES_SPREAD_CASES = [(256, 256, 1024, 128, (0.3, 0.45, 0.6)), (512, 2048, 300, 150, (0.3, 0.6))]


@pytest.mark.parametrize("batch,chunk,t_in,t_out,loads", DES_SPREAD_CASES)
def test_percentiles_with_spread_outputs_match_a_discrete_event_simulation(batch, chunk, t_in, t_out, loads):
    a = args(batch, t_in, t_out)
    a[2] = a[2]._replace(output_cv=jnp.float32(0.8))
    n = jnp.arange(0, batch + 1, dtype=jnp.float32)
    t_d, t_m = (np.asarray(x, float) for x in jax.vmap(lambda k: L.step_times(*a, k, float(chunk)))(n))
    cap = float(cap_jit(*a, float(chunk)))
    for u in loads:
        lat = lat_jit(*a, jnp.float32(u * cap), float(chunk), percentiles=(0.5, 0.99))
        ttft, tpot = simulate(t_d, t_m, chunk, t_in, t_out, batch, u * cap, DES_REQUESTS, DES_SEED, out_cv=0.8)
        sim = np.percentile(ttft, [50, 99]), np.percentile(tpot, [50, 99])
        for name, got, want in (("TTFT", lat.ttft, sim[0]), ("TPOT", lat.tpot, sim[1])):
            err = np.asarray(got, float) / want - 1
            assert (np.abs(err) < 0.10).all(), f"{name} p50/p99 at load {u}: model {np.asarray(got)}, simulated {want}"


def test_output_length_nodes_keep_the_mean_and_spread():
    # equally likely log-normal nodes: mean exactly T_out, spread close to the workload's (the bins'
    # midpoints under-represent the far tail), and all T_out with no spread
    w = workload("fp8", output_tokens=294.45, output_cv=0.787)
    nodes = np.asarray(L.output_length_nodes(w), float)
    assert nodes.shape == (L.OUTPUT_LENGTH_NODES,) and np.all(np.diff(nodes) > 0)
    assert nodes.mean() == pytest.approx(294.45, rel=1e-5)
    assert 0.55 < nodes.std() / nodes.mean() < 0.787
    np.testing.assert_allclose(np.asarray(L.output_length_nodes(w._replace(output_cv=0.0))), 294.45, rtol=1e-6)
    # the mixture's percentile is a normal's when every window is the same
    q = float(L._mixture_percentile(0.99, 0.3, jnp.full(16, 0.05)))
    assert q == pytest.approx(0.3 + 2.3263479 * 0.05, rel=1e-5)
