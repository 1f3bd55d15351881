"""Closed-form parameters, FLOPs and bytes against published numbers."""

import jax.numpy as jnp
import pytest

from workbook import catalog
from workbook.model import transformer as tf


def test_llama3_70b_kv_bytes_per_token_int8(llama3_70b):
    # scaling book (2025): 2*K*H*L = 2*8*128*80 = 163,840 bytes per token in int8; exact
    assert float(tf.kv_cache_bytes_per_token(llama3_70b, 8.0)) == 163_840.0
    # ~5.3 GB per sequence at 32k context (scaling book), 1 % tolerance
    assert float(tf.kv_cache_bytes_per_token(llama3_70b, 8.0)) * 32768 == pytest.approx(5.37e9, rel=0.01)


def test_deepseek_mla_caches_the_latent():
    # DeepSeek-V3 report (2024): MLA caches (512 + 64) values per layer per token
    m = catalog.model("deepseek-v3")
    assert float(tf.kv_elements_per_token(m)) == (512 + 64) * 61


def test_decode_flops_are_two_per_active_matmul_parameter(llama3_70b):
    # without context, a token costs 2 FLOPs per multiplying weight (Kaplan et al. 2020)
    f = float(tf.decode_flops(llama3_70b, 1.0, 0.0))
    assert f == pytest.approx(2 * float(tf.matmul_params_per_token(llama3_70b)), rel=1e-6)
    assert f == pytest.approx(2 * 70.55e9, rel=0.02)


def test_attention_flops_grow_linearly_with_context(llama3_70b):
    a = float(tf.decode_attention_flops(llama3_70b, 1.0, 1000.0))
    b = float(tf.decode_attention_flops(llama3_70b, 1.0, 2000.0))
    assert b == pytest.approx(2 * a, rel=1e-6)
    assert a == pytest.approx(4 * 64 * 128 * 80 * 1000, rel=1e-6)


def test_sliding_window_caps_attended_tokens():
    m = catalog.model("gpt-oss-120b")
    short = float(tf.decode_attention_flops(m, 1.0, 100.0))
    long_ = float(tf.decode_attention_flops(m, 1.0, 100000.0))
    full = m._replace(n_sliding_layers=0.0)
    assert long_ < float(tf.decode_attention_flops(full, 1.0, 100000.0))
    assert short == pytest.approx(float(tf.decode_attention_flops(full, 1.0, 100.0)), rel=1e-6)


def test_moe_experts_touched_saturates():
    m = catalog.model("mixtral-8x7b")
    one = float(tf.expected_experts_touched(m, 1.0))
    many = float(tf.expected_experts_touched(m, 1e4))
    assert one == pytest.approx(2.0, rel=1e-5) and many == pytest.approx(8.0, rel=1e-5)
    # decode reads fewer weight bytes at batch 1 than at batch 1000
    assert float(tf.weight_bytes_read(m, 1.0, 16.0)) < float(tf.weight_bytes_read(m, 1000.0, 16.0))
    assert float(tf.weight_bytes_read(m, 1e5, 16.0)) == pytest.approx(
        float(tf.weight_bytes(m, 16.0)) - 32000 * 4096 * 2, rel=1e-4)


def test_dense_model_has_no_experts(llama3_70b):
    assert float(tf.expected_experts_touched(llama3_70b, jnp.asarray(64.0))) == 0.0
    assert float(tf.total_params(llama3_70b)) == float(tf.active_params(llama3_70b))
