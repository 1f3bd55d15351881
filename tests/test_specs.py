import jax
import pytest

from workbook.errors import InputError
from workbook.specs import PRECISIONS, Chip, Workload, stack, workload


def test_precision_presets_set_bits():
    w = workload("fp4", batch=8, chips=2)
    # NVFP4: 4-bit values plus an FP8 scale per 16 (4.5 bits), FP4 math, FP8 KV cache
    assert (w.weight_bits, w.activation_bits, w.kv_bits) == (4.5, 4.0, 8.0)
    assert workload("mxfp4").weight_bits == 4.25  # OCP MX: an E8M0 scale per 32 values
    assert workload("w8a16").activation_bits == 16.0  # weight-only int8
    assert w.batch == 8.0 and w.chips == 2.0
    assert workload("int8").integer_math == 1.0
    w4a8 = workload("w4a8")  # int4 weights (per-channel scales), int8 activations on the INT8 units, int8 KV
    assert (w4a8.weight_bits, w4a8.activation_bits, w4a8.kv_bits, w4a8.integer_math) == (4.0, 8.0, 8.0, 1.0)


def test_unknown_precision_names_field_and_choices():
    with pytest.raises(InputError, match=r"precision: unknown value 'fp3'; allowed: .*fp8"):
        workload("fp3")


def test_stack_makes_vmappable_records(h100):
    chips = stack([h100, h100._replace(memory_bandwidth=1.0)])
    assert isinstance(chips, Chip) and chips.memory_bandwidth.shape == (2,)
    out = jax.vmap(lambda c: c.memory_bandwidth * 2)(chips)
    assert out.shape == (2,)


def test_every_preset_is_a_workload():
    for name in PRECISIONS:
        assert isinstance(workload(name), Workload)
