"""The catalogs: every chip and model loads, numbers carry provenance, bad input is named."""

import csv
import math
from importlib import resources

import pytest

from workbook import catalog
from workbook.model import transformer as tf
from workbook.errors import InputError
from workbook.specs import Chip

SHARED_CHIP_IDS = [
    "nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_h200_sxm", "nvidia_b200_hgx", "nvidia_gb200",
    "nvidia_b300_hgx", "nvidia_gb300", "nvidia_rubin", "amd_mi300x", "amd_mi325x", "amd_mi355x",
    "google_tpu_v5e", "google_tpu_v5p", "google_tpu_v6e", "google_tpu7x_ironwood", "aws_inferentia2",
    "aws_trainium1", "aws_trainium2", "aws_trainium3", "microsoft_maia100", "microsoft_maia200",
    "fractile_imc", "groq_lpu_v1", "cerebras_wse3",
]


def test_every_shared_chip_is_in_the_catalog():
    assert set(SHARED_CHIP_IDS) <= set(catalog.chip_ids())


@pytest.mark.parametrize("chip_id", SHARED_CHIP_IDS)
def test_chip_numbers_have_provenance(chip_id):
    e = catalog.chip_entry(chip_id)
    assert set(Chip._fields) <= set(e.numbers)
    for q, n in e.numbers.items():
        assert n.value >= 0 and math.isfinite(n.value), q
        assert n.status in catalog.STATUSES, q
        assert n.source and n.date, f"{chip_id} {q}: a number needs a source and a date"
        if n.status == "estimate":
            assert n.low is not None and n.high is not None, f"{chip_id} {q}: an estimate needs a range"
            assert n.low <= n.value <= n.high
    low, high = catalog.chip(chip_id, "low"), catalog.chip(chip_id, "high")
    for a, b in zip(low, high):
        assert a <= b


def test_fractile_is_a_scenario_of_estimates():
    e = catalog.chip_entry("fractile_imc")
    assert e.info["availability"] == "scenario"
    for q in ("memory_bandwidth", "memory_capacity", "peak_flops_fp8", "price"):
        n = e.numbers[q]
        assert n.status == "estimate" and n.high / n.low >= 2, f"{q}: wide bounds expected"


def test_prices_are_dated():
    for cid in catalog.chip_ids():
        assert catalog.chip_entry(cid).numbers["price"].date


def test_every_benchmark_model_is_in_the_catalog():
    path = resources.files("workbook.data").joinpath("benchmarks_calibration.csv")
    with open(path, newline="") as fh:
        ids = {r["model_id"] for r in csv.DictReader(fh)}
    assert ids <= set(catalog.model_ids())


# Published parameter counts (models.csv params_total/params_active, from the model cards and
# HF configs). Dense models: closed form within 0.01 % (norms are ignored). MoE totals within
# 0.5 %; active counts within 3 % (routers, MTP and rounding in the published "37B", "22B").
@pytest.mark.parametrize("model_id", ["llama-2-7b", "llama-2-70b", "llama-3-70b", "llama-3.1-405b", "gemma-7b", "mistral-7b"])
def test_dense_parameter_counts_match_published(model_id):
    e = catalog.model_entry(model_id)
    assert float(tf.total_params(e.spec)) == pytest.approx(float(e.info["params_total"]), rel=1e-4)


@pytest.mark.parametrize("model_id,active_rel", [("mixtral-8x7b", 0.01), ("deepseek-v3", 0.03), ("qwen3-235b-a22b", 0.02)])
def test_moe_parameter_counts_match_published(model_id, active_rel):
    e = catalog.model_entry(model_id)
    assert float(tf.total_params(e.spec)) == pytest.approx(float(e.info["params_total"]), rel=5e-3)
    assert float(tf.active_params(e.spec)) == pytest.approx(float(e.info["params_active"]), rel=active_rel)


def test_unknown_chip_suggests_close_ids():
    with pytest.raises(InputError, match=r"unknown chip 'nvidia_h100'.*did you mean nvidia_h100_sxm"):
        catalog.chip("nvidia_h100")


def test_unknown_model_suggests_close_ids():
    with pytest.raises(InputError, match=r"unknown model 'llama3-70b'.*llama-3-70b"):
        catalog.model("llama3-70b")


def test_user_chip_is_validated_and_usable(h100):
    fields = {q: getattr(h100, q) for q in Chip._fields}
    spec = catalog.add_chip("my_chip", {**fields, "memory_bandwidth": 5e12})
    assert spec.memory_bandwidth == 5e12 and catalog.chip("my_chip") == spec
    with pytest.raises(InputError, match=r"memory_bandwidth = -1 bytes/s is out of range; allowed 1e\+09 to 1e\+17"):
        catalog.add_chip("bad", {**fields, "memory_bandwidth": -1})
    with pytest.raises(InputError, match=r"missing field\(s\) memory_capacity"):
        catalog.add_chip("bad", {k: v for k, v in fields.items() if k != "memory_capacity"})
    with pytest.raises(InputError, match="unknown field"):
        catalog.add_chip("bad", {**fields, "hbm": 1})


def test_user_model_from_dict_checks_combinations(llama3_70b):
    fields = llama3_70b._asdict()
    catalog.add_model("my-model", {**fields, "n_layers": 40, "n_dense_layers": 40})
    assert catalog.model("my-model").n_layers == 40
    with pytest.raises(InputError, match=r"n_heads = 64 must be a multiple of n_kv_heads = 7"):
        catalog.add_model("bad", {**fields, "n_kv_heads": 7})
    with pytest.raises(InputError, match=r"d_model: 0 is out of range; allowed \[16, 1e\+06\]"):
        catalog.add_model("bad", {**fields, "d_model": 0})
    with pytest.raises(InputError, match="missing field n_layers"):
        catalog.add_model("bad", {k: v for k, v in fields.items() if k != "n_layers"})


def test_load_user_files(tmp_path, h100):
    p = tmp_path / "chips.csv"
    p.write_text("chip_id," + ",".join(Chip._fields) + "\nfile_chip," + ",".join(str(x) for x in h100) + "\n")
    assert catalog.load_chips_file(p) == ["file_chip"]
    assert catalog.chip("file_chip").memory_bandwidth == h100.memory_bandwidth
    bad = tmp_path / "bad.csv"
    bad.write_text("chip_id,peak_flops_bf16\nx,abc\n")
    with pytest.raises(InputError, match="peak_flops_bf16 = 'abc' is not a number"):
        catalog.load_chips_file(bad)


def test_user_chip_missing_narrow_precisions_are_derived(h100):
    fields = {q: getattr(h100, q) for q in Chip._fields if q not in ("peak_flops_fp4", "peak_ops_int8")}
    spec = catalog.add_chip("no_fp4", fields)
    e = catalog.chip_entry("no_fp4")
    assert spec.peak_flops_fp4 == h100.peak_flops_fp8
    assert e.numbers["peak_flops_fp4"].status == "derived" and e.numbers["memory_bandwidth"].status == "estimate"
