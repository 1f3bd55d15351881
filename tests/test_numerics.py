"""Shared numerics: the two smooth maxima, bisection and the implicit-function root finder."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.numerics import bisect, implicit_root, smooth_max_norm, softplus_max, softplus_min, softplus_min_reduce


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-6, 1e3), st.floats(1e-6, 1e3), st.floats(1e-3, 1.0))
def test_smooth_max_between_lower_and_upper_bound(a, b, tau):
    s = float(smooth_max_norm((a, b), tau))
    lo = max(a, b)
    assert lo * (1 - 1e-5) <= s <= min(a + b, 2 ** tau * lo) * (1 + 1e-5)


def test_smooth_max_converges_to_sharp():
    for tau in (0.1, 0.01, 0.001):
        err = float(smooth_max_norm((1.0, 0.9), tau)) - 1.0
        assert 0 <= err <= tau * jnp.log(2.0) + 1e-6
    assert float(smooth_max_norm((3.0, 1.0), 0.0)) == pytest.approx(3.0, rel=1e-4)


def test_smooth_max_gradient_is_informative_near_the_kink():
    g = jax.grad(lambda x: smooth_max_norm((x, 1.0), 0.1))(1.0)
    assert 0.3 < float(g) < 0.7  # both resources matter at the switch
    g_far = jax.grad(lambda x: smooth_max_norm((x, 1.0), 0.1))(3.0)
    assert float(g_far) == pytest.approx(1.0, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(1e-3, 10.0))
def test_softplus_max_within_tau_log2_of_max(a, b, tau):
    s = float(softplus_max(a, b, tau))
    assert max(a, b) - 1e-3 <= s <= max(a, b) + tau * np.log(2) + 1e-3
    m = float(softplus_min(a, b, tau))
    assert min(a, b) - tau * np.log(2) - 1e-3 <= m <= min(a, b) + 1e-3


def test_softplus_sharp_at_zero_temperature_with_finite_gradient():
    assert float(softplus_max(3.0, 1.0, 0.0)) == 3.0
    g = jax.grad(lambda a, b: softplus_max(a, b, 0.0), argnums=(0, 1))(1.0, 2.0)
    assert [float(x) for x in g] == [0.0, 1.0]


def test_softplus_min_reduce_masks_entries_out():
    x = jnp.array([5.0, 1.0, 3.0])
    assert float(softplus_min_reduce(x, 0.0)) == 1.0
    assert float(softplus_min_reduce(x, 0.0, weights=jnp.array([1.0, 0.0, 1.0]))) == 3.0
    smooth = float(softplus_min_reduce(x, 0.01, weights=jnp.array([1.0, 0.0, 1.0])))
    assert 3.0 - 0.01 * np.log(2) - 1e-5 <= smooth <= 3.0 + 1e-5


@pytest.mark.parametrize("a", [0.25, 2.0, 9.0, 150.0])
def test_implicit_root_value_and_derivative_match_closed_form(a):
    sqrt = implicit_root(lambda x, a: x * x - a, lambda a: (0.0, jnp.maximum(a, 1.0)), increasing=True)
    assert float(sqrt(a)) == pytest.approx(np.sqrt(a), rel=1e-5)
    assert float(jax.grad(sqrt)(a)) == pytest.approx(0.5 / np.sqrt(a), rel=1e-4)


def test_implicit_root_differentiates_through_records_and_vmaps():
    def residual(x, p):  # root of p[0] x - p[1]: x = p[1] / p[0]
        return p[0] * x - p[1]

    solve = implicit_root(residual, lambda p: (-100.0, 100.0))
    p = (jnp.float32(4.0), jnp.float32(2.0))
    g = jax.grad(lambda p: solve(p))(p)
    assert float(g[0]) == pytest.approx(-2.0 / 16.0, rel=1e-4) and float(g[1]) == pytest.approx(0.25, rel=1e-4)
    xs = jax.vmap(lambda b: solve((jnp.float32(2.0), b)))(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(np.asarray(xs), [0.5, 1.0, 1.5], rtol=1e-5)


def test_bisect_with_known_direction_pins_an_unbracketed_root_to_the_near_end():
    # increasing residual already positive at lo: the root is below the bracket -> lo
    assert float(bisect(lambda x: x + 1.0, 0.0, 4.0, increasing=True)) == pytest.approx(0.0, abs=1e-6)
    # decreasing residual still positive at hi: the root is above the bracket -> hi
    assert float(bisect(lambda x: 10.0 - x, 0.0, 4.0, increasing=False)) == pytest.approx(4.0, abs=1e-6)


def test_implicit_root_edge_derivative_is_zero_not_huge():
    # slope of the wrong sign at the pinned edge: the derivative is 0, not -f_theta / f_x
    solve = implicit_root(lambda x, a: -(x - a) ** 2 - 1.0, lambda a: (0.0, 1.0), increasing=True)
    assert float(jax.grad(solve)(0.5)) == 0.0
