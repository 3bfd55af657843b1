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
  "$bin" --log warn evaluate --truth "$work/$farm/truth.json" --farm "$farm" --format json | tr -d '\n'; echo
done
