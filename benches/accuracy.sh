#!/usr/bin/env bash
# Accuracy benchmark of the vane-error estimators on synthetic history with known truth:
# for each seed, `synth` a farm, `import` it, `train` both methods, `evaluate` against the truth.
# Prints the evaluate table per seed and a JSON line per seed (evaluate's JSON).
#
#   bash benches/accuracy.sh                 # 5 turbines x 365 days, seeds 1 2 3
#   TURBINES=2 DAYS=120 SEEDS="4" bash benches/accuracy.sh
#
# Uses DATABASE_URL's server (default local) and a scratch database it creates and drops.
set -euo pipefail
cd "$(dirname "$0")/.."
TURBINES="${TURBINES:-5}" DAYS="${DAYS:-365}" SEEDS="${SEEDS:-1 2 3}" PROFILE="${PROFILE:-realistic}"
source benches/scratch.sh accuracy
clean=""; [ "$PROFILE" = clean ] && clean="--clean"
for seed in $SEEDS; do
  farm="seed$seed"
  t0=$(date +%s.%N)
  "$bin" --log warn synth --turbines "$TURBINES" --days "$DAYS" --seed "$seed" $clean --out "$work/$farm" >/dev/null
  "$bin" --log warn import --format generic --farm "$farm" --create-turbines "$work/$farm/scada.csv" >/dev/null
  t1=$(date +%s.%N)
  "$bin" --log warn train --farm "$farm" --method binned --models-dir "$work/models" >/dev/null
  t2=$(date +%s.%N)
  "$bin" --log warn train --farm "$farm" --method neural --models-dir "$work/models" >/dev/null
  t3=$(date +%s.%N)
  echo "== seed $seed: $TURBINES turbines x $DAYS days ($PROFILE); train binned $(awk "BEGIN{printf \"%.1f\", $t2-$t1}") s, neural $(awk "BEGIN{printf \"%.1f\", $t3-$t2}") s (all turbines)"
  "$bin" --log warn evaluate --truth "$work/$farm/truth.json" --farm "$farm" --format table
  echo
  "$bin" --log warn evaluate --truth "$work/$farm/truth.json" --farm "$farm" --format json | tr -d '\n' | tee -a "$work/eval.jsonl"; echo
  echo >> "$work/eval.jsonl"
done
# Over every seed: median bin RMSE per method and the share of bins whose interval holds the truth.
python3 - "$work/eval.jsonl" <<'PY'
import json, statistics, sys
rows = [r for line in open(sys.argv[1]) if line.strip() for r in json.loads(line)["rows"]]
for m in ("neural", "binned"):
    mine = [r for r in rows if r["method"] == m]
    rmse = [r["rmse_bins_deg"] for r in mine if r["rmse_bins_deg"] is not None]
    cov, n = sum(r["bins_covered"] for r in mine), sum(r["bins_compared"] for r in mine)
    hits, miss, fa, rh, rm = (sum(r[k] for r in mine) for k in
                              ("drift_hits", "drift_misses", "drift_false_alarms", "ramp_hits", "ramp_misses"))
    med = f"{statistics.median(rmse):.2f}" if rmse else "-"
    print(f"{m}: {len(rmse)} of {len(mine)} turbines estimated, median bin RMSE {med} deg, "
          f"interval coverage {cov}/{n} bins ({100*cov/max(n,1):.0f} %), drift steps: {hits} hits {miss} misses, "
          f"ramps: {rh} hits {rm} misses, false alarms {fa}")
PY
