"""Inject known vane errors into ENGIE's La Haute Borne export.

Adding d degrees to a turbine's vane reading (`Va_avg`) and to its absolute wind direction
(`Wa_avg`, which ENGIE derives from nacelle position plus vane) changes what the vane says and
nothing else: the nacelle pointed where it pointed and the power is what it was. So a correct
estimator's vane error moves by exactly d, its true misalignment does not move, and a step in d is
a drift event of that size at that time.

Per seed: one turbine is left untouched, the other three get a static offset of 2-5 deg (either
sign), and two of those three also get a step of 2.5-4 deg (either sign) at a time in 2015 at least
30 days from either end of the data. Writes the injected CSV and a truth JSON:

    {"seed": 1, "turbines": {"R80711": {"offset_deg": 3.1, "step": {"time": "...", "delta_deg": -2.7}}, ...}}

Usage: python3 benches/lhb_inject.py IN.csv OUT.csv TRUTH.json --seed N
Standard library only, so it runs wherever python3 does.
"""

import argparse
import csv
import json
import random
from datetime import datetime, timedelta, timezone

FIRST_STEP = datetime(2015, 1, 1, tzinfo=timezone.utc)
LAST_STEP = datetime(2016, 1, 1, tzinfo=timezone.utc) - timedelta(days=30)


def plan(turbines, seed):
    """Which turbine gets what: deterministic for a seed and a sorted turbine list."""
    rng = random.Random(seed)
    names = sorted(turbines)
    untouched = rng.choice(names)
    injected = [t for t in names if t != untouched]
    stepped = set(rng.sample(injected, 2))
    span = (LAST_STEP - FIRST_STEP).total_seconds()
    truth = {untouched: {"offset_deg": 0.0, "step": None}}
    for t in injected:
        offset = rng.uniform(2.0, 5.0) * rng.choice((-1.0, 1.0))
        step = None
        if t in stepped:
            at = FIRST_STEP + timedelta(seconds=round(rng.uniform(0.0, span) / 600.0) * 600.0)
            step = {"time": at.isoformat(), "delta_deg": rng.uniform(2.5, 4.0) * rng.choice((-1.0, 1.0))}
        truth[t] = {"offset_deg": offset, "step": step}
    return truth


def delta_at(entry, when):
    d = entry["offset_deg"]
    step = entry["step"]
    if step is not None and when >= datetime.fromisoformat(step["time"]):
        d += step["delta_deg"]
    return d


def shifted(value, d, wrap):
    if value.strip() == "":
        return value
    v = float(value) + d
    return repr(v % 360.0) if wrap else repr(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("truth")
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()

    with open(args.input, newline="") as f:
        turbines = {row["Wind_turbine_name"] for row in csv.DictReader(f)}
    if len(turbines) < 4:
        raise SystemExit(f"{args.input}: {len(turbines)} turbines, the plan needs 4")
    truth = plan(turbines, args.seed)

    with open(args.input, newline="") as f, open(args.output, "w", newline="") as out:
        reader = csv.DictReader(f)
        for col in ("Wind_turbine_name", "Date_time", "Va_avg", "Wa_avg"):
            if col not in reader.fieldnames:
                raise SystemExit(f"{args.input}: no column {col}")
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for line, row in enumerate(reader, start=2):
            entry = truth[row["Wind_turbine_name"]]
            try:
                when = datetime.fromisoformat(row["Date_time"])
                d = delta_at(entry, when)
                row["Va_avg"] = shifted(row["Va_avg"], d, wrap=False)
                row["Wa_avg"] = shifted(row["Wa_avg"], d, wrap=True)
            except ValueError as e:
                raise SystemExit(f"{args.input} line {line}: {e}")
            writer.writerow(row)

    with open(args.truth, "w") as f:
        json.dump({"seed": args.seed, "turbines": truth}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
