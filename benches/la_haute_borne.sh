#!/usr/bin/env bash
# Both estimators on real data: ENGIE's La Haute Borne 2014-2015 SCADA export (4 turbines,
# 10-minute windows, Etalab Open Licence 2.0), as shipped in NREL OpenOA's sdist on PyPI.
# Downloads openoa 3.2 once (cached), imports the file, trains `binned` and `neural`, and prints
# both estimates. There is no ground truth for real turbines: compare the methods, not a score.
#
#   bash benches/la_haute_borne.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cache="$HOME/.cache/trueyaw/openoa"
csv="$cache/la-haute-borne-data-2014-2015.csv"
if [ ! -f "$csv" ]; then
  mkdir -p "$cache"
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$cache" openoa==3.2
  tar -xzf "$cache/openoa-3.2.tar.gz" -C "$cache" openoa-3.2/examples/data/la_haute_borne.zip
  unzip -o -q "$cache/openoa-3.2/examples/data/la_haute_borne.zip" la-haute-borne-data-2014-2015.csv -d "$cache"
fi
source benches/scratch.sh lhb
"$bin" --log warn import --format engie --farm lhb --create-turbines "$csv" | tail -n 12
for method in binned neural; do
  echo "== $method"
  "$bin" --log warn train --farm lhb --method "$method" --models-dir "$work/models"
done
echo "== latest active estimates"
"$bin" --log warn estimates --farm lhb
