#!/usr/bin/env bash
# Where power says each La Haute Borne vane's zero is, month by month, with no model of drift:
# `binned` (OpenOA's method) trained on each calendar month of 2014-2015 alone, beside the
# farm's mean outdoor temperature that month. A month whose windows do not reach both sides of
# the power peak shows `-`. Used to tell a vane that moved from a season that moves the peak
# (docs/la-haute-borne.md, "What power alone says, month by month").
#
#   bash benches/lhb_monthly.sh
set -euo pipefail
cd "$(dirname "$0")/.."
csv="$HOME/.cache/trueyaw/openoa/la-haute-borne-data-2014-2015.csv"
if [ ! -f "$csv" ]; then bash benches/la_haute_borne.sh --download-only; fi
source benches/scratch.sh lhbmonth
"$bin" --log warn import --format engie --farm lhb --create-turbines "$csv" >/dev/null
# mean outdoor temperature per month (Ot_avg, column 7), from the file itself
awk -F, 'NR > 1 && $7 != "" { m = substr($2, 1, 7); s[m] += $7; n[m]++ }
  END { for (m in s) printf "%s %.1f\n", m, s[m] / n[m] }' "$csv" | sort > "$work/temp"
months=()
for y in 2014 2015; do for m in 01 02 03 04 05 06 07 08 09 10 11 12; do months+=("$y-$m"); done; done
next_month() { date -u -d "$1-01 +1 month" +%Y-%m; }
printf "%-8s %8s %8s %8s %8s %8s\n" month R80711 R80721 R80736 R80790 "temp C"
for m in "${months[@]}"; do
  out=$("$bin" --log warn train --farm lhb --method binned --since "$m-01" --until "$(next_month "$m")-01" \
    --models-dir "$work/models")
  row=$(awk 'NR > 1 && $1 ~ /^R8/ { v[$1] = $6 } END { printf "%8s %8s %8s %8s", v["R80711"], v["R80721"], v["R80736"], v["R80790"] }' <<<"$out")
  printf "%-8s %s %8s\n" "$m" "$row" "$(awk -v m="$m" '$1 == m { print $2 }' "$work/temp")"
done
