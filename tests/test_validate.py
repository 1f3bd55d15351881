"""``workbook validate`` on real files: accelerator names mapped through the alias table,
unparseable fields skipped with a reason, and the JSON breakdowns by chip, model and scenario."""

import csv
import json

import pytest

from workbook import catalog
from workbook.calibration import measurements, report
from workbook.cli import main
from workbook.errors import InputError


@pytest.mark.parametrize("name,chip_id,per", [
    ("NVIDIA H100-SXM-80GB", "nvidia_h100_sxm", 1),
    ("H100 SXM5 80GB", "nvidia_h100_sxm", 1),
    ("NVIDIA H100 SXM (DGX H100)", "nvidia_h100_sxm", 1),
    ("NVIDIA H100", "nvidia_h100_sxm", 1),
    ("NVIDIA H100-PCIe-80GB", "nvidia_h100_pcie", 1),  # the more specific alias wins
    ("NVIDIA H100-NVL-94GB", "nvidia_h100_nvl", 1),
    ("Virtualized NVIDIA H200-SXM-141GB", "nvidia_h200_sxm", 1),
    ("NVIDIA H200-NVL-141GB", "nvidia_h200_nvl", 1),
    ("NVIDIA GH200 Grace Hopper Superchip 144GB", "nvidia_gh200_144gb", 1),
    ("NVIDIA B200-SXM-180GB", "nvidia_b200_hgx", 1),
    ("NVIDIA GB200 (NVL72)", "nvidia_gb200", 1),
    ("AMD Instinct MI300X", "amd_mi300x", 1),
    ("AMD MI300X-NPS1-SPX-192GB-750W", "amd_mi300x", 1),
    ("AMD Instinct MI325X 256GB HBM3e", "amd_mi325x", 1),
    ("TPU v6e", "google_tpu_v6e", 1),
    ("Google TPU Trillium", "google_tpu_v6e", 1),
    ("TPU v5 lite pod", "google_tpu_v5e", 1),
    ("AWS Trainium (Trn1)", "aws_trainium1", 1),
    ("Trainium2", "aws_trainium2", 1),
    ("Intel Gaudi 2", "intel_gaudi2", 1),
    ("Intel Gaudi3 HL-325L", "intel_gaudi3", 1),
    ("NVIDIA L40S", "nvidia_l40s", 1),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "nvidia_rtx_pro_6000_blackwell", 1),
    ("GeForce RTX 4090", "nvidia_rtx_4090", 1),
    ("[MAXSUN] MS-Intel Arc Pro B60 Dual 48G Turbo", "intel_arc_pro_b60", 2),
])
def test_vendor_spellings_map_to_catalog_chips(name, chip_id, per):
    assert measurements.accelerator_chip(name)[:2] == (chip_id, per)


@pytest.mark.parametrize("name,why", [
    ("Mystery NPU 9000", measurements.UNMAPPED),
    ("", measurements.UNMAPPED),
    ("AMD Instinct MI300X 192GB HBM3 (x32), AMD Instinct MI325X 256GB HBM3e (x16)", measurements.MIXED),
    ("NVIDIA A100-PCIe-40GB", measurements.NO_ENTRY),
    ("AMD Instinct MI350X", measurements.NO_ENTRY),
])
def test_unknown_mixed_and_uncatalogued_names_are_reported(name, why):
    assert measurements.accelerator_chip(name) == (None, 1.0, why)


def test_every_alias_names_a_catalog_chip_or_none():
    table = measurements.aliases()
    assert len(table) >= 60
    for a in table:
        assert not a.chip_id or a.chip_id in catalog.chip_ids(), a


def test_a_bad_alias_table_is_refused(tmp_path):
    p = tmp_path / "aliases.csv"
    p.write_text("alias,chip_id,chips_per_accelerator\nFoo,no_such_chip,1\n")
    with pytest.raises(InputError, match="'no_such_chip' is not in the catalog"):
        measurements.aliases(p)
    p.write_text("alias,chip_id,chips_per_accelerator\nFoo,nvidia_h100_sxm,1.5\n")
    with pytest.raises(InputError, match="not a whole number"):
        measurements.aliases(p)


ROW = {"chip_id": "", "accelerator": "NVIDIA H100-SXM-80GB", "accelerator_count": "8", "model_id": "llama-2-70b",
       "precision_id": "fp8", "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca",
       "input_tokens_mean": "", "output_tokens_mean": "", "batch": "", "value_per_accelerator": "3000"}


def test_a_blank_chip_id_takes_the_chip_of_the_accelerator_name():
    m = measurements.scenario_from_row(0, ROW)
    assert (m.chip_id, m.accelerators, m.measured, m.accelerator) == ("nvidia_h100_sxm", 8, 3000, "NVIDIA H100-SXM-80GB")
    dual = measurements.scenario_from_row(0, {**ROW, "accelerator": "[MAXSUN] MS-Intel Arc Pro B60 Dual 48G Turbo",
                                              "accelerator_count": "4", "value_per_accelerator": "752"})
    assert (dual.chip_id, dual.accelerators, dual.measured) == ("intel_arc_pro_b60", 8, 376)  # two GPUs per card
    assert measurements.scenario_from_row(0, {**ROW, "chip_id": "amd_mi300x"}).chip_id == "amd_mi300x"  # chip_id wins
    assert measurements.scenario_from_row(0, {**ROW, "accelerator": "Mystery NPU"}) == \
        "no chip_id; accelerator name not in the alias table"


GARBAGE = [
    {"accelerator_count": "eight"}, {"accelerator_count": "0"}, {"value_per_accelerator": "fast"},
    {"value_per_accelerator": "-3"}, {"batch": "many"}, {"input_tokens_mean": "lots"},
    {"output_tokens_mean": "NaN tokens"}, {"precision_id": "fp-3"}, {"scenario_kind": "burst"},
    {"latency_constraint": "TTFT <= soon"}, {"model_id": "gpt-9"}, {"chip_id": "", "accelerator": "Mystery NPU"},
    {"chip_id": "", "accelerator": "AMD Instinct MI300X (x8), AMD Instinct MI325X (x8)"},
    {"chip_id": "", "accelerator": ""}, {"workload": "unknown-set"},
]


def _write(tmp_path, rows, name="rows.csv"):
    cols = list(dict.fromkeys(k for r in rows for k in r))
    p = tmp_path / name
    with open(p, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        w.writerows(rows)
    return p


def test_garbage_fields_are_skipped_with_reasons_and_exit_zero(tmp_path, capsys):
    good = {**ROW, "chip_id": "nvidia_h100_sxm", "accelerator": "", "latency_constraint": ""}
    rows = [good, {**good, "chip_id": "", "accelerator": "NVIDIA H100-SXM-80GB"}] + [{**good, **g} for g in GARBAGE]
    path = _write(tmp_path, rows)
    assert main(["validate", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["rows"] == len(rows) and r["predicted"] + r["skipped"] == len(rows)
    assert r["skipped"] >= len(GARBAGE) and sum(r["skipped_reasons"].values()) == r["skipped"]
    reasons = " | ".join(r["skipped_reasons"])
    for fragment in ("accelerator_count 'eight' is not a whole number", "value_per_accelerator 'fast' is not a number",
                     "batch 'many' is not a whole number", "input_tokens_mean 'lots' is not a number",
                     "output_tokens_mean 'NaN tokens' is not a number", "precision fp-3 not modelled",
                     "scenario burst not modelled", "latency_constraint", "model gpt-9 not in the catalog",
                     measurements.UNMAPPED, measurements.MIXED, "no accelerator name", "no input/output length"):
        assert fragment in reasons, fragment
    assert r["unmapped_accelerators"] == {"Mystery NPU": 1, "AMD Instinct MI300X (x8), AMD Instinct MI325X (x8)": 1}
    assert r["alias_mapped"] == {"rows": 1, "by_chip": {"nvidia_h100_sxm": 1}}
    assert main(["validate", str(path)]) == 0  # the text report too
    out = capsys.readouterr().out
    assert "not mapped to a catalog chip (1 rows): Mystery NPU" in out and "by model:" in out


def test_validate_json_has_breakdowns_by_chip_model_and_scenario(tmp_path):
    rows = [{**ROW, "scenario_kind": kind, "model_id": model, "latency_constraint": limit}
            for model in ("llama-2-70b", "llama-3-70b")
            for kind, limit in (("offline", ""), ("server", "TTFT<=2000 ms, TPOT<=200 ms"))]
    r = report.validate(_write(tmp_path, rows))
    assert r["rows"] == 4 and r["alias_mapped"]["rows"] == 4
    for key, groups in (("by_chip", {"nvidia_h100_sxm"}), ("by_family", {"nvidia_hopper"}),
                        ("by_model", {"llama-2-70b", "llama-3-70b"}), ("by_scenario", {"offline", "server"})):
        assert set(r[key]) == groups
        for g in r[key].values():
            assert {"rows", "mdape", "within_25pct", "median_ratio"} <= set(g)
            assert g["rows"] >= 1 and (g["median_ratio"] is None or g["median_ratio"] > 0)
    assert isinstance(r["skipped_reasons"], dict) and r["unmapped_accelerators"] == {}
    json.dumps(r, allow_nan=False)  # strict JSON


def test_group_errors_median_ratio():
    rows = [measurements.scenario_from_row(i, {**ROW, "value_per_accelerator": str(v)}) for i, v in enumerate((100, 200, 400))]
    g = report.group_errors(rows, [150.0, 200.0, float("nan")], lambda r: r.chip_id)["nvidia_h100_sxm"]
    assert g == {"rows": 3, "n": 2, "mdape": 25.0, "within_25pct": 0.5, "median_ratio": 1.25}
