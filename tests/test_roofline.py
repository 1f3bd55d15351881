"""The roofline: critical batch sizes and the smooth max."""

import jax
import jax.numpy as jnp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook import catalog
from workbook.roofline import critical_batch_size, smooth_max


def test_critical_batch_tpu_v5e_scaling_book():
    # scaling book: 1.97e14 / 8.2e11 ~ 240 tokens (bf16); int8 weights 120; int4 60
    assert float(critical_batch_size(1.97e14, 8.2e11)) == pytest.approx(240, rel=0.005)
    assert float(critical_batch_size(1.97e14, 8.2e11, 8.0)) == pytest.approx(120, rel=0.005)
    assert float(critical_batch_size(1.97e14, 8.2e11, 4.0)) == pytest.approx(60, rel=0.005)


def test_critical_batch_h100_from_catalog():
    # scaling book: H100 dense bf16 989e12 / 3.35e12 ~ 295-298
    c = catalog.chip("nvidia_h100_sxm")
    assert 293 <= float(critical_batch_size(c.peak_flops_bf16, c.memory_bandwidth)) <= 298


def test_catalog_tpu_v5e_close_to_book():
    # the catalog's v5e bandwidth is 0.819 TB/s (Google docs); book rounds to 8.2e11
    c = catalog.chip("google_tpu_v5e")
    assert float(critical_batch_size(c.peak_flops_bf16, c.memory_bandwidth)) == pytest.approx(240, rel=0.01)


def test_decode_step_full_hbm_tpu_v5e():
    # scaling book: 16 GB / 8.2e11 B/s ~ 19 ms (decimal GB, as in the book)
    assert 16e9 / 8.2e11 == pytest.approx(0.0195, rel=0.01)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-6, 1e3), st.floats(1e-6, 1e3), st.floats(1e-3, 1.0))
def test_smooth_max_between_lower_and_upper_bound(a, b, tau):
    s = float(smooth_max((a, b), tau))
    lo = max(a, b)
    assert lo * (1 - 1e-5) <= s <= min(a + b, 2 ** tau * lo) * (1 + 1e-5)


def test_smooth_max_converges_to_sharp():
    for tau in (0.1, 0.01, 0.001):
        err = float(smooth_max((1.0, 0.9), tau)) - 1.0
        assert 0 <= err <= tau * jnp.log(2.0) + 1e-6
    assert float(smooth_max((3.0, 1.0), 0.0)) == pytest.approx(3.0, rel=1e-4)


def test_smooth_max_gradient_is_informative_near_the_kink():
    g = jax.grad(lambda x: smooth_max((x, 1.0), 0.1))(1.0)
    assert 0.3 < float(g) < 0.7  # both resources matter at the switch
    g_far = jax.grad(lambda x: smooth_max((x, 1.0), 0.1))(3.0)
    assert float(g_far) == pytest.approx(1.0, abs=1e-3)
