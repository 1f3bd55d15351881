"""``workbook``: the command line for headless use.

    workbook chips [--json]
    workbook models [--json]
    workbook estimate --chip ID --model ID [--precision fp8] [--batch N] [--input-tokens N]
                      [--output-tokens N] [--chips N] [--price USD_PER_HOUR] [--roofline] [--json]
    workbook validate FILE.csv [--json] [--out predictions.csv [--force]] [--roofline]
    workbook calibrate [--out PATH [--force]]

Bad input exits with status 2 and one line naming the field and the allowed range. Paths are
checked before any work; an input file is never overwritten, an existing file only with
``--force``, and files are written atomically. JSON output never holds NaN or infinity.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")  # no GPU probe warnings on CPU-only machines

from workbook.errors import InputError, require  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, like every other input error
        raise InputError(message)


def _one_line(text, limit: int = 400) -> str:
    """``text`` as one printable line of at most ``limit`` characters."""
    flat = " ".join("".join(ch if ch.isprintable() or ch.isspace() else "?" for ch in str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _shown(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _positive_int(field, value, high):
    allowed = f"whole numbers in [1, {high:g}]"
    return int(require(field, _number(field, value, allowed), low=1, high=high, integer=True))


def _number(field, value, allowed: str):
    """A command-line string as a float, or InputError naming the option and what is allowed."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field}: {_shown(value)} is not a number; allowed {allowed}") from None


def _finite_json(x):
    """``x`` with every non-finite float replaced by None (strict JSON has no NaN or inf)."""
    if isinstance(x, dict):
        return {str(k): _finite_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite_json(v) for v in x]
    if isinstance(x, (bool, str, int)) or x is None:
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f if math.isfinite(f) else None


def _print_json(x) -> None:
    print(json.dumps(_finite_json(x), indent=1, allow_nan=False))


def cmd_chips(args) -> int:
    from workbook import calibration, catalog

    rows = catalog.chip_table()
    if args.json:
        by_chip: dict = {}
        for r in rows:
            c = by_chip.setdefault(r["chip_id"], {"chip_id": r["chip_id"], "name": r["name"], **{
                k: catalog.chip_info(r["chip_id"]).get(k, "") for k in ("vendor", "family", "availability")},
                "efficiencies": calibration.calibration_status(r["chip_id"]), "quantities": {}})
            c["quantities"][r["quantity"]] = {k: r[k] for k in ("value", "low", "high", "unit", "status", "source", "date", "note")}
        _print_json(list(by_chip.values()))
        return 0
    statuses = {c: calibration.calibration_status(c) for c in catalog.chip_ids()}
    for status in calibration.CALIBRATION_STATUSES:
        ids = [c for c, st in statuses.items() if st == status]
        if ids:
            print(f"efficiencies {status}: {', '.join(ids)}")
    print(f"{'chip_id':24} {'quantity':24} {'value':>11} {'range':>23}  {'status':12} source (date)")
    for r in rows:
        rng = f"{r['low']:.3g}-{r['high']:.3g}" if r["low"] is not None else ""
        print(f"{r['chip_id']:24} {r['quantity']:24} {r['value']:11.4g} {rng:>23}  {r['status']:12} {r['source'][:70]} ({r['date']})")
    return 0


def cmd_models(args) -> int:
    from workbook import catalog
    from workbook.model import transformer as tf

    out = []
    for mid in catalog.model_ids():
        e = catalog.model_entry(mid)
        out.append({
            "model_id": mid, "name": e.info.get("name", mid),
            "params_total": float(tf.total_params(e.spec)), "params_active": float(tf.active_params(e.spec)),
            "kv_bytes_per_token_bf16": float(tf.kv_cache_bytes_per_token(e.spec, 16.0)),
            "source": e.info.get("source", ""), "date": e.info.get("date", ""),
        })
    if args.json:
        _print_json(out)
    else:
        for m in out:
            print(f"{m['model_id']:18} {m['params_total'] / 1e9:8.1f}B total {m['params_active'] / 1e9:7.1f}B active  {m['source'][:60]}")
    return 0


def estimate(chip_id, model_id, precision="fp8", batch=None, input_tokens=1024, output_tokens=256, chips=None, price=None, calibrated=True) -> dict:
    """The ``workbook estimate`` figures as a dict; raises :class:`InputError` on bad input."""
    from workbook import analysis, calibration, catalog, specs
    from workbook.model import deployment, serving, sizing
    from workbook.specs import Efficiency

    chip = catalog.chip(chip_id)
    model = catalog.model(model_id)
    t_in = _positive_int("--input-tokens", input_tokens, 1e7)
    t_out = _positive_int("--output-tokens", output_tokens, 1e7)
    if price is not None:
        p = require("--price", _number("--price", price, "[0, 10000] USD per chip-hour"), low=0, high=1e4,
                    unit="USD per chip-hour")
        chip = chip._replace(price=p)
    w = specs.workload(precision, batch=1, input_tokens=t_in, output_tokens=t_out, chips=1)
    sizing.check_context(model, t_in, t_out, model_id)
    note = calibration.calibration_problem() if calibrated else None
    eff = calibration.efficiency(chip_id) if calibrated else Efficiency()
    calibrated = calibrated and note is None
    b_asked = None if batch is None else _positive_int("--batch", batch, 1e6)
    if chips is None:  # the fewest power-of-two chips on which a layout holds the batch (1 if not given)
        found = deployment.fewest_chips(chip, model, w._replace(batch=float(b_asked or 1)), eff)
        if found is None:
            raise InputError(f"{model_id} does not fit on up to {deployment.MAX_CHIPS} x {chip_id} at {precision} "
                             f"with batch {b_asked or 1}: lower the batch or the context, or use a narrower precision")
        g = found[0]
    else:
        g = _positive_int("--chips", chips, 1e5)
    w = w._replace(chips=float(g))
    if not deployment.candidate_deployments(chip, model, g, float(b_asked or 1)):
        raise InputError(f"--chips: {g} has no valid layout for {model_id}: tensor parallelism must divide its "
                         f"{int(model.n_heads)} heads, and a pipeline has at most {int(model.n_layers)} stages")
    first = deployment.best_deployment(chip, model, w, eff)  # a layout that holds one sequence
    if first is None:
        need = int(sizing.min_chips(chip, model, w))
        raise InputError(f"{model_id} does not fit on {g} x {chip_id} in any valid layout: the weights and one sequence "
                         f"need at least {need} chips (use --chips {max(need, g + 1)} or more)")
    largest = int(sizing.max_batch(chip, model, w, first[1]))
    b = min(64, largest) if b_asked is None else b_asked
    best = deployment.best_deployment(chip, model, w._replace(batch=float(b)), eff)
    if best is None:
        need = int(sizing.min_chips(chip, model, w._replace(batch=float(b))))
        raise InputError(f"--batch {b} does not fit on {g} x {chip_id} with {model_id} at {precision}: "
                         f"at most {largest} fit; this batch needs at least {need} chips (use --chips {max(need, g + 1)} "
                         f"or --batch {largest})")
    layout, d, _ = best
    w = w._replace(batch=float(b))

    chip_e, _, perf = analysis.serving_elasticities(chip, model, w, eff, d)
    k = analysis.METRICS.index("tokens_per_s_per_chip")
    base = float(perf.tokens_per_s_per_chip)
    el = {f: float(getattr(chip_e, f)[k]) for f in chip._fields}
    compute = float(analysis.compute_elasticity(chip_e)[k])
    finite = all(math.isfinite(float(x)) for x in perf[:6]) and all(math.isfinite(x) for x in (*el.values(), compute))
    if not finite:
        raise InputError("the model gave a non-finite result for these inputs; check --input-tokens/--output-tokens")
    emulated = bool(float(perf.emulated) > 0.5)
    info = catalog.chip_info(chip_id)
    return {
        "chip": chip_id, "chip_name": info.get("name", chip_id), "chip_availability": info.get("availability", ""),
        "model": model_id, "precision": precision, "batch": b, "chips": g,
        "input_tokens": t_in, "output_tokens": t_out, "usd_per_chip_hour": float(chip.price),
        "calibrated": calibrated and calibration.calibration_status(chip_id) == "calibrated",
        "calibration_status": calibration.calibration_status(chip_id) if calibrated else "bare roofline",
        **({"calibration_note": note} if note else {}),
        "ttft_s": float(perf.ttft), "tpot_s": float(perf.tpot),
        "tokens_per_s_per_chip": base, "tokens_per_s_per_user": float(perf.tokens_per_s_per_user),
        "usd_per_million_tokens": float(perf.usd_per_million_tokens), "joules_per_token": float(perf.joules_per_token),
        "bound": serving.RESOURCES[int(perf.bound)],  # of one decode step
        "cycle_bound": serving.RESOURCES[int(perf.cycle_bound)],  # of prefill + decode together: sets tokens/s and cost
        "memory_gb_per_chip": float(perf.memory_required) / 1e9, "memory_gb_usable_per_chip": float(perf.memory_available) / 1e9,
        "max_batch": largest,
        "layout": layout, "parallelism": deployment.as_dict(d),
        "decode_breakdown": {"compute": float(perf.decode_compute_time), "memory": float(perf.decode_memory_time),
                             "interconnect": float(perf.decode_interconnect_time), "overhead": float(perf.decode_overhead_time)},
        "math_format_bits": int(serving.math_bits(chip, w)), "emulated": emulated,
        **({"emulation_note": f"{chip_id} has no units for {precision} math: modelled with narrow weights, "
                              f"{int(serving.math_bits(chip, w))}-bit math and the cost of dequantising the weights"}
           if emulated else {}),
        "elasticity": {"memory_bandwidth": el["memory_bandwidth"], "compute": compute, "interconnect": el["interconnect_bandwidth"]},
        "elasticity_all": el,
    }


def cmd_estimate(args) -> int:
    r = estimate(args.chip, args.model, args.precision, args.batch, args.input_tokens, args.output_tokens, args.chips, args.price, not args.roofline)
    if args.json:
        _print_json(r)
        return 0
    e = r["elasticity"]
    print(f"{r['model']} on {r['chips']} x {_one_line(r['chip_name'], 80)} ({r['chip']}), {r['precision']}, batch {r['batch']}, "
          f"{r['input_tokens']} in / {r['output_tokens']} out, efficiencies: {r['calibration_status']}"
          + (" (calibration.json unusable: see the warning)" if r.get("calibration_note") else ""))
    print(f"  TTFT {r['ttft_s'] * 1e3:.1f} ms   TPOT {r['tpot_s'] * 1e3:.2f} ms   {r['tokens_per_s_per_user']:.1f} tokens/s per user")
    print(f"  {r['tokens_per_s_per_chip']:.1f} output tokens/s per chip   ${r['usd_per_million_tokens']:.3f} per M tokens at ${r['usd_per_chip_hour']:.2f}/chip-h   {r['joules_per_token']:.3f} J/token")
    par, brk = r["parallelism"], r["decode_breakdown"]
    print(f"  layout {r['layout']}: tp {par['tp']}, pp {par['pp']}, ep {par['ep']}, dp {par['dp']}; a decode step: compute "
          f"{brk['compute'] * 1e3:.2f} ms, memory {brk['memory'] * 1e3:.2f} ms, interconnect {brk['interconnect'] * 1e3:.2f} ms, "
          f"overhead {brk['overhead'] * 1e3:.2f} ms")
    print(f"  decode step bound by {r['bound']}, whole cycle (prefill + decode) by {r['cycle_bound']}; memory {r['memory_gb_per_chip']:.1f} of {r['memory_gb_usable_per_chip']:.1f} GB usable per chip (max batch {r['max_batch']})")
    if r.get("emulation_note"):
        print(f"  note: {r['emulation_note']}")
    print(f"  elasticity of tokens/s per chip: memory bandwidth {e['memory_bandwidth']:+.3f}, compute {e['compute']:+.3f}, interconnect {e['interconnect']:+.3f}")
    return 0


def cmd_validate(args) -> int:
    from workbook.calibration import report

    r = report.validate(args.file, out=args.out, calibrated=not args.roofline, force=args.force)
    if args.json:
        _print_json(r)
        return 0
    print(f"{_one_line(r['file'], 200)}: {r['rows']} rows, {r['predicted']} predicted, {r['skipped']} skipped ({r['calibration']})")
    for why, n in r["skipped_reasons"].items():
        print(f"  skipped {n}: {_one_line(why)}")
    fmt = lambda x, pct=False: "n/a" if x is None else (f"{100 * x:.1f}%" if pct else f"{x:.1f}%")  # noqa: E731
    print(f"  all rows: median |error| {fmt(r['mdape'])}, within 25%: {fmt(r['within_25pct'], True)}")
    print(f"  offline:  median |error| {fmt(r['offline_mdape'])}, within 25%: {fmt(r['offline_within_25pct'], True)}")
    print(f"  bare roofline: median |error| {fmt(r['roofline']['mdape'])}, offline {fmt(r['roofline']['offline_mdape'])}")
    for title, key in (("source", "by_source"), ("chip", "by_chip")):
        print(f"  by {title}:")
        for k, v in r[key].items():
            print(f"    {_one_line(k, 60):40} n={v['n']:4}  MdAPE {fmt(v['mdape'])}  within 25% {fmt(v['within_25pct'], True)}")
    if args.out:
        print(f"  predictions written to {_one_line(args.out, 200)}")
    return 0


def cmd_calibrate(args) -> int:
    from workbook.calibration import report

    cal = report.build_calibration(out=args.out, force=args.force)
    e = cal["errors"]
    for k, v in e.items():
        print(f"{k:28} MdAPE {v['mdape']}%  within 25% {v['within_25pct']}  offline MdAPE {v['offline_mdape']}%")
    print(f"written to {_one_line(args.out, 200)}" if args.out else "(not written: pass --out PATH)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="workbook", description="Inference economics workbook: headless commands.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("chips", help="the chip catalog with sources")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_chips)
    m = sub.add_parser("models", help="the model catalog")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)
    e = sub.add_parser("estimate", help="latency, throughput, cost and energy of one scenario")
    e.add_argument("--chip", required=True)
    e.add_argument("--model", required=True)
    e.add_argument("--precision", default="fp8")
    e.add_argument("--batch")
    e.add_argument("--input-tokens", default="1024")
    e.add_argument("--output-tokens", default="256")
    e.add_argument("--chips")
    e.add_argument("--price", help="USD per chip-hour (default: the catalog's dated scenario price)")
    e.add_argument("--roofline", action="store_true", help="bare roofline: no calibrated efficiencies")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_estimate)
    v = sub.add_parser("validate", help="predict measured results in a CSV and report the error")
    v.add_argument("file")
    v.add_argument("--json", action="store_true")
    v.add_argument("--out", help="also write one line per row here (never the input; an existing file needs --force)")
    v.add_argument("--force", action="store_true", help="replace an existing --out file")
    v.add_argument("--roofline", action="store_true")
    v.set_defaults(func=cmd_validate)
    k = sub.add_parser("calibrate", help="refit the efficiency factors on the packaged calibration table")
    k.add_argument("--out", help="write calibration.json here (an existing file, the packaged one included, needs --force)")
    k.add_argument("--force", action="store_true", help="replace an existing --out file")
    k.set_defaults(func=cmd_calibrate)
    return p


def main(argv=None) -> int:
    """Run one command; returns the exit status (0 done, 2 bad input, 130 interrupted)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                args = parser().parse_args(argv)
                return args.func(args)
            finally:
                shown = (str(w.message) for w in caught if issubclass(w.category, UserWarning))
                for text in dict.fromkeys(shown):  # e.g. an unusable calibration.json, once each
                    print(f"workbook: warning: {_one_line(text)}", file=sys.stderr)
    except InputError as err:
        print(f"workbook: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("workbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
