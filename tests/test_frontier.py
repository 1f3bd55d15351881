"""The throughput-interactivity frontier (workbook/analysis/frontier.py) and ``workbook frontier``."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbook import catalog
from workbook.analysis import frontier as F
from cli_helpers import run_cli
from workbook.errors import InputError
from workbook.model import cost, latency
from workbook.specs import Deployment, Efficiency, as_arrays, workload

H100 = catalog.chip("nvidia_h100_sxm")
L8 = catalog.model("llama-3.1-8b")
# A frozen set of efficiencies (the H100 calibration of 2026-11-30, with the default overlap temperature
# 0.1): refits of calibration.json must not move these tests of the queueing and serving logic.
EFF = Efficiency(compute_prefill=0.84, compute_decode=0.82, memory=0.77, interconnect=0.52, collective_latency=1.2,
                 moe=0.52, step_overhead=1.5e-4, temperature=0.1, kernel_time=1e-6, kernels_per_layer=6.0)
W = workload("fp8", input_tokens=1024, output_tokens=256)
cap_jit = jax.jit(latency.capacity)
lat_jit = jax.jit(latency.latency_distribution, static_argnames=("percentiles",))
KEYS = {"tokens_per_s_per_user", "tokens_per_s_per_chip", "usd_per_million_tokens", "joules_per_token", "batch", "parallelism"}


@pytest.fixture(scope="module")
def h100_points():
    return F.frontier(H100, L8, W, EFF)


def assert_pareto(points):
    user = [p["tokens_per_s_per_user"] for p in points]
    chip = [p["tokens_per_s_per_chip"] for p in points]
    assert points and all(KEYS <= set(p) for p in points)
    assert user == sorted(user)
    assert all(a >= b for a, b in zip(chip, chip[1:]))  # throughput per chip non-increasing
    assert all(set(p["parallelism"]) == {"tp", "pp", "ep", "dp"} for p in points)
    assert all(np.isfinite([p[k] for k in KEYS - {"parallelism"}]).all() and p["tokens_per_s_per_chip"] > 0 for p in points)


def test_pareto_indices_on_a_toy_set():
    user = [1, 2, 3, 2.5, 0.5, 3]
    chip = [10, 8, 2, 1, 5, 1]
    assert list(F.pareto_indices(user, chip)) == [0, 1, 2]  # (0.5, 5) and (2.5, 1), (3, 1) are dominated


def test_frontier_is_pareto_ordered_and_spans_a_trade_off(h100_points):
    pts = h100_points
    assert_pareto(pts)
    assert len(pts) >= 5
    # the trade-off: the most interactive point serves far fewer tokens per chip than the least
    assert pts[0]["tokens_per_s_per_chip"] > 5 * pts[-1]["tokens_per_s_per_chip"]
    assert pts[-1]["tokens_per_s_per_user"] > 3 * pts[0]["tokens_per_s_per_user"]
    assert pts[0]["batch"] > pts[-1]["batch"]  # throughput comes from batching
    assert pts[0]["usd_per_million_tokens"] < pts[-1]["usd_per_million_tokens"]


def test_each_point_meets_the_interactivity_it_claims(h100_points):
    lat = lat_jit
    for p in h100_points:
        par = p["parallelism"]
        d = Deployment(*(float(par[k]) for k in ("tp", "pp", "ep", "dp")))
        w = W._replace(batch=float(p["batch"]))
        args = [as_arrays(r) for r in (H100, L8, w, EFF, d)]
        cap = float(cap_jit(*args, float(p["chunk_tokens"])))
        assert p["arrival_rate"] == pytest.approx(p["load"] * cap, rel=1e-4)
        got = lat(*args, jnp.float32(p["arrival_rate"]), float(p["chunk_tokens"]), percentiles=(p["percentile"],))
        assert 1.0 / float(got.tpot[0]) >= p["tokens_per_s_per_user"] * (1 - 1e-4)
        assert float(got.ttft[0]) == pytest.approx(p["ttft_s"], rel=1e-4)
        tokens = p["arrival_rate"] * 256
        assert p["tokens_per_s_per_chip"] == pytest.approx(tokens / p["chips"], rel=1e-5)
        assert p["usd_per_million_tokens"] == pytest.approx(float(cost.usd_per_million_tokens(H100.price, p["chips"], tokens)), rel=1e-4)
        break_even_watts = p["joules_per_token"] * tokens / p["chips"]
        assert 0.3 * H100.power * 0.99 <= break_even_watts <= H100.power * 1.01  # between static and full power


def test_gradient_at_an_interactivity_is_finite_and_matches_finite_differences(h100_points):
    interactivity = 100.0
    r = F.frontier_gradient(H100, L8, W, EFF, h100_points, interactivity)
    assert r["point"]["tokens_per_s_per_user"] >= interactivity
    assert np.isfinite([r["elasticity_bandwidth"], r["elasticity_compute"]]).all()
    assert r["elasticity_bandwidth"] > 0 and r["elasticity_compute"] >= 0
    # central differences of the same goodput (same compiled function, scaled inputs)
    par, p = r["point"]["parallelism"], r["point"]
    d = Deployment(*(float(par[k]) for k in ("tp", "pp", "ep", "dp")))
    args = [as_arrays(x) for x in (H100, L8, W._replace(batch=float(p["batch"])), EFF, d)]
    rest = (jnp.float32(p["chunk_tokens"]), jnp.float32(1 / interactivity), jnp.float32(p["percentile"]), jnp.float32(1e9))
    value = lambda s: float(F._goodput_value_and_grad(jnp.asarray(s, jnp.float32), *args, *rest)[0])  # noqa: E731
    h = 0.02
    fd = (np.log(value([1 + h, 1.0])) - np.log(value([1 - h, 1.0]))) / (2 * h)
    assert r["elasticity_bandwidth"] == pytest.approx(fd, rel=0.1, abs=0.02)


def test_bad_input_is_refused(h100_points):
    with pytest.raises(InputError, match=r"load: 0.99 is out of range; allowed \[0.05, 0.95\]"):
        F.frontier(H100, L8, W, EFF, load=0.99)
    with pytest.raises(InputError, match=r"percentile: 0.2 is out of range"):
        F.frontier(H100, L8, W, EFF, percentile=0.2)
    with pytest.raises(InputError, match=r"interactivity: 1e\+06 is out of range; allowed \(0, .*\] tokens/s per user"):
        F.frontier_gradient(H100, L8, W, EFF, h100_points, 1e6)
    tiny = H100._replace(memory_capacity=1e6)
    with pytest.raises(InputError, match="does not fit on tiny"):
        F.frontier(tiny, L8, W, EFF, chip_id="tiny")


# ---------------------------------------------------------------- the command line




def test_cli_frontier_json_for_every_chip(capsys):
    for chip_id in catalog.chip_ids():
        code, out, err = run_cli(capsys, "frontier", "--chip", chip_id, "--model", "llama-3.1-8b", "--json")
        assert code == 0, (chip_id, err)
        assert_pareto(json.loads(out))


def test_cli_frontier_text(capsys):
    code, out, _ = run_cli(capsys, "frontier", "--chip", "nvidia_h100_sxm", "--model", "llama-3.1-8b", "--output-tokens", "128")
    assert code == 0 and "tok/s/user" in out and "tp,pp,ep,dp" in out


@pytest.mark.parametrize("args,message", [
    (("--chip", "groq_lpu_v1", "--model", "llama-3.1-405b", "--precision", "bf16", "--input-tokens", "100000"),
     "llama-3.1-405b does not fit on groq_lpu_v1"),
    (("--chip", "nvidia_h100", "--model", "llama-3.1-8b"), "unknown chip 'nvidia_h100'"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3.1-8b", "--precision", "fp3"), "precision: unknown value 'fp3'"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3.1-8b", "--input-tokens", "0"), "--input-tokens: 0 is out of range"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3-8b", "--input-tokens", "9000"), "the context of llama-3-8b"),
])
def test_cli_frontier_errors_are_one_line_with_status_2(capsys, args, message):
    code, out, err = run_cli(capsys, "frontier", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err, err
