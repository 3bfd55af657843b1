# Sourced by the shell benchmarks: builds the release binary and gives the script a scratch
# database (on DATABASE_URL's server, default local) and a temp dir, both removed on exit.
# Sets: bin (the trueyaw binary, built in release unless TRUEYAW_BIN names one), DATABASE_URL (the scratch database, migrated), work (temp dir).
# Usage: source benches/scratch.sh NAME
# TRUEYAW_BIN=path runs that binary instead of building (to compare two builds side by side).
if [ -n "${TRUEYAW_BIN:-}" ]; then
  bin="$TRUEYAW_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trueyaw/target-release}"
  cargo build --release --locked --quiet --bin trueyaw
  bin="$CARGO_TARGET_DIR/release/trueyaw"
fi
scratch_server="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/trueyaw}"
scratch_server="${scratch_server%/*}"
scratch_db="trueyaw_${1:?scratch name}_$$"
export DATABASE_URL="$scratch_server/$scratch_db"
work="$(mktemp -d)"
trap 'psql "$scratch_server/postgres" -qc "DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$bin" --log warn migrate
