# Shared by the stress commands: build the release binary, make a fresh PostgreSQL
# database, start and stop Halyard instances (only the ones we started), find Python.
# Source it; it sets `root`, `bin`, `py` and `pg_admin`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/release/halyard"
pg_admin="${HALYARD_STRESS_POSTGRES_URL:-postgres://halyard:halyard@127.0.0.1:5432/postgres}"
py="python3"
work="$(mktemp -d "${TMPDIR:-/tmp}/halyard-stress.XXXXXX")"
pids=()

say() { echo "== $*" >&2; }
die() { echo "stress: $*" >&2; exit 1; }

build() {
  say "cargo build --release"
  (cd "$root" && cargo build --release --quiet) || die "release build failed"
}

# A fresh, empty PostgreSQL database; prints its URL. Dropped by `cleanup`.
fresh_pg() {
  local name="halyard_stress_$(date +%s)_$RANDOM"
  psql "$pg_admin" -qtAc "CREATE DATABASE $name" >/dev/null || die "cannot create database $name"
  echo "$name" >>"$work/databases"
  echo "${pg_admin%/*}/$name"
}

# start_instance PORT DATABASE_URL [extra env...]: starts one server in the background
# and waits until /ready answers.
start_instance() {
  local port="$1" url="$2"
  shift 2
  env HALYARD_BIND="127.0.0.1:$port" DATABASE_URL="$url" HALYARD_DEMO_DATA=never \
    RUST_LOG="${RUST_LOG:-warn}" "$@" "$bin" >>"$work/server-$port.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$work/pid-$port"
  wait_healthy "$port" || { tail -20 "$work/server-$port.log" >&2; die "instance on $port did not start"; }
}

wait_healthy() {
  local port="$1"
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

stop_instance() {
  local port="$1" pid
  pid="$(cat "$work/pid-$port")"
  ours "$pid" && kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

ours() {
  tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$bin"
}

cleanup() {
  local pid
  # Only a pid that is still one of our servers: a pid killed earlier may be reused.
  for pid in "${pids[@]}"; do ours "$pid" && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$work/databases" ]; then
    while read -r name; do
      psql "$pg_admin" -qtAc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
    done <"$work/databases"
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# The virtualenv with schemathesis, created on first use.
venv() {
  local dir="${HALYARD_VENV:-$HOME/.cache/halyard/venv}"
  if [ ! -x "$dir/bin/schemathesis" ] && [ ! -x "$dir/bin/st" ]; then
    say "creating $dir with schemathesis (pip)"
    python3 -m venv "$dir" && "$dir/bin/pip" install -q schemathesis==4.32.5 || die "cannot install schemathesis"
  fi
  echo "$dir"
}
