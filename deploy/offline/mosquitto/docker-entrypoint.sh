#!/usr/bin/env bash
# Entrypoint of the offline eclipse-mosquitto:2.0 stand-in (scripts/offline-images.sh).
#
# The part of the official image's contract this project uses, kept here:
#   /mosquitto/config/mosquitto.conf   the configuration the default command reads; the
#                       one in the image configures no listener, so Mosquitto 2.0 listens
#                       on loopback only (mount your own, as docker-compose.yml does, or
#                       run `mosquitto -c /mosquitto-no-auth.conf`: 1883, anonymous)
#   /mosquitto/data, /mosquitto/log    volumes, owned by the mosquitto user (uid 1883),
#                       for `persistence_location` and `log_dest file`
#   mosquitto_pub, mosquitto_sub, mosquitto_rr, mosquitto_passwd   on PATH (health checks)
#   `protocol websockets` listeners    Debian builds Mosquitto with libwebsockets, as the
#                       official image does
# Mosquitto starts as root (it reads the configuration and opens its ports), then runs
# as the mosquitto user; it is exec'd, so it is PID 1 and SIGTERM stops it (exit 0).
# Started as root, this script first hands the data and log directories to mosquitto.
# Not kept: the official image's libressl/alpine specifics; the dynamic-security plugin
# is Debian's, under /usr/lib/<multiarch triplet>/ instead of /usr/lib/.
set -euo pipefail

if [[ $(id -u) == 0 ]]; then
    # Volumes can arrive owned by root (bind mounts) or by another uid. The configuration
    # is left alone: it is often mounted read-only, and Mosquitto reads it as root.
    for dir in /mosquitto/data /mosquitto/log; do
        if [[ -d $dir ]]; then
            find "$dir" \! -user mosquitto -exec chown mosquitto:mosquitto {} + 2>/dev/null || true
        fi
    done
fi

exec "$@"
