"""Time of predicting every measured row through the tuner (the inner loop of `workbook calibrate`).

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/bench_calibration.py [--repeats 3]

Prints the number of modelable rows of the packaged calibration table, the grid points per
row, the first call of ``calibration.predict`` (compiles the throughput and goodput grids) and
the median of the next ``--repeats`` calls (compiled), and the in-sample MdAPE it gives, so a
change to the tuner shows both its cost and its effect; and the once-per-fit cost of the rows'
length spreads (``fitting.length_log_sd``: two more predictions of the rows with profile lengths).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from workbook import calibration
from workbook.calibration import fitting, measurements, tuning


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = measurements.scenarios(measurements.read_rows())[0]
    cal = calibration.calibration()
    grid = len(tuning.grid(rows[0])[0])
    t0 = time.perf_counter()
    pred = calibration.predict(rows, cal)
    first = time.perf_counter() - t0
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        calibration.predict(rows, cal)
        runs.append(time.perf_counter() - t0)
    families = sorted({fitting.family(r.chip_id) for r in rows})
    t0 = time.perf_counter()
    fitting.length_log_sd(rows, families)
    spread = time.perf_counter() - t0
    meas = np.array([r.measured for r in rows])
    ok = np.isfinite(pred)
    mdape = 100 * np.median(np.abs(pred[ok] / meas[ok] - 1))
    print(f"rows: {len(rows)} ({ok.mean():.1%} predicted), grid points per row: {grid}")
    print(f"predict, first call (compiles): {first:.1f} s")
    print(f"predict, compiled: median {statistics.median(runs):.2f} s over {args.repeats} (min {min(runs):.2f}, max {max(runs):.2f})")
    print(f"length spreads (once per fit, compiles its own grid): {spread:.1f} s")
    print(f"in-sample MdAPE with the packaged calibration: {mdape:.2f} %")


if __name__ == "__main__":
    main()
