#!/usr/bin/env bash
# Training cost per turbine-year: wall time and peak memory of `trueyaw train` for each method
# on one synthetic turbine-year of 10-minute windows (GNU time's %M is the peak RSS).
#
#   bash benches/train_cost.sh            # DAYS=365 SEED=3
set -euo pipefail
cd "$(dirname "$0")/.."
DAYS="${DAYS:-365}" SEED="${SEED:-3}"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
source benches/scratch.sh traincost
"$bin" --log warn synth --turbines 1 --days "$DAYS" --seed "$SEED" --out "$work/s" >/dev/null
"$bin" --log warn import --format generic --farm cost --create-turbines "$work/s/scada.csv" >/dev/null
for method in neural binned; do
  /usr/bin/time -f "$method: %e s wall, %M KiB peak RSS (1 turbine x $DAYS days)" \
    "$bin" --log warn train --farm cost --method "$method" --models-dir "$work/models" >/dev/null
done
