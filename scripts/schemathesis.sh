#!/usr/bin/env bash
# Checks that rest-svc does what its OpenAPI document (GET /api/rest/openapi.json) says,
# with schemathesis: every check, every phase (examples, coverage, fuzzing, stateful),
# against a release rest-svc on a free port with a fresh SQLite database.
#
#   scripts/schemathesis.sh            bounded run with a fixed seed (CI)
#   scripts/schemathesis.sh long       many more examples per operation (`just schemathesis`)
#   scripts/schemathesis.sh long --seed 7 --workers 2    extra options go to `st run`
#   REST_SVC_BIN=target/debug/rest-svc scripts/schemathesis.sh    use this binary, build none
#
# Exits non-zero when schemathesis reports a failure; its report (with a curl line and
# `st replay` id per failure) and the server's log are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-ci}"
[ $# -gt 0 ] && shift
case "$mode" in
    ci) examples=100 ;;
    long) examples=1000 ;;
    *) echo "usage: $0 [ci|long] [st run options...]" >&2; exit 2 ;;
esac

venv="${PROTOCOLS_VENV:-/var/cache/protocols/venv}"
st="$(command -v st || true)"
[ -n "$st" ] || st="$venv/bin/st"
if [ ! -x "$st" ]; then
    echo "schemathesis is not installed: $venv/bin/pip install -r tests/python/requirements.txt" >&2
    exit 1
fi

# REST_SVC_BIN: a rest-svc binary to use instead of building the release one.
bin="${REST_SVC_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --quiet -p rest-svc
    bin="${CARGO_TARGET_DIR:-target}/release/rest-svc"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port, and the server logs the one it got.
REST_ADDR=127.0.0.1:0 DATABASE_URL="$work/schemathesis.sqlite3" LOG_FORMAT=json RUST_LOG=warn,runtime=info \
    "$bin" >"$work/server.log" 2>&1 &
server=$!
addr=""
for _ in $(seq 1 100); do
    addr="$(sed -n 's/.*"message":"rest-svc listening","addr":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)"
    [ -n "$addr" ] && curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$addr" ] || ! curl -fsS "http://$addr/healthz" >/dev/null 2>&1; then
    echo "rest-svc did not become healthy; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "rest-svc on $addr (database $work/schemathesis.sqlite3), $examples examples per operation"

started=$SECONDS
status=0
# The hypothesis example database stays in the temporary directory, so runs do not
# depend on earlier ones.
(cd "$work" && "$st" run "http://$addr/api/rest/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --seed 20261203 \
    --max-examples "$examples" \
    --workers 1 \
    --generation-database none \
    --request-timeout 10 \
    --no-color \
    "$@") || status=$?
# The HTTP playground's own document, over the same server. Left out: /status (it
# answers any status, 5xx included, because that is what it is for), /delay and /drip
# (slow on purpose), the stateful phase (the playground keeps no state), and three
# checks whose premise the playground breaks on purpose: it takes whatever a request
# carries (any query names, any body, any header value: positive and negative data
# checks have no schema to go by, as OpenAPI 3.0 can't bound names), and /bearer
# accepts any token (ignored_auth). Those are covered by tests/api/playground.rs.
if [ "$status" = 0 ]; then
    (cd "$work" && "$st" run "http://$addr/api/http/openapi.json" \
        --checks all \
        --exclude-checks positive_data_acceptance,negative_data_rejection,ignored_auth \
        --exclude-path-regex '^/api/http/(status|delay|drip)' \
        --phases examples,coverage,fuzzing \
        --seed 20261204 \
        --max-examples "$examples" \
        --workers 1 \
        --generation-database none \
        --request-timeout 10 \
        --no-color \
        "$@") || status=$?
fi
echo "schemathesis ($mode) took $((SECONDS - started)) s"
if [ "$status" != 0 ]; then
    echo "--- rest-svc log (warnings and errors) ---"
    cat "$work/server.log"
fi
exit "$status"
