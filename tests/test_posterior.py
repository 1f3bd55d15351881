"""The Laplace posterior of the calibration: exact on a problem with a known answer, and the
shipped factor table (priors, intervals, bound flags with reasons)."""

import jax.numpy as jnp
import numpy as np
import pytest

from workbook import calibration
from workbook.calibration import fitting, posterior
from workbook.errors import InputError
from workbook.specs import Efficiency


def test_laplace_is_exact_for_a_gaussian_posterior():
    # nlp = 1/2 (t - mu)' A (t - mu): the posterior is N(mu, A^-1) exactly
    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    mu = np.array([0.3, -1.0, 2.0])
    params = {"x": jnp.asarray(mu, jnp.float32)}

    def nlp(p):
        d = p["x"] - jnp.asarray(mu, jnp.float32)
        return 0.5 * d @ jnp.asarray(a, jnp.float32) @ d

    h = posterior.hessian(nlp, params)
    np.testing.assert_allclose(h, a, rtol=1e-5)
    cov, min_eig = posterior.laplace_covariance(h)
    np.testing.assert_allclose(cov, np.linalg.inv(a), rtol=1e-5)
    assert min_eig == pytest.approx(np.linalg.eigvalsh(a).min(), rel=1e-5)


def test_laplace_of_a_known_curvature_through_the_sigmoid_map():
    # a logistic prior alone: curvature 2 sigmoid'(0) = 1/2 at its mode, so sd = sqrt(2)
    def nlp(p):
        return -jnp.sum(fitting._log_logistic_density(p["t"]))

    h = posterior.hessian(nlp, {"t": jnp.zeros(2, jnp.float32)})
    np.testing.assert_allclose(h, 0.5 * np.eye(2), atol=1e-6)


def test_a_flat_direction_gets_a_finite_spread():
    cov, min_eig = posterior.laplace_covariance(np.diag([2.0, 0.0]))
    assert min_eig == 0.0 and np.all(np.isfinite(cov)) and cov[1, 1] > 1e5


def test_parameter_names_follow_the_flattened_order():
    params = fitting._init(2)
    names = posterior.parameter_names(params, ["fam_a", "fam_b"])
    assert len(names) == len(set(names)) == 3 + 2 * 3 + 2 * 3 + len(fitting.GLOBAL) + 1  # + log_sigma
    assert "runtime.fam_b.collective_latency" in names and "family.fam_a.memory" in names


# --- the shipped calibration ---------------------------------------------------------------

@pytest.fixture(scope="module")
def cal():
    return calibration.calibration()


def test_every_factor_has_a_prior_a_map_inside_it_and_an_interval_around_it(cal):
    rows = cal["factors"]
    assert {r["factor"] for r in rows} >= {*fitting.HARDWARE, *fitting.RUNTIME, *fitting.GLOBAL}
    for r in rows:
        lo, hi = r["prior_low"], r["prior_high"]
        assert lo <= r["low95"] <= r["value"] <= r["high95"] <= hi * (1 + 1e-3), r
        assert r["prior_source"], r


def test_no_factor_sits_at_a_bound_without_a_written_reason(cal):
    for r in cal["factors"]:
        if r["at_bound"]:
            assert r["reason"], f"{r['family']}.{r['factor']} is at a bound of its prior with no reason"


def test_runtime_factors_of_tensorrt_llm_families_use_its_own_priors(cal):
    fam = cal["families"]["nvidia_hopper"]
    lo, hi, src = fitting.RUNTIME_PRIORS["tensorrt_llm"]["kernel_time"]
    assert lo <= fam["kernel_time"] <= hi and "CUDA graphs" in src


def test_a_family_without_rows_keeps_its_runtime_prior(cal):
    # TPUs have no calibration rows: their runtime factors are the middles of the generic priors
    eff = calibration.efficiency("google_tpu_v5e")
    assert eff.kernel_time == pytest.approx(fitting.prior_median("kernel_time"))
    assert eff.step_overhead == pytest.approx(fitting.prior_median("step_overhead"))
    assert calibration.calibration_status("google_tpu_v5e") == "prior only"


def test_posterior_samples_are_reproducible_and_inside_the_priors(cal):
    a = posterior.efficiency_samples(cal, "nvidia_hopper", 500, seed=1)
    b = posterior.efficiency_samples(cal, "nvidia_hopper", 500, seed=1)
    assert isinstance(a, Efficiency)
    np.testing.assert_array_equal(np.asarray(a.memory), np.asarray(b.memory))
    for k in (*fitting.HARDWARE, *fitting.RUNTIME, *fitting.GLOBAL):
        lo, hi, _ = fitting.prior(k, "nvidia_hopper")
        x = np.asarray(getattr(a, k))
        assert x.min() >= lo * (1 - 1e-6) and x.max() <= hi * (1 + 1e-6), k
    # the samples scatter around the MAP by the reported interval
    row = next(r for r in cal["factors"] if r["family"] == "nvidia_hopper" and r["factor"] == "memory")
    q = np.percentile(np.asarray(a.memory), [2.5, 50, 97.5])
    assert q[1] == pytest.approx(row["value"], rel=0.03)
    assert q[0] == pytest.approx(row["low95"], rel=0.05) and q[2] == pytest.approx(row["high95"], rel=0.05)


def test_an_unmeasured_family_is_more_uncertain_than_a_measured_one(cal):
    measured = np.asarray(posterior.efficiency_samples(cal, "nvidia_hopper", 2000).memory)
    prior_only = np.asarray(posterior.efficiency_samples(cal, "google_tpu", 2000).memory)
    assert np.std(prior_only) > 1.5 * np.std(measured)


def test_posterior_samples_reject_bad_counts(cal):
    with pytest.raises(InputError, match="n: 0 is out of range"):
        posterior.efficiency_samples(cal, "nvidia_hopper", 0)
