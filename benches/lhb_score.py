"""Score estimates on injected La Haute Borne data against the same estimator on the original.

The injection (benches/lhb_inject.py) leaves pointing and power untouched, so what a correct
estimator must do is known exactly: the operating-mean vane error and every bin move by the delta
in force at the end of the data, the true misalignment does not move, an injected step is a drift
event of that size within a few days of its time, and a turbine left untouched does not move at
all (a neighbour's vane must not leak into it through the farm's direction consensus).

Reads the newest neural artifact of each turbine under MODELS/<farm>/<turbine>/<version>/ for
the original farm and each injected farm. Prints the original farm's figures (drift events, the
late-2014 change, served, and the estimate against the newest `binned` model where one was
trained), then one row per turbine and seed, a summary against the targets, and (with --json)
the rows as JSON.

Usage: python3 benches/lhb_score.py MODELS ORIGINAL_FARM FARM:TRUTH.json [FARM:TRUTH.json ...] [--json OUT]
"""

import argparse
import json
import os
from datetime import datetime

STEP_WINDOW_DAYS = 3.0
STEP_MIN_DEG = 2.5
# Targets of the benchmark (issue "Trust on real farms").
MEAN_TOL, UNTOUCHED_TOL, MISALIGN_TOL = 0.5, 0.3, 0.3


def newest(models, farm, turbine, method="neural"):
    """The newest artifact of `method` for a turbine: its estimate and metrics."""
    root = os.path.join(models, farm, turbine)
    for v in sorted((int(v) for v in os.listdir(root) if v.isdigit()), reverse=True):
        d = os.path.join(root, str(v))
        with open(os.path.join(d, "estimate.json")) as f:
            estimate = json.load(f)
        if estimate["method"] != method:
            continue
        with open(os.path.join(d, "metrics.json")) as f:
            metrics = json.load(f)
        return estimate, metrics
    raise SystemExit(f"{root}: no {method} model")


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def bins(estimate):
    """Estimated, non-extrapolated bins of 4-11 m/s by centre."""
    return {
        b["ws"]: b["vane_error_deg"]
        for b in estimate["bins"]
        if b["vane_error_deg"] is not None and not b["extrapolated"] and 4.0 <= b["ws"] <= 11.0
    }


def score(models, original, farm, truth):
    rows = []
    for turbine, injected in sorted(truth["turbines"].items()):
        base, _ = newest(models, original, turbine)
        est, metrics = newest(models, farm, turbine)
        step = injected["step"]
        delta = injected["offset_deg"] + (step["delta_deg"] if step else 0.0)
        row = {
            "seed": truth["seed"],
            "turbine": turbine,
            "delta_deg": delta,
            "served": bool(metrics["gates"]["passed"]),
            "reason": metrics["gates"]["reason"],
        }
        if est["vane_error_deg"] is None or base["vane_error_deg"] is None:
            row["mean_shift_deg"] = None
        else:
            row["mean_shift_deg"] = est["vane_error_deg"] - base["vane_error_deg"]
        b0, b1 = bins(base), bins(est)
        common = sorted(set(b0) & set(b1))
        errs = [abs((b1[ws] - b0[ws]) - delta) for ws in common]
        row["worst_bin_error_deg"] = max(errs) if errs else None
        if est["misalignment_deg"] is None or base["misalignment_deg"] is None:
            row["misalignment_shift_deg"] = None
        else:
            row["misalignment_shift_deg"] = est["misalignment_deg"] - base["misalignment_deg"]
        # Events the original data already had are not evidence of the injection.
        base_times = [parse_time(e["time"]) for e in base["drift_events"]]
        new_events = [
            e
            for e in est["drift_events"]
            if all(abs((parse_time(e["time"]) - t).total_seconds()) > STEP_WINDOW_DAYS * 86400 for t in base_times)
        ]
        row["events"] = len(est["drift_events"])
        row["events_original"] = len(base["drift_events"])
        if step:
            at = parse_time(step["time"])
            near = [e for e in est["drift_events"] if abs((parse_time(e["time"]) - at).total_seconds()) <= STEP_WINDOW_DAYS * 86400]
            row["step_deg"] = step["delta_deg"]
            if near:
                e = min(near, key=lambda e: abs((parse_time(e["time"]) - at).total_seconds()))
                row["step_found"] = True
                row["step_time_error_h"] = (parse_time(e["time"]) - at).total_seconds() / 3600.0
                row["step_found_deg"] = e["delta_deg"]
            else:
                row["step_found"] = False
        row["new_events"] = len(new_events)
        rows.append(row)
    return rows


# The farm-wide change of late 2014 on the original data (see docs/la-haute-borne.md).
CHANGE_FROM, CHANGE_TO = datetime.fromisoformat("2014-10-01T00:00:00+00:00"), datetime.fromisoformat("2014-12-15T00:00:00+00:00")


def original(models, farm, turbines):
    """The neural model on the original data: events, the late-2014 change, served, and the
    estimate against `binned` trained after the change (where the script trained one)."""
    print(f"{'turbine':<8} {'neural':>24} {'binned after':>13} {'events':>6} {'late 2014':>10} {'served':>6}")
    ok = {"served": 0, "few_events": 0, "change": 0, "binned": 0}
    for t in turbines:
        est, metrics = newest(models, farm, t)
        times = [(parse_time(e["time"]), e["delta_deg"]) for e in est["drift_events"]]
        change = [d for at, d in times if CHANGE_FROM <= at < CHANGE_TO]
        try:
            binned, _ = newest(models, farm, t, "binned")
        except SystemExit:
            binned = None
        v, ci = est["vane_error_deg"], est["ci95"]
        b = binned["vane_error_deg"] if binned else None
        shown = "-" if v is None else f"{v:+.2f} [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else f"{v:+.2f}"
        served = bool(metrics["gates"]["passed"])
        print(f"{t:<8} {shown:>24} {fmt(b):>13} {len(times):>6} {fmt(sum(change)) if change else 'no':>10} "
              f"{'yes' if served else 'no':>6}")
        ok["served"] += served
        ok["few_events"] += len(times) <= 3
        ok["change"] += bool(change)
        ok["binned"] += v is not None and b is not None and abs(v - b) <= 1.0
    n = len(turbines)
    print(f"served {ok['served']}/{n}; at most 3 drift events {ok['few_events']}/{n}; "
          f"late-2014 change found {ok['change']}/{n}; within 1 deg of binned after it {ok['binned']}/{n}")
    print()


def fmt(v, spec="+.2f"):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models")
    ap.add_argument("original")
    ap.add_argument("injected", nargs="+", help="FARM:TRUTH.json")
    ap.add_argument("--json")
    args = ap.parse_args()

    print(f"== original data ({args.original})")
    first = args.injected[0].split(":", 1)[1]
    with open(first) as f:
        original(args.models, args.original, sorted(json.load(f)["turbines"]))
    print("== injected: change of each estimate against the original")
    rows = []
    for spec in args.injected:
        farm, path = spec.split(":", 1)
        with open(path) as f:
            rows += score(args.models, args.original, farm, json.load(f))

    print(f"{'seed':>4} {'turbine':<8} {'delta':>6} {'shift':>6} {'error':>6} {'worst bin':>9} {'misalign':>8} "
          f"{'step':>6} {'found':>10} {'events':>6} {'served':>6}")
    for r in rows:
        err = None if r["mean_shift_deg"] is None else r["mean_shift_deg"] - r["delta_deg"]
        if "step_deg" not in r:
            found = ""
        elif r["step_found"]:
            found = f"{r['step_time_error_h']:+.0f} h {r['step_found_deg']:+.1f}"
        else:
            found = "no"
        print(f"{r['seed']:>4} {r['turbine']:<8} {r['delta_deg']:>+6.2f} {fmt(r['mean_shift_deg']):>6} {fmt(err):>6} "
              f"{fmt(r['worst_bin_error_deg'], '.2f'):>9} {fmt(r['misalignment_shift_deg']):>8} "
              f"{fmt(r.get('step_deg')) if 'step_deg' in r else '':>6} {found:>10} "
              f"{r['events']:>6} {'yes' if r['served'] else 'no':>6}")

    def ok_mean(r):
        if r["mean_shift_deg"] is None:
            return False
        tol = UNTOUCHED_TOL if r["delta_deg"] == 0.0 else MEAN_TOL
        return abs(r["mean_shift_deg"] - r["delta_deg"]) <= tol

    steps = [r for r in rows if "step_deg" in r and abs(r["step_deg"]) >= STEP_MIN_DEG]
    misalign = [r for r in rows if r["misalignment_shift_deg"] is not None]
    print()
    print(f"operating mean within {MEAN_TOL} deg of delta ({UNTOUCHED_TOL} untouched): "
          f"{sum(ok_mean(r) for r in rows)}/{len(rows)}")
    print(f"steps of {STEP_MIN_DEG} deg or more found within {STEP_WINDOW_DAYS:.0f} days: "
          f"{sum(r['step_found'] for r in steps)}/{len(steps)}")
    print(f"misalignment shift within {MISALIGN_TOL} deg: "
          f"{sum(abs(r['misalignment_shift_deg']) <= MISALIGN_TOL for r in misalign)}/{len(rows)}")
    print(f"served at the default gates: {sum(r['served'] for r in rows)}/{len(rows)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
