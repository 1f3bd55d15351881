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


# Cards that decentralised GPU marketplaces rent out (issue 11, item 1).
MARKETPLACE_CHIP_IDS = [
    "nvidia_rtx_4090", "nvidia_rtx_5090", "nvidia_rtx_pro_6000_blackwell", "nvidia_l40s", "nvidia_rtx_6000_ada",
    "nvidia_rtx_a6000",
]


def test_every_shared_chip_is_in_the_catalog():
    assert set(SHARED_CHIP_IDS) <= set(catalog.chip_ids())
    assert set(MARKETPLACE_CHIP_IDS) <= set(catalog.chip_ids())


@pytest.mark.parametrize("chip_id", catalog.chip_ids())
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


@pytest.mark.parametrize("chip_id", catalog.chip_ids())
def test_every_chip_serves_every_model(chip_id):
    """Every catalog chip, against every catalog model: a layout on some power-of-two number of
    chips holds the weights and one sequence at FP8, and every figure is finite and positive."""
    import numpy as np

    from workbook import calibration
    from workbook.model import deployment
    from workbook.specs import workload

    chip, eff = catalog.chip(chip_id), calibration.efficiency(chip_id)
    for model_id in catalog.model_ids():
        best = deployment.fewest_chips(chip, catalog.model(model_id), workload("fp8", batch=1), eff)
        assert best is not None, f"{chip_id} x {model_id}: no layout fits"
        p = best[3]
        for name in ("ttft", "tpot", "tokens_per_s_per_chip", "joules_per_token", "usd_per_million_tokens"):
            v = float(getattr(p, name))
            assert np.isfinite(v) and v > 0, (chip_id, model_id, name, v)


# Published peaks of the marketplace cards. GeForce cards run FP32-accumulate tensor math at half
# the FP16-accumulate rate; LLM GEMMs accumulate in FP32, so the catalog holds the FP32-accumulate
# rate (NVIDIA Ada whitepaper v2.01 and RTX Blackwell whitepaper, Appendix A) and keeps the
# FP16-accumulate rate as the high end of the FP8 range. Datacenter and pro cards: datasheets.
@pytest.mark.parametrize("chip_id,bf16,fp8,fp4,mem_gb,bw_tbs,watts", [
    ("nvidia_rtx_4090", 165.2, 330.3, 330.3, 24, 1.008, 450),  # FP4 = FP8: no FP4 units on Ada
    ("nvidia_rtx_5090", 209.5, 419.0, 1676.0, 32, 1.792, 575),
    ("nvidia_rtx_pro_6000_blackwell", 503.8, 1007.6, 2015.0, 96, 1.792, 600),
    ("nvidia_l40s", 362.05, 733.0, 733.0, 48, 0.864, 350),  # L40S datasheet
    ("nvidia_rtx_6000_ada", 364.2, 728.5, 728.5, 48, 0.960, 300),
    ("nvidia_rtx_a6000", 154.8, 154.8, 154.8, 48, 0.768, 300),  # no FP8 on Ampere
])
def test_marketplace_cards_match_published_specs(chip_id, bf16, fp8, fp4, mem_gb, bw_tbs, watts):
    c, e = catalog.chip(chip_id), catalog.chip_entry(chip_id)
    assert (c.peak_flops_bf16, c.peak_flops_fp8, c.peak_flops_fp4) == pytest.approx((bf16 * 1e12, fp8 * 1e12, fp4 * 1e12), rel=1e-3)
    assert (c.memory_capacity, c.memory_bandwidth, c.power) == pytest.approx((mem_gb * 1e9, bw_tbs * 1e12, watts), rel=1e-3)
    assert c.interconnect_bandwidth <= 128e9, "PCIe cards: no NVLink-class scale-up"
    price = e.numbers["price"]
    assert price.date == "2026" and price.low < price.value < price.high and "marketplace" in price.note
    if chip_id in ("nvidia_rtx_4090", "nvidia_rtx_5090"):
        assert "FP32 accumulate" in e.numbers["peak_flops_bf16"].note
        assert e.numbers["peak_flops_fp8"].high == pytest.approx(2 * fp8 * 1e12, rel=1e-3)  # FP16-accumulate rate


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


@pytest.fixture
def own_catalog(monkeypatch):
    """The catalog as it is; whatever a test adds leaves with the test."""
    catalog.chip_ids()
    monkeypatch.setattr(catalog, "_CHIPS", dict(catalog._CHIPS))
    monkeypatch.setattr(catalog, "_MODELS", dict(catalog._MODELS))


def test_user_chip_is_validated_and_usable(h100, own_catalog):
    fields = {q: getattr(h100, q) for q in Chip._fields}
    spec = catalog.add_chip("my_chip", {**fields, "memory_bandwidth": 5e12})
    assert spec.memory_bandwidth == 5e12 and catalog.chip("my_chip") == spec
    with pytest.raises(InputError, match=r"memory_bandwidth = -1 bytes/s is out of range; allowed 1e\+09 to 1e\+17"):
        catalog.add_chip("bad", {**fields, "memory_bandwidth": -1})
    with pytest.raises(InputError, match=r"missing field\(s\) memory_capacity"):
        catalog.add_chip("bad", {k: v for k, v in fields.items() if k != "memory_capacity"})
    with pytest.raises(InputError, match="unknown field"):
        catalog.add_chip("bad", {**fields, "hbm": 1})


def test_user_model_from_dict_checks_combinations(llama3_70b, own_catalog):
    fields = llama3_70b._asdict()
    catalog.add_model("my-model", {**fields, "n_layers": 40, "n_dense_layers": 40})
    assert catalog.model("my-model").n_layers == 40
    with pytest.raises(InputError, match=r"n_heads = 64 must be a multiple of n_kv_heads = 7"):
        catalog.add_model("bad", {**fields, "n_kv_heads": 7})
    with pytest.raises(InputError, match=r"d_model: 0 is out of range; allowed whole numbers in \[16, 1e\+06\]"):
        catalog.add_model("bad", {**fields, "d_model": 0})
    with pytest.raises(InputError, match="missing field n_layers"):
        catalog.add_model("bad", {k: v for k, v in fields.items() if k != "n_layers"})


def test_load_user_files(tmp_path, h100, own_catalog):
    p = tmp_path / "chips.csv"
    p.write_text("chip_id," + ",".join(Chip._fields) + "\nfile_chip," + ",".join(str(x) for x in h100) + "\n")
    assert catalog.load_chips_file(p) == ["file_chip"]
    assert catalog.chip("file_chip").memory_bandwidth == h100.memory_bandwidth
    bad = tmp_path / "bad.csv"
    bad.write_text("chip_id,peak_flops_bf16\nx,abc\n")
    with pytest.raises(InputError, match="peak_flops_bf16 = 'abc' is not a number"):
        catalog.load_chips_file(bad)


def test_user_chip_missing_narrow_precisions_are_derived(h100, own_catalog):
    fields = {q: getattr(h100, q) for q in Chip._fields if q not in ("peak_flops_fp4", "peak_ops_int8")}
    spec = catalog.add_chip("no_fp4", fields)
    e = catalog.chip_entry("no_fp4")
    assert spec.peak_flops_fp4 == h100.peak_flops_fp8
    assert e.numbers["peak_flops_fp4"].status == "derived" and e.numbers["memory_bandwidth"].status == "estimate"


# --- hostile input: files, values, ids ----------------------------------------------------


def _chip_fields(h100):
    return {q: getattr(h100, q) for q in Chip._fields}


@pytest.mark.parametrize("loader", [catalog.load_chips_file, catalog.load_models_file])
@pytest.mark.parametrize("content,mode,message", [
    (None, "w", "no such file"),
    ("", "w", "empty file (no header row)"),
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00", "wb", "not a UTF-8 text (CSV) file"),
    ("a,b\n1,2\n", "w", "missing column(s)"),
    ("chip_id,model_id\n", "w", "no rows"),
    ("chip_id,model_id\nx,y,z\n", "w", "line 2 has more fields than the header"),
    ("chip_id,model_id\n" + "y" * 200_000 + ",x\n", "w", "a field is longer than 131,072 characters"),
])
def test_bad_files_raise_one_clear_error(tmp_path, own_catalog, loader, content, mode, message):
    p = tmp_path / "user.csv"
    if content is not None:
        (p.write_bytes if mode == "wb" else p.write_text)(content)
    before = (dict(catalog._CHIPS), dict(catalog._MODELS))
    with pytest.raises(InputError) as info:
        loader(p)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert (catalog._CHIPS, catalog._MODELS) == before


def test_a_directory_is_not_a_catalog_file(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        catalog.load_chips_file(tmp_path)


@pytest.mark.parametrize("value", [None, [1e12], {"x": 1}, True, float("nan"), "1e3x"])
def test_add_chip_rejects_values_that_are_not_one_number(h100, own_catalog, value):
    fields = {**_chip_fields(h100), "memory_bandwidth": value}
    with pytest.raises(InputError, match="memory_bandwidth"):
        catalog.add_chip("odd", fields)
    assert "odd" not in catalog.chip_ids()


def test_add_chip_rejects_arrays_and_non_mappings(h100, own_catalog):
    import numpy as np

    with pytest.raises(InputError, match=r"power = array\(\[1\., 2\.\]\) is not a single number"):
        catalog.add_chip("odd", {**_chip_fields(h100), "power": np.array([1.0, 2.0])})
    assert catalog.add_chip("odd", {**_chip_fields(h100), "power": np.float32(500.0)}).power == 500.0
    for bad in (None, [1, 2], "peak_flops_bf16=1"):
        with pytest.raises(InputError, match="fields must be a mapping"):
            catalog.add_chip("odd2", bad)
    for bad_id in (None, "", "x" * 500, "a\nb", 7):
        with pytest.raises(InputError, match="chip_id: .* is not allowed"):
            catalog.add_chip(bad_id, _chip_fields(h100))


def test_an_existing_id_is_replaced_only_when_asked(h100, own_catalog):
    old = catalog.chip_entry("nvidia_h100_sxm")
    with pytest.raises(InputError, match=r"chip_id: 'nvidia_h100_sxm' is already in the catalog.*replace=True"):
        catalog.add_chip("nvidia_h100_sxm", {**_chip_fields(h100), "price": 9.0})
    assert catalog.chip_entry("nvidia_h100_sxm") is old  # provenance kept
    catalog.add_chip("nvidia_h100_sxm", {**_chip_fields(h100), "price": 9.0}, replace=True)
    assert catalog.chip("nvidia_h100_sxm").price == 9.0
    fields = catalog.model("llama-3-70b")._asdict()
    with pytest.raises(InputError, match="model_id: 'llama-3-70b' is already in the catalog"):
        catalog.add_model("llama-3-70b", fields)
    catalog.add_model("llama-3-70b", {**fields, "n_layers": 40, "n_dense_layers": 40}, replace=True)
    assert catalog.model("llama-3-70b").n_layers == 40


@pytest.mark.parametrize("change,message", [
    ({"n_heads": 7.5}, r"n_heads: 7\.5 is not a whole number; allowed whole numbers in \[1, 10000\]"),
    ({"d_ff": "1e3.5"}, "d_ff = '1e3.5' is not a number"),
    ({"hidden_size": 4096}, r"unknown field\(s\) 'hidden_size'; allowed n_layers"),
    ({"n_layers": [80]}, r"n_layers = \[80\] is not a single number"),
    ({"n_layers": None}, "missing field n_layers"),
    ({"attention": "linear"}, "attention = 'linear' is not allowed; allowed: gqa, mha, mla"),
    ({"mla": 0.5}, r"mla: 0\.5 is not a whole number"),
])
def test_add_model_refuses_fractions_unknown_keys_and_junk(own_catalog, change, message):
    fields = {**catalog.model("llama-3-70b")._asdict(), **change}
    with pytest.raises(InputError, match=message):
        catalog.add_model("odd-model", fields)
    assert "odd-model" not in catalog.model_ids()


def test_add_model_rejects_non_mappings(own_catalog):
    with pytest.raises(InputError, match="fields must be a mapping"):
        catalog.add_model("odd-model", [("n_layers", 2)])


def test_loading_is_all_or_nothing(tmp_path, h100, own_catalog):
    good = ",".join(str(x) for x in h100)
    p = tmp_path / "chips.csv"
    p.write_text("chip_id," + ",".join(Chip._fields) + f"\nfirst,{good}\nsecond,{good.replace('8e+10', '-1', 1)}\n"
                 + "third," + good.replace(str(h100.power), "abc") + "\n")
    before = catalog.chip_ids()
    with pytest.raises(InputError, match="chip 'third'"):
        catalog.load_chips_file(p)
    assert catalog.chip_ids() == before  # 'first' and 'second' were not added either
    p.write_text("chip_id," + ",".join(Chip._fields) + f"\nfirst,{good}\nnvidia_h100_sxm,{good}\n")
    with pytest.raises(InputError, match="already in the catalog"):
        catalog.load_chips_file(p)
    assert catalog.chip_ids() == before
    assert catalog.load_chips_file(p, replace=True) == ["first", "nvidia_h100_sxm"]
    models = tmp_path / "models.csv"
    row = catalog.model_entry("llama-3-8b").info
    header = list(row)
    lines = [",".join(header), ",".join(f'"{row[k]}"' if k != "model_id" else "m1" for k in header),
             ",".join(f'"{row[k]}"' if k not in ("model_id", "n_heads") else ("m2" if k == "model_id" else "7.5")
                      for k in header)]
    models.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="model 'm2': n_heads: 7.5 is not a whole number"):
        catalog.load_models_file(models)
    assert "m1" not in catalog.model_ids()


def test_duplicate_rows_and_unknown_columns_are_refused(tmp_path, h100, own_catalog):
    good = ",".join(str(x) for x in h100)
    p = tmp_path / "chips.csv"
    p.write_text("chip_id," + ",".join(Chip._fields) + f"\nsame,{good}\nsame,{good}\n")
    with pytest.raises(InputError, match="chip 'same' appears twice"):
        catalog.load_chips_file(p)
    p.write_text("chip_id,memory_bandwith\nx,1e12\n")
    with pytest.raises(InputError, match=r"unknown column\(s\) 'memory_bandwith'"):
        catalog.load_chips_file(p)
    p.write_text("chip_id,quantity,value\nx,power,700\nx,power,800\n")
    with pytest.raises(InputError, match="chip 'x' gives 'power' twice"):
        catalog.load_chips_file(p)
    p.write_text("chip_id,quantity\nx,power\n")
    with pytest.raises(InputError, match=r"missing column\(s\) value"):
        catalog.load_chips_file(p)


def test_long_and_hostile_ids_give_short_messages():
    with pytest.raises(InputError) as info:
        catalog.chip("z" * 100_000)
    assert len(str(info.value)) < 300
    with pytest.raises(InputError, match="unknown model None"):
        catalog.model(None)


def test_every_catalog_model_states_its_context_and_longer_requests_are_refused():
    from workbook.model import sizing

    for mid in catalog.model_ids():
        assert catalog.model(mid).max_context >= 4096, mid
    m = catalog.model("llama-2-70b")  # max_position_embeddings 4096 (HF config.json)
    sizing.check_context(m, 3000, 1000, "llama-2-70b")
    with pytest.raises(InputError, match=r"input_tokens \+ output_tokens: 4097 is out of range; allowed \[1, 4096\]"):
        sizing.check_context(m, 4000, 97, "llama-2-70b")
