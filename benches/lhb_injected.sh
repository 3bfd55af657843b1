#!/usr/bin/env bash
# The estimator on real data with a known answer: ENGIE's La Haute Borne 2014-2015 (see
# benches/la_haute_borne.sh for the source and licence) with vane offsets and steps injected by
# benches/lhb_inject.py, one injected farm per seed beside the original. Trains the neural model
# (default settings and gates) on every farm, then scores each turbine's change against the
# injected delta with benches/lhb_score.py.
#
#   bash benches/lhb_injected.sh            # seeds 1 2 3
#   SEEDS="4 5" bash benches/lhb_injected.sh
#   LHB_KEEP=DIR bash benches/lhb_injected.sh -- --neural-set block_levels=true
# Arguments after the script name go to every `trueyaw train`; LHB_KEEP copies the models and
# truth files to DIR; LHB_SCORE_JSON writes the scored rows as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${SEEDS:-1 2 3}"
csv="$HOME/.cache/trueyaw/openoa/la-haute-borne-data-2014-2015.csv"
if [ ! -f "$csv" ]; then bash benches/la_haute_borne.sh --download-only; fi
source benches/scratch.sh lhbinj
train() {
  "$bin" --log warn import --format engie --farm "$1" --create-turbines "$2" >/dev/null
  "$bin" --log warn train --farm "$1" --models-dir "$work/models" "${@:3}" >/dev/null
}
[ "${1:-}" = "--" ] && shift
train lhb "$csv" "$@"
# The reference for the state after the late-2014 change: binned on the data since.
"$bin" --log warn train --farm lhb --method binned --since 2014-12-01 --models-dir "$work/models" >/dev/null
farms=()
for seed in $seeds; do
  python3 benches/lhb_inject.py "$csv" "$work/injected_$seed.csv" "$work/truth_$seed.json" --seed "$seed"
  train "lhb_s$seed" "$work/injected_$seed.csv" "$@"
  farms+=("lhb_s$seed:$work/truth_$seed.json")
done
python3 benches/lhb_score.py "$work/models" lhb "${farms[@]}" --json "${LHB_SCORE_JSON:-/dev/null}"
if [ -n "${LHB_KEEP:-}" ]; then mkdir -p "$LHB_KEEP" && cp -r "$work/models" "$work"/truth_*.json "$LHB_KEEP"/; fi
