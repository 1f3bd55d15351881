"""``workbook``: the command line for headless use.

    workbook chips [--json]
    workbook models [--json]
    workbook estimate --chip ID --model ID [--precision fp8] [--batch N] [--input-tokens N]
                      [--output-tokens N] [--chips N] [--price USD_PER_HOUR] [--roofline] [--json]
    workbook validate FILE.csv [--json] [--out predictions.csv [--force]] [--roofline]
    workbook calibrate [--out PATH [--force]]
    workbook frontier --chip ID --model ID [--precision fp8] [--input-tokens N] [--output-tokens N] [--json]
    workbook shift [--chip ID] [--training-chip ID] [--model ID] [--training-tokens D] [--input-tokens N]
                   [--output-tokens N] [--batch N] [--precision fp8] [--utilisation U] [--mfu M] [--json]
    workbook market [--hyperscaler-cost-factor X] [--decentralized-chip ID] [--tpot-limit S] [--json]
    workbook negotiate [--scenario NAME] [--protocol nash|rubinstein] [--shortage S] [--json]

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
    if r["alias_mapped"]["rows"]:
        chips = ", ".join(f"{c} {n}" for c, n in r["alias_mapped"]["by_chip"].items())
        print(f"  chip from the accelerator name (alias table): {r['alias_mapped']['rows']} rows ({_one_line(chips, 300)})")
    for name, n in r["unmapped_accelerators"].items():
        print(f"  accelerator name not mapped to a catalog chip ({n} rows): {_one_line(name, 80)}")
    fmt = lambda x, pct=False: "n/a" if x is None else (f"{100 * x:.1f}%" if pct else f"{x:.1f}%")  # noqa: E731
    print(f"  all rows: median |error| {fmt(r['mdape'])}, within 25%: {fmt(r['within_25pct'], True)}")
    print(f"  offline:  median |error| {fmt(r['offline_mdape'])}, within 25%: {fmt(r['offline_within_25pct'], True)}")
    print(f"  bare roofline: median |error| {fmt(r['roofline']['mdape'])}, offline {fmt(r['roofline']['offline_mdape'])}")
    for title, key in (("source", "by_source"), ("family", "by_family"), ("chip", "by_chip"), ("model", "by_model"),
                       ("scenario", "by_scenario")):
        print(f"  by {title}:")
        for k, v in r[key].items():
            ratio = f"  predicted/measured {v['median_ratio']:.2f}" if v.get("median_ratio") is not None else ""
            print(f"    {_one_line(k, 60):40} n={v['n']:4}  MdAPE {fmt(v['mdape'])}  within 25% {fmt(v['within_25pct'], True)}{ratio}")
    if args.out:
        print(f"  predictions written to {_one_line(args.out, 200)}")
    return 0


def cmd_calibrate(args) -> int:
    from workbook.calibration import report

    cal = report.build_calibration(out=args.out, force=args.force)
    print("factor (family)                          prior range            MAP     95% interval          flag")
    for f in cal.get("factors", ()):
        flag = f"AT A BOUND: {f['reason'] or 'NO REASON GIVEN'}" if f["at_bound"] else ""
        print(f"{f['factor'] + ' (' + f['family'] + ')':40} [{f['prior_low']:.3g}, {f['prior_high']:.3g}]".ljust(63)
              + f"{f['value']:<8.3g}[{f['low95']:.3g}, {f['high95']:.3g}]".ljust(30) + flag)
    for fam, v in cal.get("static_layer_time", {}).items():
        a = v["anchor"]
        print(f"{fam}: {1e6 * v['seconds']:.1f} us per layer, from {a['model']} at {a['tokens_per_s_per_user']:g} tokens/s per user")
    e = cal["errors"]
    for k, v in e.items():
        print(f"{k:28} MdAPE {v['mdape']}%  within 25% {v['within_25pct']}  offline MdAPE {v['offline_mdape']}%")
    for name, v in e.items():
        fams = v.get("by_family") or {}
        if fams and name != "roofline":
            print(f"{name:28} median predicted/measured by family: " + ", ".join(
                f"{f} {g['median_ratio']:.2f} ({g['n']})" for f, g in fams.items() if g.get("median_ratio") is not None))
    for name, v in e.items():
        for s, m in v.get("matched_systems", {}).items():
            if m["rows"] and m["mdape"] is not None and m["offline_mdape"] is not None:
                print(f"{name:28} {s} rows {m['mdape']}% vs offline rows of the same {m['systems']} systems "
                      f"{m['offline_mdape']}%")
    ps = cal.get("pairs_summary")
    if ps and ps["n"]:
        print(f"chip pairs (measured vs predicted throughput ratio, one fitted calibration): {ps['n']} groups, median |error| "
              f"{100 * ps['median_abs_error']:.1f}%, within 10%: {100 * ps['within_10pct']:.0f}%")
    rs = cal.get("round_summary")
    if rs and rs["n"]:
        print(f"same hardware in two MLPerf rounds (software drift the model cannot see): {rs['n']} systems, median "
              f"|measured ratio - 1| {100 * rs['median_abs_drift']:.0f}%, largest ratio {rs['max_ratio']:.2f}")
        fl = rs.get("floor") or {}
        if fl.get("rows"):
            print(f"  floor on their {fl['rows']} rows (each predicted by its own system's median): MdAPE {fl['mdape']}%, "
                  f"mean {fl['mean_ape']}%")
    for r in cal.get("scenario_ratios", []):
        print(f"{r['scenario']}/offline {r['model']}: {r['systems']} systems, measured {r['measured_ratio']:.2f}, "
              f"predicted {r['predicted_ratio']:.2f} (queueing model; median |error| {100 * r['median_abs_error']:.0f}%)")
    print(f"written to {_one_line(args.out, 200)}" if args.out else "(not written: pass --out PATH)")
    return 0


def shift_report(chip_id="nvidia_h100_sxm", model_id="llama-3-70b", training_chip_id=None, training_tokens="1.5e13",
                 input_tokens="2048", output_tokens="512", batch="64", precision="fp8", utilisation="1", mfu="0.4") -> dict:
    """The ``workbook shift`` figures: when a model's serving passes its training, in FLOPs and in dollars.

    Prompt and output tokens are counted apart (``2 N`` FLOP each; prefill and decode priced by
    the core model on whole chips); ``*_crossover_tokens`` are lifetime **output** tokens (the
    prompt tokens read with them are ``input_tokens / output_tokens`` times as many, see
    ``compute_crossover`` and ``dollar_crossover``). Raises :class:`InputError` on bad input.
    """
    from workbook import calibration, catalog, specs
    from workbook.econ import shift
    from workbook.model import sizing, transformer

    def named(option, lookup, key):
        try:
            return lookup(key)
        except InputError as err:
            raise InputError(f"{option}: {err}") from None

    chip, model = named("--chip", catalog.chip, chip_id), named("--model", catalog.model, model_id)
    train_id = chip_id if training_chip_id is None else training_chip_id
    train_chip = named("--training-chip", catalog.chip, train_id)
    d = require("--training-tokens", _number("--training-tokens", training_tokens, "(0, 1e16] tokens"), low=0, high=1e16,
                low_open=True, unit="tokens")
    t_in = _positive_int("--input-tokens", input_tokens, 1e7)
    t_out = _positive_int("--output-tokens", output_tokens, 1e7)
    b = _positive_int("--batch", batch, 1e6)
    u = require("--utilisation", _number("--utilisation", utilisation, "(0, 1]"), low=0, high=1, low_open=True)
    mfu_v = require("--mfu", _number("--mfu", mfu, "(0, 1]"), low=0, high=1, low_open=True)
    sizing.check_context(model, t_in, t_out, model_id)
    w = specs.workload(precision, batch=b, input_tokens=t_in, output_tokens=t_out)
    cost = shift.serving_cost(chip, model, w, calibration.efficiency(chip_id))
    n = float(transformer.total_params(model))
    k = float(shift.training_cost_on_chip(n, d, train_chip, mfu_v))
    c_u = float(shift.usd_per_million_tokens_at_utilisation(cost.usd_per_million_output_tokens, u))
    comp = shift.compute_crossover_tokens(d, t_in, t_out)
    dol = shift.dollar_crossover_tokens(k, cost._replace(usd_per_million_output_tokens=c_u), t_in, t_out)
    return {
        "chip": chip_id, "training_chip": train_id, "model": model_id, "params": n, "precision": precision, "batch": b,
        "input_tokens": t_in, "output_tokens": t_out, "training_tokens": d, "mfu": mfu_v, "utilisation": u,
        "training_cost_usd": k, "chips_per_replica": cost.chips, "layout": cost.layout,
        "usd_per_million_output_tokens": c_u, "usd_per_million_output_tokens_busy": cost.usd_per_million_output_tokens,
        "usd_per_million_input_tokens_prefill": cost.usd_per_million_input_tokens / u,
        "usd_per_million_output_tokens_decode": cost.usd_per_million_decode_tokens / u,
        "prefill_share_of_cost": cost.prefill_share,
        "compute_crossover_tokens": comp.output_tokens, "dollar_crossover_tokens": dol.output_tokens,
        "compute_crossover_over_training_tokens": comp.output_tokens / d,
        "dollar_crossover_over_training_tokens": dol.output_tokens / d,
        "compute_crossover": comp._asdict(), "dollar_crossover": dol._asdict(),
        "usd_per_chip_hour": float(chip.price),
        "owned_usd_per_chip_hour_h100_reference": float(shift.owned_usd_per_chip_hour(utilisation=u)),
        "crossover_tokens_are": "lifetime output tokens; the prompt tokens read with them are input_tokens/output_tokens "
                                "times as many (compute_crossover, dollar_crossover)",
    }


def cmd_shift(args) -> int:
    r = shift_report(args.chip, args.model, args.training_chip, args.training_tokens, args.input_tokens,
                     args.output_tokens, args.batch, args.precision, args.utilisation, args.mfu)
    if args.json:
        _print_json(r)
        return 0
    d = r["training_tokens"]
    print(f"{r['model']} ({r['params'] / 1e9:.1f}B) trained on {d:.3g} tokens on {r['training_chip']} "
          f"(${r['training_cost_usd'] / 1e6:.3g}M at MFU {r['mfu']:g}), served on {r['chips_per_replica']} x {r['chip']} "
          f"({r['layout']}), {r['precision']}, batch {r['batch']}, {r['input_tokens']} in / {r['output_tokens']} out, "
          f"utilisation {r['utilisation']:g}")
    print(f"  ${r['usd_per_million_output_tokens']:.3f} per M output tokens (prompt included): prefill "
          f"${r['usd_per_million_input_tokens_prefill']:.3f} per M prompt tokens + decode "
          f"${r['usd_per_million_output_tokens_decode']:.3f} per M output tokens")
    print(f"  compute crossover: {r['compute_crossover_tokens']:.3g} output tokens ({r['compute_crossover_over_training_tokens']:.3g} D)")
    print(f"  dollar crossover:  {r['dollar_crossover_tokens']:.3g} output tokens ({r['dollar_crossover_over_training_tokens']:.3g} D)")
    return 0


def market_report(hyperscaler_cost_factor="1", decentralized_chip=None, tpot_limit=None) -> dict:
    """The ``workbook market`` figures: the equilibrium of the inference-compute market by supplier class.

    Prices (USD per chip-hour), utilisation, margins over the full cost of a used hour, USD per
    million output tokens per workload class, shares, and ``d_price_decentralized_d_hyperscaler_cost``
    (by ``jax.grad``; see :func:`workbook.econ.market.decentralized_price_response`). Every
    number of the market comes from ``workbook/data/market.csv``.
    """
    from workbook.econ import market as mk

    lam = require("--hyperscaler-cost-factor", _number("--hyperscaler-cost-factor", hyperscaler_cost_factor, "[0.05, 5]"),
                  low=0.05, high=5)
    limit = None if tpot_limit is None else require("--tpot-limit", _number("--tpot-limit", tpot_limit, "(0, 10] s"),
                                                    low=0, high=10, low_open=True, unit="s")
    table = mk.market_table()
    chips = {} if decentralized_chip is None else {"decentralized": decentralized_chip}
    try:
        hw = mk.market_hardware(table, chip_ids=chips, tpot_limit_s=limit)
    except InputError as err:
        raise InputError(str(err).replace("decentralized.chip_id", "--decentralized-chip")) from None
    p = mk.market_params(table, hyperscaler_cost_factor=lam)
    eq = mk.equilibrium_checked(p, hw)
    resp = mk.decentralized_price_response(p, hw)
    by_s = lambda x: {s: float(v) for s, v in zip(mk.SUPPLIERS, x)}  # noqa: E731
    offered = lambda a, b: float(hw.offered[a, b]) > 0.5  # noqa: E731
    return {
        "hyperscaler_cost_factor": lam,
        "chips": {s: str(table[f"{s}.chip_id"].value) for s in mk.SUPPLIERS} | chips,
        "workloads": {j: str(table[f"{j}.model_id"].value) for j in mk.WORKLOADS},
        "prices": by_s(eq.price), "prices_unit": "USD per chip-hour",
        "utilisation": by_s(eq.utilisation), "margins": by_s(eq.margin),
        "unit_costs": by_s(mk.unit_costs(table) * [lam, 1.0, 1.0]),
        "usd_per_million_tokens": {s: {j: (float(eq.usd_per_million_tokens[a, b]) if offered(a, b) else None)
                                       for b, j in enumerate(mk.WORKLOADS)} for a, s in enumerate(mk.SUPPLIERS)},
        "shares": {j: {s: float(eq.share[a, b]) for a, s in enumerate(mk.SUPPLIERS)} for b, j in enumerate(mk.WORKLOADS)},
        "tokens_per_year": {j: float(v) for j, v in zip(mk.WORKLOADS, eq.tokens)},
        "d_price_decentralized_d_hyperscaler_cost": resp["d_price_decentralized_d_hyperscaler_cost"],
        "elasticity_price_decentralized_hyperscaler_cost": resp["elasticity"],
        "elasticity_workload": resp["workload"],
        "max_log_excess_demand": float(abs(eq.excess_demand).max()),
        "sources": "workbook/data/market.csv (value, low, high, unit, status, source, date per number)",
    }


def cmd_market(args) -> int:
    r = market_report(args.hyperscaler_cost_factor, args.decentralized_chip, args.tpot_limit)
    if args.json:
        _print_json(r)
        return 0
    print(f"inference-compute market, hyperscaler cost x {r['hyperscaler_cost_factor']:g} (numbers: {r['sources']})")
    print(f"  {'supplier':15} {'chip':24} {'USD/chip-h':>10} {'cost/h':>7} {'utilisation':>11} {'margin':>7}")
    for s in r["prices"]:
        print(f"  {s:15} {r['chips'][s]:24} {r['prices'][s]:10.3f} {r['unit_costs'][s]:7.3f} {r['utilisation'][s]:11.2f} "
              f"{r['margins'][s]:7.2f}")
    print(f"  d price_decentralized / d hyperscaler_cost ({r['elasticity_workload']} workload, per M tokens): "
          f"{r['d_price_decentralized_d_hyperscaler_cost']:.3f}; elasticity {r['elasticity_price_decentralized_hyperscaler_cost']:.3f}")
    return 0


def cmd_negotiate(args) -> int:
    from workbook.econ import sourcing
    from workbook.errors import require_choice

    names = [require_choice("--scenario", args.scenario, sourcing.SCENARIOS)] if args.scenario else list(sourcing.SCENARIOS)
    protocol = require_choice("--protocol", args.protocol, sourcing.PROTOCOLS)
    lab = sourcing.Lab()
    if args.shortage is not None:
        lab = lab._replace(shortage=require("--shortage", _number("--shortage", args.shortage, "[0, 1]"), low=0, high=1))
    rows = [sourcing.negotiation_summary(name, lab, protocol) for name in names]
    if args.json:
        _print_json(rows)
        return 0
    print(f"NVIDIA's negotiated price, {protocol} bargaining, shortage {float(lab.shortage):g} "
          "(USD per million output tokens; leverage = discount off list over the contract)")
    for r in rows:
        mix = ", ".join(f"{k} {v:.0%}" for k, v in r["mix"].items() if v >= 0.005)
        print(f"  {r['scenario']:34} list {r['list_price']:.4f}  negotiated {r['negotiated_price']:.4f} "
              f"({r['price_over_list']:.1%} of list)  disagreement {r['disagreement_cost']:.4f}  "
              f"leverage {r['leverage_usd'] / 1e6:,.1f} M USD  mix: {mix}  "
              f"{'converged' if r['converged'] else 'NOT CONVERGED'} (KKT {r['kkt_residual']:.1e})")
    return 0


def frontier_report(chip_id, model_id, precision="fp8", input_tokens="1024", output_tokens="256") -> dict:
    """The ``workbook frontier`` figures: the throughput--interactivity Pareto frontier of one chip
    (:func:`workbook.analysis.frontier.frontier`); raises :class:`InputError` on bad input or a
    model that fits in no configuration."""
    from workbook import calibration, catalog, specs
    from workbook.analysis import frontier
    from workbook.model import sizing

    chip, model = catalog.chip(chip_id), catalog.model(model_id)
    t_in = _positive_int("--input-tokens", input_tokens, 1e7)
    t_out = _positive_int("--output-tokens", output_tokens, 1e7)
    w = specs.workload(precision, input_tokens=t_in, output_tokens=t_out)
    sizing.check_context(model, t_in, t_out, model_id)
    points = frontier.frontier(chip, model, w, calibration.efficiency(chip_id), model_id=model_id, chip_id=chip_id)
    return {"chip": chip_id, "model": model_id, "precision": precision, "input_tokens": t_in, "output_tokens": t_out,
            "calibration_status": calibration.calibration_status(chip_id), "points": points}


def cmd_frontier(args) -> int:
    r = frontier_report(args.chip, args.model, args.precision, args.input_tokens, args.output_tokens)
    if args.json:
        _print_json(r["points"])
        return 0
    print(f"{r['model']} on {r['chip']}, {r['precision']}, {r['input_tokens']} in / {r['output_tokens']} out, Poisson arrivals "
          f"at 80% of capacity, efficiencies: {r['calibration_status']}")
    print(f"{'tok/s/user (p90)':>17} {'tok/s/chip':>11} {'$/M tok':>9} {'J/tok':>8} {'TTFT p90':>9} {'batch':>6} {'budget':>6} "
          f"{'chips':>6}  tp,pp,ep,dp")
    for q in r["points"]:
        par = q["parallelism"]
        print(f"{q['tokens_per_s_per_user']:17.1f} {q['tokens_per_s_per_chip']:11.1f} {q['usd_per_million_tokens']:9.4f} "
              f"{q['joules_per_token']:8.4f} {q['ttft_s'] * 1e3:7.0f}ms {q['batch']:6d} {q['chunk_tokens']:6d} {q['chips']:6d}  "
              f"{par['tp']},{par['pp']},{par['ep']},{par['dp']}")
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
    sh = sub.add_parser("shift", help="when serving a model passes its training, in FLOPs and in dollars")
    sh.add_argument("--chip", default="nvidia_h100_sxm", help="inference chip")
    sh.add_argument("--training-chip", help="training chip (default: the inference chip)")
    sh.add_argument("--model", default="llama-3-70b")
    sh.add_argument("--training-tokens", default="1.5e13")
    sh.add_argument("--input-tokens", default="2048")
    sh.add_argument("--output-tokens", default="512")
    sh.add_argument("--batch", default="64")
    sh.add_argument("--precision", default="fp8")
    sh.add_argument("--utilisation", default="1", help="share of paid chip-hours that serve, (0, 1]")
    sh.add_argument("--mfu", default="0.4", help="training model-FLOPs utilisation, (0, 1]")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_shift)
    mk = sub.add_parser("market", help="equilibrium of the inference-compute market by supplier class")
    mk.add_argument("--hyperscaler-cost-factor", default="1", help="multiplies the hyperscalers' cost per chip-hour, [0.05, 5]")
    mk.add_argument("--decentralized-chip", help="chip of the decentralised networks (default: market.csv)")
    mk.add_argument("--tpot-limit", help="latency limit of the latency-critical class, s (default: market.csv)")
    mk.add_argument("--json", action="store_true")
    mk.set_defaults(func=cmd_market)
    ng = sub.add_parser("negotiate", help="NVIDIA's negotiated price against the lab's best mix without it, per scenario")
    ng.add_argument("--scenario", help="one preset of workbook.econ.sourcing.SCENARIOS (default: all)")
    ng.add_argument("--protocol", default="nash", help="nash or rubinstein (NVIDIA proposes first)")
    ng.add_argument("--shortage", help="share of NVIDIA's capacity sold elsewhere at list, [0, 1] (default 0.2)")
    ng.add_argument("--json", action="store_true")
    ng.set_defaults(func=cmd_negotiate)
    fr = sub.add_parser("frontier", help="Pareto frontier of tokens/s per chip against tokens/s per user, with tail latency")
    fr.add_argument("--chip", required=True)
    fr.add_argument("--model", required=True)
    fr.add_argument("--precision", default="fp8")
    fr.add_argument("--input-tokens", default="1024")
    fr.add_argument("--output-tokens", default="256")
    fr.add_argument("--json", action="store_true")
    fr.set_defaults(func=cmd_frontier)
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
