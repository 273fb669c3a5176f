#!/usr/bin/env bash
# Entrypoint of the offline rabbitmq:3.10 stand-in (scripts/offline-images.sh).
#
# The part of the official image's contract this project uses, kept here:
#   RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS, RABBITMQ_DEFAULT_VHOST
#                       the user (an administrator) and virtual host created on first
#                       start, while the database is empty (default: guest/guest on /).
#                       RabbitMQ 3.10 reads these itself, in this image as in the official.
#   conf.d/10-defaults.conf   the official one: guest may log in from any address, logs
#                       go to the console (`docker logs`), not to files
#   listeners           AMQP 0-9-1 on port 5672 of every address, IPv4 and IPv6
#   /var/lib/rabbitmq   data directory and HOME, with the Erlang cookie made on first
#                       start; the node is rabbit@<host name>, so give the container a
#                       fixed host name (Compose: `hostname:`) to keep a volume's data
#   rabbitmq-diagnostics, rabbitmqctl, rabbitmq-plugins   on PATH, for root too
#                       (`rabbitmq-diagnostics -q ping` as a health check)
# The server runs as the rabbitmq user (uid 999): started as root, this script hands the
# data directory over to it and starts the server with setpriv. The server's start
# script is exec'd, so it is PID 1: SIGTERM (docker stop) stops the node cleanly, exit 0.
# Not kept: the *_FILE variants, RABBITMQ_ERLANG_COOKIE, the rabbitmq_prometheus plugin
# the official image enables, and the management variants (rabbitmq:3.10-management).
set -euo pipefail

# `docker run image -foo` means `rabbitmq-server -foo`.
if [[ ${1:-} == -* ]]; then
    set -- rabbitmq-server "$@"
fi

if [[ ${1:-} == rabbitmq-server ]]; then
    shift
    # Debian's /usr/sbin/rabbitmq-server sends the output to files under /var/log when
    # run as rabbitmq; the script underneath writes to the console.
    set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
    if [[ $(id -u) == 0 ]]; then
        # A volume can arrive owned by root (bind mounts) or by another uid.
        find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq {} +
        exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$@"
    fi
fi

exec "$@"
