"""Widget update latency: time from a control's value change to the chart's data updated in the kernel.

For each panel, cycles one control through its values 50 times (after one warm-up pass, so
the jitted functions are compiled) and prints the median and 95th percentile in ms.
No browser: this is the kernel-side cost (model call, DataFrame, spec swap on the
JupyterChart), not rendering.

Usage: JAX_PLATFORMS=cpu python benchmarks/bench_widgets.py
"""

import os
import statistics
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

from workbook.ui import ChipComparisonPanel, SensitivityPanel, ShiftPanel, SourcingPanel  # noqa: E402


def bench(panel, control, values, n=50):
    ctl = panel.controls[control]
    for v in values:  # warm-up: compile every shape once
        ctl.value = v
    times = []
    for i in range(n):
        v = values[i % len(values)]
        if ctl.value == v:
            v = values[(i + 1) % len(values)]
        before = panel.updates
        t0 = time.perf_counter()
        ctl.value = v
        dt = time.perf_counter() - t0
        assert panel.updates == before + 1, panel.message.value
        times.append(dt * 1e3)
    return statistics.median(times), float(np.percentile(times, 95))


def main():
    cases = [
        ("ChipComparisonPanel (all chips)", ChipComparisonPanel(), "batch", [16, 32, 64, 128, 256]),
        ("ChipComparisonPanel (all chips)", ChipComparisonPanel(), "context", [512, 1024, 2048, 4096]),
        ("ChipComparisonPanel (all chips)", ChipComparisonPanel(), "metric",
         ["usd_per_million_tokens", "tokens_per_s_per_chip"]),  # rebuilds the chart (axis title)
        ("SensitivityPanel", SensitivityPanel(), "batch", [8, 16, 32, 64, 128]),
        ("SensitivityPanel", SensitivityPanel(), "chip", ["nvidia_h100_sxm", "nvidia_h200_sxm", "amd_mi300x"]),
        ("ShiftPanel", ShiftPanel(), "demand_growth", [1.0, 2.0, 3.0, 5.0]),
        ("SourcingPanel", SourcingPanel(), "eta", [0.5, 0.7, 0.9]),
    ]
    print(f"{'panel':34s} {'control':14s} {'median ms':>10s} {'p95 ms':>8s}")
    for name, panel, control, values in cases:
        med, p95 = bench(panel, control, values)
        print(f"{name:34s} {control:14s} {med:10.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
