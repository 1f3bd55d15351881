"""Calibration: the shipped factors, their recorded errors, and the fitting itself."""

import subprocess
import sys

import numpy as np
import pytest

from workbook import calibration

from workbook.calibration import measurements


@pytest.fixture(scope="module")
def rows():
    return measurements.scenarios(measurements.read_rows())[0]


def test_shipped_factors_are_physical():
    cal = calibration.calibration()
    for fam in [cal["shared"], *cal["families"].values()]:
        for k in calibration.FITTED:
            assert 0.05 < fam[k] <= 1.0, k
    assert 0 < cal["interconnect"] <= 1 and 0 < cal["moe"] <= 1 and 0 <= cal["step_overhead_s"] < 0.05


def test_recorded_errors_reproduce(rows):
    # the shipped calibration.json records its in-sample error; predicting again must agree
    cal = calibration.calibration()
    pred = calibration.predict(rows, cal)
    got = calibration.error_summary([r.measured for r in rows], pred)
    rec = cal["errors"]["calibrated_in_sample"]
    assert got["mdape"] == pytest.approx(rec["mdape"], abs=0.3)
    assert got["within_25pct"] == pytest.approx(rec["within_25pct"], abs=0.01)


def test_calibration_beats_the_bare_roofline_out_of_sample():
    e = calibration.calibration()["errors"]
    assert e["calibrated_5fold_cv"]["mdape"] < 0.5 * e["roofline"]["mdape"]
    assert e["calibrated_5fold_cv"]["offline_mdape"] < 0.5 * e["roofline"]["offline_mdape"]


def test_unfitted_family_uses_shared_factors():
    cal = calibration.calibration()
    assert "google_tpu" not in cal["families"]
    eff = calibration.efficiency("google_tpu_v5e")
    assert eff.memory == cal["shared"]["memory"]


def test_fit_lowers_the_error(rows):
    sub = rows[::12]
    before = calibration.error_summary([r.measured for r in sub], calibration.predict(sub, None))["mdape"]
    params, fams = calibration.fit(sub, steps=40)
    after = calibration.error_summary([r.measured for r in sub], calibration.predict(sub, calibration.to_json(params, fams)))["mdape"]
    assert after < 0.5 * before


def test_folds_are_stable_and_cover_all(rows):
    folds = [calibration.system_fold(r, 5) for r in rows]
    assert folds == [calibration.system_fold(r, 5) for r in rows]
    assert set(folds) == set(range(5))


def test_import_workbook_does_not_load_ui_libraries():
    code = "import sys, workbook; print(any(m in sys.modules for m in ('altair', 'ipywidgets', 'pandas')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_predictions_are_finite_for_modelable_rows(rows):
    pred = calibration.predict(rows, calibration.calibration())
    assert np.isfinite(pred).mean() > 0.97
