"""The roofline: time is set by the slowest resource, smoothly.

``T_math = FLOPs / (FLOP/s)``, ``T_mem = bytes / (bytes/s)``. With perfect overlap the step
takes ``max(T_math, T_mem)`` (lower bound); with none, ``T_math + T_mem`` (upper bound, at
most 2x the lower); the smooth version between the two is
:func:`workbook.numerics.smooth_max_norm`. Source: jax-ml scaling book, "All About Rooflines" (2025).
"""

from __future__ import annotations


def critical_batch_size(peak_flops, memory_bandwidth, weight_bits=16.0):
    """Batch at which a weight-streaming matmul turns compute-bound, in tokens.

    Decode does ``2*N*B`` FLOPs while reading ``N * bits/8`` bytes of weights, so compute
    and memory times are equal at ``B* = peak * (bits/8) / (2 * BW)``. BF16: ``peak / BW``
    (TPU v5e 1.97e14 / 8.2e11 = 240; H100 989e12 / 3.35e12 = 295); INT8 weights with BF16
    FLOPs: 120 on v5e; INT4: 60 (scaling book, 2025).
    """
    return peak_flops * (weight_bits / 8.0) / (2.0 * memory_bandwidth)
