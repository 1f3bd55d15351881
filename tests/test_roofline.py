"""The roofline: critical batch sizes (the smooth max is tested in test_numerics)."""

import pytest

from workbook import catalog
from workbook.model.roofline import critical_batch_size


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
