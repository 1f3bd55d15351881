import numpy as np
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
    assert len(ok) >= 590  # 53 of them through the accelerator alias table
    assert all(reason for _, reason in skipped)
    # MLPerf open-division rows (the model may be changed) are explained, not modelled: all 9, among
    # them NVIDIA's depth-pruned and sparse Llama-2-70B on one H200 (rows 65 and 66)
    open_rows = [i for i, reason in skipped if reason == measurements.OPEN_DIVISION_REASON]
    assert len(open_rows) == 9 and all(rows[i]["trust_tier"] == "A-" for i in open_rows)
    assert {"65", "66"} <= {rows[i]["row_id"] for i in open_rows}
    assert any("DepthPruned" in rows[i]["source_path"] for i in open_rows)
    assert not any(r.row_id in {"65", "66"} for r in ok)


def test_dataset_profiles_fill_missing_lengths():
    r = {"chip_id": "nvidia_h100_sxm", "accelerator_count": "8", "model_id": "llama-2-70b", "precision_id": "fp8",
         "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
         "output_tokens_mean": "", "batch": "", "value_per_accelerator": "3000"}
    m = measurements.scenario_from_row(0, r)
    assert m.input_tokens == pytest.approx(222.33, abs=0.01) and m.output_tokens == 294.45 and m.batch is None
    assert m.output_cv == pytest.approx(0.787)  # the dataset's spread rides along (the held context uses it)
    m = measurements.scenario_from_row(0, {**r, "output_tokens_mean": "300"})
    assert m.output_tokens == 300.0  # a row's own length wins over the profile


# Dataset profiles pinned to their sources (mlcommons/inference reference READMEs).
@pytest.mark.parametrize("workload,output,status,source_fragment", [
    ("mlperf-llama2-70b-openorca", 294.45, "documented", "Tokens per sample: 294.45"),  # language/llama2-70b/README.md
    ("mlperf-mixtral-mix", 144.84, "documented", "144.84"),  # language/mixtral-8x7b/README.md
    ("mlperf-llama3.1-405b-longctx", 684.68, "documented", "684.68"),  # language/llama3.1-405b/README.md
    ("mlperf-deepseek-r1-reasoning", 3886.2, "documented", "4,043.45"),  # language/deepseek-r1/README.md
    ("mlperf-llama3.1-8b-cnndm", 128.0, "derived", "1,111.06"),  # tokens/s / samples/s of v5.1 logs
    ("sharegpt-vllm", 203.1, "documented", "ShareGPT"),
])
def test_dataset_profiles_carry_sources(workload, output, status, source_fragment):
    p = measurements.DATASET_PROFILES[workload]
    assert p.output_tokens == pytest.approx(output) and p.output_status == status
    assert source_fragment in p.source
    for mean, (lo, hi), st in ((p.input_tokens, p.input_range, p.input_status),
                               (p.output_tokens, p.output_range, p.output_status)):
        assert lo <= mean <= hi and st in measurements.LENGTH_STATUSES
        if st == "estimate":
            assert hi > lo, f"{workload}: an estimate needs a range"


def test_openorca_input_is_the_mean_over_every_sample_not_the_fit():
    p = measurements.DATASET_PROFILES["mlperf-llama2-70b-openorca"]
    assert p.input_status == "derived" and p.input_tokens == pytest.approx(222.33)
    assert p.input_range == pytest.approx((220.11, 224.55))  # +-1 % for the copy of the per-sample table
    assert "24,576 samples" in p.basis and "max 1,021" in p.basis  # every sample, under processorca.py's 1,024 limit
    assert "llama2-70b-99.csv" in p.source and "7cd1065d1e2c" in p.source  # the table read, at its commit
    assert "fit" in p.basis and "earlier 400" in p.basis and "512" in p.basis and "316" in p.basis  # superseded values named


# Means over every sample of the MLCommons datasets (openshift-psap/performance-dashboard's per-sample
# tables, read 2026-12-01). Where the reference output mean is documented, the table's own output mean
# reproduces it to the cent: the check that the right dataset was copied whole.
@pytest.mark.parametrize("workload,samples,input_mean,output_cv,checksum", [
    ("mlperf-llama2-70b-openorca", "24,576", 222.33, 0.787, None),  # outputs are GPT-4's answers, not the 294.45
    ("mlperf-mixtral-mix", "15,000", 427.39, 0.778, "average exactly 144.84"),
    ("mlperf-llama3.1-405b-longctx", "8,313", 9428.64, 0.381, "average exactly 684.68"),
    ("mlperf-llama3.1-8b-cnndm", "13,368", 870.73, 0.0, None),  # outputs stop at a 128-token cap
    ("mlperf-deepseek-r1-reasoning", "4,388", 803.79, 1.253, "average exactly 4,043.45"),
])
def test_per_sample_means_replace_the_estimates(workload, samples, input_mean, output_cv, checksum):
    p = measurements.DATASET_PROFILES[workload]
    assert p.input_status == "derived" and p.input_tokens == pytest.approx(input_mean)
    lo, hi = p.input_range
    assert lo < p.input_tokens < hi and hi / lo == pytest.approx(1.01 / 0.99, rel=1e-3)
    assert p.output_cv == pytest.approx(output_cv)
    assert measurements.PSAP_SUMMARIES in p.source and "2026-12-01" in p.source
    assert f"{samples} samples" in p.source + p.basis or f"{samples} outputs" in p.basis
    if checksum:
        assert checksum in p.basis


@pytest.mark.parametrize("workload", list(measurements.DATASET_PROFILES))
def test_every_estimate_is_the_log_space_centre_of_its_range(workload):
    # An estimated length is never a point picked on its own: it is sqrt(lo * hi) of the range its
    # sources give, the centre of the log-uniform belief whose spread (log_sd) weighs the row in the fit.
    p = measurements.DATASET_PROFILES[workload]
    for mean, (lo, hi), st in ((p.input_tokens, p.input_range, p.input_status),
                               (p.output_tokens, p.output_range, p.output_status)):
        assert st in measurements.LENGTH_STATUSES and lo <= mean <= hi
        if st == "estimate":
            assert mean == pytest.approx((lo * hi) ** 0.5, rel=1e-9)
            assert f"{round(mean):,}" in p.basis  # the basis states the value it explains
        else:  # a documented or derived mean states its own value
            assert f"{mean:,.2f}".rstrip("0").rstrip(".") in p.basis + p.source or f"{mean:g}" in p.basis + p.source


def test_log_centre_is_the_median_of_a_log_uniform_length():
    draws = np.exp(np.random.default_rng(0).uniform(np.log(100.0), np.log(1000.0), 200_000))
    assert measurements.log_centre((100.0, 1000.0)) == pytest.approx(np.exp(np.log(draws).mean()), rel=0.01)
    assert measurements.log_centre((100.0, 1000.0)) == pytest.approx(np.median(draws), rel=0.01)


def test_llama31_8b_output_is_tokens_over_samples_in_the_submission_logs():
    # mlperf_log_summary.txt of four v5.1 Offline runs (inference_results_v5.1, results/<system>/llama3.1-8b):
    # tokens per second / samples per second = generated tokens per sample.
    logs = {"Dell XE9680L B200": (143_309, 1_111.06), "GigaComputing G894 B200": (142_136, 1_110.44),
            "RedHat XE8640 H100": (5_777.08, 45.1334), "Intel B60": (6_472.37, 50.569)}
    per_sample = [tok / smp for tok, smp in logs.values()]
    p = measurements.DATASET_PROFILES["mlperf-llama3.1-8b-cnndm"]
    lo, hi = p.output_range
    assert all(lo - 0.05 <= x <= hi + 0.05 for x in per_sample)
    assert p.output_tokens == pytest.approx(sorted(per_sample)[1], abs=0.1)  # the median: the 128-token cap
    for tok, smp in logs.values():
        assert f"{tok:,}"[:5] in p.source and f"{smp:,}"[:5] in p.source
    chars = 8_167_644 / 13_368  # gen_len / gen_num of the datacenter accuracy target: 4.8 characters per token
    assert 3.8 <= chars / p.output_tokens <= 5.1


def test_log_sd_of_a_range_is_that_of_a_log_uniform_length():
    assert measurements.log_sd((294.45, 294.45)) == 0.0
    draws = np.exp(np.random.default_rng(0).uniform(np.log(100.0), np.log(1000.0), 200_000))
    assert measurements.log_sd((100.0, 1000.0)) == pytest.approx(np.log(draws).std(), rel=0.01)


def test_rows_carry_the_spread_of_the_profile_lengths_they_use():
    r = {"chip_id": "nvidia_h100_sxm", "accelerator_count": "8", "model_id": "llama-2-70b", "precision_id": "fp8",
         "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
         "output_tokens_mean": "294.45", "batch": "", "value_per_accelerator": "3000"}
    m = measurements.scenario_from_row(0, r)
    lo, hi = measurements.DATASET_PROFILES["mlperf-llama2-70b-openorca"].input_range  # +-1 % for the copy
    assert m.input_log_sd == pytest.approx(np.log(hi / lo) / np.sqrt(12)) and m.output_log_sd == 0.0
    assert 0 < m.input_log_sd < 0.01
    m = measurements.scenario_from_row(0, {**r, "input_tokens_mean": "512"})  # a length the row gives is exact
    assert m.input_log_sd == 0.0
    r = {**r, "model_id": "deepseek-r1", "precision_id": "fp4", "workload": "mlperf-deepseek-r1-reasoning",
         "output_tokens_mean": ""}
    m = measurements.scenario_from_row(0, r)  # both lengths from the profile: both carry their range's spread
    lo, hi = measurements.DATASET_PROFILES["mlperf-deepseek-r1-reasoning"].input_range
    assert m.input_log_sd == pytest.approx(np.log(hi / lo) / np.sqrt(12))
    assert m.output_log_sd == pytest.approx(np.log(4043.5 / 3886.0) / np.sqrt(12))


@pytest.mark.parametrize("field,value,reason", [
    ("chip_id", "", "no chip_id"), ("model_id", "gpt-9", "model gpt-9 not in the catalog"),
    ("input_tokens_mean", "lots", "input_tokens_mean 'lots' is not a number"),
    ("output_tokens_mean", "1e", "output_tokens_mean '1e' is not a number"),
    ("precision_id", "fp2", "precision fp2 not modelled"), ("value_per_accelerator", "abc", "no measured value"),
    ("workload", "mystery", "no input/output length"), ("accelerator_count", "", "no accelerator_count"),
    ("accelerator_count", "-1", "accelerator_count '-1' is not a whole number in [1, 100000]"),
    ("accelerator_count", "2.5", "accelerator_count '2.5' is not a whole number"),
    ("batch", "-4", "batch '-4' is not a whole number in [1, 1e+06] (leave it blank if the submitter tuned it)"),
    ("batch", "2.5", "batch '2.5' is not a whole number"), ("batch", "nan", "batch 'nan' is not a whole number"),
    ("value_per_accelerator", "1e300", "value_per_accelerator 1e+300 is out of range"),
    ("input_tokens_mean", "-5", "input_tokens_mean -5 is out of range; allowed (0, 1e+07] tokens"),
    ("latency_constraint", "TTFT<=1.2.3 ms", "cannot read the TTFT limit"),
    ("latency_constraint", "TTFT < 2000", "the TTFT limit 2000 has no unit"),
    ("chip_id", "x\n" * 50, "chip x?x?x?"),
    ("platform", "TP16", "documents TP16, which does not divide the row's 8 accelerators"),
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


ROW = {"chip_id": "nvidia_h100_sxm", "accelerator_count": "8", "model_id": "llama-2-70b", "precision_id": "fp8",
       "scenario_kind": "server", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
       "output_tokens_mean": "", "batch": "", "value_per_accelerator": "3000"}


@pytest.mark.parametrize("text,limits", [
    ("TTFT<=2,000 ms, TPOT<=200 ms", (2.0, 0.2)),
    ("TTFT < 2000 ms; TPOT < 0.2 s", (2.0, 0.2)),
    ("TTFT ≤ 2 s, TPOT ≤ 40ms", (2.0, 0.04)),
    ("TTFT =< 450 ms (p99)", (0.45, None)),
    ("TTFT (p99) <= 6000 ms, TPOT (p99) <= 175 ms", (6.0, 0.175)),
    ("ttft<=2e3 ms", (2.0, None)),
    ("TPOT<=500 us", (None, 5e-4)),
    ("", (None, None)),
    ("none (Offline)", (None, None)),
])
def test_latency_limits_read_every_common_spelling(text, limits):
    got = measurements.latency_limits(text)
    assert got == pytest.approx(limits) if None not in limits else got == limits


@pytest.mark.parametrize("text,message", [
    ("TTFT < 2000", "has no unit; allowed units ms, s, us"),
    ("TTFT<=abc ms", "cannot read the TTFT limit"),
    ("TTFT<=1.2.3 ms", "cannot read the TTFT limit"),
    ("TTFT >= 3 s", "cannot read the TTFT limit"),
    ("TTFT<=2 hours", "unknown unit 'hours'"),
    ("TTFT<=0 ms", "out of range; allowed [1e-06, 3600] s"),
    ("p99 <= 2 s", "names neither TTFT nor TPOT"),
    ("TTFT<=2 s, TTFT<=3 s", "two different TTFT limits"),
])
def test_unreadable_latency_limits_are_named(text, message):
    with pytest.raises(InputError, match="latency_constraint") as info:
        measurements.latency_limits(text)
    assert message in str(info.value)


def test_parsed_limits_reach_the_row_and_unreadable_ones_skip_it():
    m = measurements.scenario_from_row(0, {**ROW, "latency_constraint": "TTFT<=2,000 ms, TPOT < 200 ms"})
    assert (m.ttft_limit, m.tpot_limit) == pytest.approx((2.0, 0.2))
    assert m.batch is None  # blank batch: tuned by the submitter
    assert measurements.scenario_from_row(0, {**ROW, "batch": "8.0"}).batch == 8.0
    out = measurements.scenario_from_row(0, {**ROW, "latency_constraint": "TTFT<=2000"})
    assert isinstance(out, str) and out.startswith("latency_constraint 'TTFT<=2000'")


def _csv(tmp_path, text, name="rows.csv", mode="w"):
    p = tmp_path / name
    (p.write_bytes if mode == "wb" else p.write_text)(text)
    return p


HEADER = ",".join(measurements.REQUIRED_COLUMNS)


@pytest.mark.parametrize("content,mode,message", [
    ("", "w", "empty file (no header row)"),
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "wb", "not a UTF-8 text (CSV) file"),
    (HEADER + "\n" + "x" * 200_000 + "\n", "w", "a field is longer than 131,072 characters"),
])
def test_unreadable_files_raise_one_clear_error(tmp_path, content, mode, message):
    with pytest.raises(InputError, match="rows.csv") as info:
        measurements.read_rows(_csv(tmp_path, content, mode=mode))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_directories_missing_and_oversized_files_are_refused(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="is a directory; allowed: a CSV file"):
        measurements.read_rows(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        measurements.read_rows(tmp_path / "nope.csv")
    p = _csv(tmp_path, HEADER + "\n" + "1,2,3,4,5,6,7,8,9,10\n" * 5)
    monkeypatch.setattr(measurements, "MAX_ROWS", 3)
    with pytest.raises(InputError, match="more than 3 rows; allowed at most 3"):
        measurements.read_rows(p)
    monkeypatch.setattr(measurements, "MAX_FILE_BYTES", 10)
    with pytest.raises(InputError, match="too large; allowed at most"):
        measurements.read_rows(p)


def test_byte_order_mark_is_accepted(tmp_path):
    p = _csv(tmp_path, ("\ufeff" + HEADER + "\n").encode("utf-8"), mode="wb")
    assert measurements.read_rows(p) == []


@pytest.mark.parametrize("platform,chip,tp", [
    ("TP8", "nvidia_h100_sxm", 8), ("TP1", "nvidia_h200_sxm", 1), ("TP8 (EP per doc defaults)", "nvidia_b200_hgx", 8),
    ("TP 4", "nvidia_gb200", 4),
    ("TP24 NeuronCores (Tensor Parallel)", "aws_inferentia2", 12),  # two NeuronCores per chip
    ("TP32 NeuronCores (Tensor Parallel)", "aws_trainium1", 16),
    ("TP8 NeuronCores", "nvidia_h100_sxm", None),  # cores of a chip the table does not know: tuned
    ("TP4 PP2", "nvidia_h100_sxm", None), ("TP2 x DP4", "nvidia_h100_sxm", None),  # more than TP: tuned
    ("XE9680L_B200_SXM_180GBx8_TRT", "nvidia_b200_hgx", None), ("", "nvidia_h100_sxm", None),
    ("TPU v5e", "nvidia_h100_sxm", None), ("TP8x", "nvidia_h100_sxm", None),
])
def test_documented_tensor_parallel_degree_is_read_from_the_platform(platform, chip, tp):
    assert measurements.documented_tp(platform, 24.0 if "Neuron" in platform and "inferentia" in chip else
                                      (16.0 if "Neuron" in platform else 8.0), chip) == tp


def test_neuron_degrees_keep_their_core_count_for_head_padding():
    assert measurements.documented_tp_units("TP24 NeuronCores (Tensor Parallel)", "aws_inferentia2") == 24
    assert measurements.documented_tp_units("TP8", "nvidia_h100_sxm") == 8
    assert measurements.documented_tp_units("TP8 NeuronCores", "nvidia_h100_sxm") is None
    assert measurements.documented_tp_units("TP4 PP2", "nvidia_h100_sxm") is None


def test_packaged_tensorrt_llm_rows_carry_their_documented_layout():
    ok, _ = measurements.scenarios(measurements.read_rows())
    trt = [r for r in ok if r.benchmark == "TensorRT-LLM perf overview"]
    assert trt and all(r.tp == r.accelerators for r in trt)  # every table row is one TP replica
    # MLPerf systems name no layout: only those whose submission code was read carry one
    mlperf = [r for r in ok if r.benchmark.startswith("MLPerf")]
    documented = [r for r in mlperf if r.tp]
    assert len(documented) == 159 and {r.benchmark[-4:] for r in documented} == {"v4.1", "v5.1"}
    assert all(r.tp == r.tp_units and r.accelerators % (r.tp * r.pp) == 0 for r in documented)


def test_mlperf_layouts_come_from_the_submission_code():
    # inference_results_v4.1: closed/Fujitsu/configs/llama2-70b/Offline/custom.py (CDI_L40SX8: tensor_parallelism = 4),
    # closed/NVIDIA/configs/llama2-70b/Offline/__init__.py (H100_SXM_80GB_TP2x4: 2; H200_SXM_141GBx8: 1)
    rows = {r.row_id: r for r in measurements.scenarios(measurements.read_rows())[0]}
    assert rows["77"].chip_id == "nvidia_l40s" and rows["77"].tp == 4 and rows["78"].tp == 4  # offline and server
    key = ("MLPerf Inference v4.1", "NVIDIA", "DGX-H100_H100-SXM-80GBx8_TRT", "llama-2-70b", "offline")
    tp, pp, source = measurements.DOCUMENTED_LAYOUTS[key]
    assert (tp, pp) == (2, 1) and "H100_SXM_80GB_TP2x4" in source and "pipeline_parallelism 1" in source
    for (bench, _, _, _, scenario), (tp, pp, source) in measurements.DOCUMENTED_LAYOUTS.items():
        assert "inference_results_" + bench.rsplit(" ", 1)[-1] in source and scenario in measurements.SCENARIOS
        assert tp in (1, 2, 4, 8) and pp in (1, 2, 4) and f"tensor_parallelism {tp}" in source
        assert f"pipeline_parallelism {pp}" in source
    # keyed by round and scenario: the same platform name in another round, or a scenario whose
    # config was not read, is tuned, not assumed
    assert measurements.documented_layout("MLPerf Inference v5.0", *key[1:]) is None
    assert measurements.documented_layout(*key[:4], "interactive") is None
    # Intel's Arc Pro B60 runs Llama-2-70B offline as TP1 x PP4 and server as TP2 (init_env_offline / _server)
    intel = ("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-2-70b")
    assert measurements.documented_layout(*intel, "offline") == (1, 4)
    assert measurements.documented_layout(*intel, "server") == (2, 1)
    # a degree that does not divide the row's accelerators skips the row with the reason
    r = {"chip_id": "nvidia_l40s", "accelerator_count": "6", "model_id": "llama-2-70b", "precision_id": "fp8",
         "scenario_kind": "offline", "workload": "mlperf-llama2-70b-openorca", "input_tokens_mean": "",
         "output_tokens_mean": "", "batch": "", "value_per_accelerator": "400", "benchmark": "MLPerf Inference v4.1",
         "submitter": "Fujitsu", "platform": "CDI_L40Sx8_TRT"}
    assert "documents TP4 PP1, which does not divide the row's 6 accelerators" in measurements.scenario_from_row(0, r)


def test_intel_b60_rows_carry_the_runtime_settings_their_code_documents():
    # inference_results_v5.1 closed/Intel/code: init_env_server of Llama-2-70B sets
    # GPU_MEMORY_UTILIZATION=0.99 and MAX_NUM_BATCHED_TOKENS=320; the other three scenarios set
    # only the token budget (256, 768 via init_env_shared, 576), so vLLM's default share applies
    rows = measurements.scenarios(measurements.read_rows())[0]
    b60 = {(r.model_id, r.scenario): (r.memory_fraction, r.batched_tokens) for r in rows
           if r.chip_id == "intel_arc_pro_b60"}
    assert b60 == {("llama-2-70b", "offline"): (None, 256.0), ("llama-2-70b", "server"): (0.99, 320.0),
                   ("llama-3.1-8b", "offline"): (None, 768.0), ("llama-3.1-8b", "server"): (None, 576.0)}
    for key, (fraction, tokens, source) in measurements.DOCUMENTED_RUNTIME.items():
        if key[1] != "Intel":
            continue
        assert f"MAX_NUM_BATCHED_TOKENS={tokens:g}" in source and "inference_results_v5.1" in source
        assert (fraction is None) == ("no GPU_MEMORY_UTILIZATION" in source)
        assert fraction is None or f"GPU_MEMORY_UTILIZATION={fraction:g}" in source
    # every other row keeps vLLM's default share of memory
    assert all(r.memory_fraction is None for r in rows if r.chip_id != "intel_arc_pro_b60")


def test_tensorrt_llm_rows_carry_the_token_budget_their_config_documents():
    # inference_results_v5.1 closed/<submitter>/configs/<system>/<Scenario>/<model>.py:
    # llm_fields.trtllm_runtime_flags['max_num_tokens'] (read 2026-12-02)
    v51 = "MLPerf Inference v5.1"
    budget = lambda *key: measurements.documented_runtime(v51, *key)[1]  # noqa: E731
    assert budget("Cisco", "C845A_H200_NVLx8_TRT", "llama-3.1-8b", "server") == 1536.0
    assert budget("Dell", "XE7745_H200_NVL_141GBx8_TRT", "llama-2-70b", "interactive") == 256.0
    assert budget("Nebius", "B200-SXM-180GBx8_TRT", "llama-2-70b", "server") == 3584.0
    assert budget("Azure", "ND_GB200_v6", "llama-2-70b", "server") == 4096.0
    assert budget("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "mixtral-8x7b", "offline") == 9216.0
    # a row whose config was not read keeps the queue's default; DeepSeek-R1's attention-DP ranks
    # budget apart (not one budget per replica): not listed
    assert budget("NVIDIA", "B200-SXM-180GBx8_TRT", "llama-2-70b", "server") is None
    assert budget("Dell", "XE9680L_B200_SXM_180GBx8_TRT", "deepseek-r1", "server") is None
    raw = measurements.read_rows()
    rows = measurements.scenarios(raw)[0]
    keyed = sum((r["benchmark"], r["submitter"], r["platform"], r["model_id"], r["scenario_kind"])
                in measurements.DOCUMENTED_RUNTIME for r in raw)
    assert keyed == sum(r.batched_tokens is not None for r in rows) == 72
    for key, (fraction, tokens, source) in measurements.DOCUMENTED_RUNTIME.items():
        if key[1] == "Intel":
            continue
        assert fraction is None  # TensorRT-LLM's kvcache_free_gpu_mem_frac is not vLLM's share
        assert f"max_num_tokens {tokens:g}" in source and "/configs/" in source and "inference_results_v5.1" in source
    # the geometric centre of the documented budgets is near the queue's default (2,048)
    tokens = [t for _, t, _ in measurements.DOCUMENTED_RUNTIME.values()]
    trt = [b for *_, b, _ in measurements._TRT_BUDGETS]
    assert (min(trt), max(trt)) == (256, 12000) and len(tokens) == len(trt) + 4


def test_intel_b60_rows_run_int8_activations_as_their_code_documents():
    rows = measurements.scenarios(measurements.read_rows())[0]
    b60 = [r for r in rows if r.chip_id == "intel_arc_pro_b60"]
    assert len(b60) == 4 and {r.precision for r in b60} == {"w4a8"}
    _, source = measurements.DOCUMENTED_PRECISIONS[("Intel", "1-node-4x-BMG-Pro-B60-Dual")]
    assert "VLLM_FUSE_NORM_QUANT=1" in source and "kv_cache_scheme" in source
    # the override is keyed by submitter and platform: another int4 row keeps its weight-only format
    assert measurements.documented_precision("RedHat", "1-node-4x-BMG-Pro-B60-Dual", "int4") == "int4"
    # the physics behind it: 16-bit math on 8 B60s at full peak cannot give the measured Llama-2-70B rate with
    # 280-token prompts (a 260-token bound), INT8 math can
    from workbook import catalog
    from workbook.model import transformer
    chip, m = catalog.chip("intel_arc_pro_b60"), catalog.model("llama-2-70b")
    flops_per_output_token = 2 * float(transformer.total_params(m)) * (280 + 294.45) / 294.45
    assert 8 * chip.peak_flops_bf16 / flops_per_output_token < 3009.38 < 8 * chip.peak_ops_int8 / flops_per_output_token
