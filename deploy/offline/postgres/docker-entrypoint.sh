#!/usr/bin/env bash
# Entrypoint of the offline postgres:15-bookworm stand-in (scripts/offline-images.sh).
#
# The part of the official image's contract this project uses, kept here:
#   POSTGRES_PASSWORD   password of POSTGRES_USER; required on first start unless
#                       POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER       the superuser initdb creates (default: postgres)
#   POSTGRES_DB         a database created for it on first start (default: POSTGRES_USER)
#   POSTGRES_HOST_AUTH_METHOD   auth for TCP clients from any address (default: scram-sha-256)
#   POSTGRES_INITDB_ARGS        extra initdb arguments, split on spaces
#   PGDATA              /var/lib/postgresql/data; initialised only when it holds no cluster,
#                       so a restart with existing data just starts the server
# The server listens on every address, port 5432; local socket connections are trusted
# (pg_isready and psql inside the container need no password). It runs as the postgres
# user (uid 999): started as root, this script fixes the data directory's owner and then
# re-executes itself as postgres with setpriv. `postgres` is exec'd, so it is PID 1 and
# gets the stop signal (SIGINT, the image's STOPSIGNAL: fast shutdown, exit code 0).
# Not kept: /docker-entrypoint-initdb.d scripts and the *_FILE secret variants.
set -Eeuo pipefail

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# `docker run image -c foo=bar` means `postgres -c foo=bar`.
if [[ ${1:-} == -* ]]; then
    set -- postgres "$@"
fi
# Anything else (bash, psql, ...) runs as asked, and so do postgres's informational
# options (--version, --help, --describe-config), which need no cluster.
if [[ ${1:-} != postgres ]]; then
    exec "$@"
fi
for arg in "$@"; do
    case $arg in
        -V | --version | -'?' | --help | --describe-config) exec "$@" ;;
    esac
done

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [[ $(id -u) == 0 ]]; then
    # Volumes can arrive owned by root (bind mounts) or by another uid: hand them over.
    install -d -m 0700 "$PGDATA"
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres {} +
    chmod 0700 "$PGDATA"
    install -d -o postgres -g postgres -m 3777 /var/run/postgresql
    export HOME=/var/lib/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
    POSTGRES_USER=${POSTGRES_USER:-postgres}
    POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [[ -z ${POSTGRES_PASSWORD:-} && $auth != trust ]]; then
        log "the data directory is empty and POSTGRES_PASSWORD is not set."
        log "Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust) to create the cluster."
        exit 1
    fi

    log "initialising a new cluster in $PGDATA for user \"$POSTGRES_USER\""
    args=(--username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8
        --auth-local=trust --auth-host="$auth")
    pwfile=
    if [[ -n ${POSTGRES_PASSWORD:-} ]]; then
        pwfile=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
        args+=(--pwfile="$pwfile")
    fi
    # shellcheck disable=SC2206  # split on purpose, like the official image
    args+=(${POSTGRES_INITDB_ARGS:-})
    initdb "${args[@]}" >&2
    [[ -z $pwfile ]] || rm -f "$pwfile"

    # Password (or trust) for TCP clients from anywhere, after initdb's loopback lines.
    printf '\n# Added by docker-entrypoint.sh: TCP clients from any address.\nhost all all all %s\n' \
        "$auth" >>"$PGDATA/pg_hba.conf"

    # A private, socket-only server to create the database: a health check running
    # pg_isready against /var/run/postgresql cannot mistake it for the real one.
    sockdir=$(mktemp -d)
    pg_ctl --pgdata="$PGDATA" --wait --silent \
        --options="-c listen_addresses='' -c unix_socket_directories='$sockdir'" start >&2
    if [[ $POSTGRES_DB != postgres ]]; then
        psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --host="$sockdir" \
            --username="$POSTGRES_USER" --dbname=postgres --set=db="$POSTGRES_DB" \
            <<<'CREATE DATABASE :"db";'
        log "created database \"$POSTGRES_DB\""
    fi
    pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop >&2
    rmdir "$sockdir"
    log "cluster ready; starting the server"
fi

exec "$@"
