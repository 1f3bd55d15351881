import pytest

from workbook.calibration import measurements
from workbook.errors import InputError


def test_latency_limits_parse():
    assert measurements.latency_limits("TTFT<=2000 ms (p99), TPOT<=200 ms (p99)") == (2.0, 0.2)
    assert measurements.latency_limits("none (Offline)") == (None, None)


def test_packaged_table_rows_are_modelled_or_explained():
    rows = measurements.read_rows()
    ok, skipped = measurements.scenarios(rows)
    assert len(ok) + len(skipped) == len(rows) == 621
    assert len(ok) >= 550
    assert all(reason for _, reason in skipped)


def test_dataset_profiles_fill_missing_lengths():
    r = {"chip_id": "nvidia_h100_sxm", "accelerator_count": "8", "model_id": "llama-2-70b", "precision_id": "fp8",
         "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
         "output_tokens_mean": "", "batch": "", "value_per_accelerator": "3000"}
    m = measurements.scenario_from_row(0, r)
    assert m.input_tokens == 400.0 and m.output_tokens == 294.45 and m.batch is None


@pytest.mark.parametrize("field,value,reason", [
    ("chip_id", "", "no chip_id"), ("model_id", "gpt-9", "model gpt-9 not in the catalog"),
    ("precision_id", "fp2", "precision fp2 not modelled"), ("value_per_accelerator", "abc", "no measured value"),
    ("workload", "mystery", "no input/output length"), ("accelerator_count", "-1", "no accelerator_count"),
])
def test_bad_rows_are_skipped_with_a_reason(field, value, reason):
    r = {"chip_id": "nvidia_h100_sxm", "accelerator_count": "8", "model_id": "llama-2-70b", "precision_id": "fp8",
         "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
         "output_tokens_mean": "", "batch": "", "value_per_accelerator": "3000", field: value}
    out = measurements.scenario_from_row(0, r)
    assert isinstance(out, str) and reason in out


def test_missing_columns_raise(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing column"):
        measurements.read_rows(p)
