#!/usr/bin/env bash
# Does live 1 Hz data, averaged into 1-minute windows, teach the neural model more than the
# 10-minute windows of SCADA exports? Same physics, seed and days, only the window length
# differs: `synth --window-min W` -> `import` -> `train --window-min W` -> `evaluate`.
#
#   bash benches/window_length.sh                      # 5 turbines x 60 days, seed 1, clean profile
#   TURBINES=3 DAYS=30 SEED=2 PROFILE=realistic bash benches/window_length.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TURBINES="${TURBINES:-5}" DAYS="${DAYS:-60}" SEED="${SEED:-1}" PROFILE="${PROFILE:-clean}"
source benches/scratch.sh windowlen

for w in 10 1; do
  farm="w$w"
  "$bin" --log warn synth --turbines "$TURBINES" --days "$DAYS" --seed "$SEED" --profile "$PROFILE" --window-min "$w" --out "$work/$farm" >/dev/null
  "$bin" --log warn import --format generic --farm "$farm" --create-turbines --window-min "$w" "$work/$farm/scada.csv" >/dev/null
  t0=$(date +%s.%N)
  "$bin" --log warn train --farm "$farm" --method neural --window-min "$w" --models-dir "$work/models" >/dev/null
  t1=$(date +%s.%N)
  echo "== $w-minute windows: $TURBINES turbines x $DAYS days ($PROFILE, seed $SEED); neural training $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s"
  "$bin" --log warn evaluate --truth "$work/$farm/truth.json" --farm "$farm" --format json > "$work/$farm.json"
  python3 - "$work/$farm.json" <<'PY'
import json, statistics, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["method"] == "neural"]
rmse = [r["rmse_bins_deg"] for r in rows if r["rmse_bins_deg"] is not None]
cov, n = sum(r["bins_covered"] for r in rows), sum(r["bins_compared"] for r in rows)
print("per turbine RMSE deg:", ", ".join(f"{x:.2f}" for x in rmse))
print(f"median bin RMSE {statistics.median(rmse):.2f} deg, interval coverage {cov}/{n} bins")
PY
done
