"""Cost and energy identities pinned to reference/targets.md (recomputed from the formulas)."""

import pytest

from workbook.econ import costs as ec
from workbook.model import cost


def test_h100_cost_at_mfu():
    # H100 at $2/h, 989e12 FLOP/s, 70B dense: MFU 0.40 -> 2,826 tok/s, $0.197/M; MFU 0.01 -> 70.6, $7.86/M
    tps = float(ec.tokens_per_s_at_mfu(989e12, 0.40, 70e9))
    assert tps == pytest.approx(2826, rel=1e-3)
    assert float(cost.usd_per_million_tokens(2.0, 1, tps)) == pytest.approx(0.197, abs=5e-4)
    tps = float(ec.tokens_per_s_at_mfu(989e12, 0.01, 70e9))
    assert tps == pytest.approx(70.6, rel=2e-3)
    assert float(cost.usd_per_million_tokens(2.0, 1, tps)) == pytest.approx(7.86, abs=0.01)


def test_tco_example():
    # targets.md: CRF 0.263797; capital $1.2046/h; energy $0.0857/h; $1.290/h; $1.613/h at 80 %
    assert float(ec.capital_recovery_factor(0.10, 5)) == pytest.approx(0.263797, abs=2e-6)
    assert float(ec.tco_per_chip_hour(40000, 5, 0.10, 1.275, 0.7, 1.2, 0.08)) == pytest.approx(1.290, abs=1e-3)
    assert float(ec.tco_per_chip_hour(40000, 5, 0.10, 1.275, 0.7, 1.2, 0.08, 0.8)) == pytest.approx(1.613, abs=1e-3)


def test_energy_per_query_epoch():
    # Epoch 2025: 100e9 params, 500 tokens, 10 % util, 1275 W * 0.7, PUE 1.2 -> 0.301 Wh;
    # 200e9, 5 %, PUE 1.3 -> 1.304 Wh
    assert float(ec.energy_per_query_wh(100e9, 500, 989e12, 0.10, 1275, 0.7, 1.2)) == pytest.approx(0.301, abs=1e-3)
    assert float(ec.energy_per_query_wh(200e9, 500, 989e12, 0.05, 1275, 0.7, 1.3)) == pytest.approx(1.304, abs=1e-3)
