#!/usr/bin/env bash
# Seeds 100,000 rows into a fresh database of each backend with a release build and
# prints the rate. Usage: scripts/bench-seed.sh [postgres-admin-url] [rows]
set -euo pipefail
admin_url="${1:-postgres://postgres@127.0.0.1:5432/postgres}"
rows="${2:-100000}"
cargo build --release -q -p protocols
bin="${CARGO_TARGET_DIR:-target}/release/protocols"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== SQLite =="
RUST_LOG=warn "$bin" seed "$rows" --database-url "$tmp/bench.sqlite3" | tail -1

echo "== PostgreSQL =="
db="bench_seed_$$"
server="${admin_url%/*}"
psql "$admin_url" -q -c "CREATE DATABASE $db"
trap 'psql "$admin_url" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$tmp"' EXIT
RUST_LOG=warn "$bin" seed "$rows" --database-url "$server/$db" | tail -1
