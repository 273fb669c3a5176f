# Recipes for working on protocols. `just --list` shows them.
set dotenv-load

# Run every service in one process (REST on 8001, all HTTP routes on 8080).
run:
    cargo run --release -p protocols -- serve

# Insert N random Dummies into the database `just run` uses.
seed n="100000":
    cargo run --release -p protocols -- seed {{n}}

# Apply database migrations.
migrate:
    cargo run --release -p protocols -- migrate

# Run the tests on SQLite (PostgreSQL tests print that they are skipped).
test:
    cargo test --workspace

# Run the tests on SQLite and on the local PostgreSQL.
test-pg url="postgres://postgres@127.0.0.1:5432/postgres":
    PROTOCOLS_TEST_POSTGRES_URL={{url}} cargo test --workspace

# Check formatting and lints, as CI does.
lint:
    cargo fmt --all --check
    cargo clippy --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Seed 100,000 rows into a fresh database of each backend and print rows/s.
bench-seed pg="postgres://postgres@127.0.0.1:5432/postgres":
    scripts/bench-seed.sh {{pg}}

# Rebuild web/grpc/app.js, the /grpc page's bundled script (npm ci, buf generate from proto/, esbuild).
web-grpc:
    cd web/grpc && npm ci --no-audit --no-fund && npm run build
