#!/usr/bin/env bash
# Entrypoint of the offline nginx:1.22 stand-in (scripts/offline-images.sh).
#
# The part of the official image's contract this project uses, kept here: when the
# command is nginx, every file under /etc/nginx/templates ending in .template is rendered
# with envsubst into /etc/nginx/conf.d under the same relative path minus ".template"
# (templates/gateway.conf.template -> conf.d/gateway.conf). Only variables that are set
# in the environment are substituted, so nginx's own $host, $remote_addr, ... survive.
# Then nginx runs in the foreground as PID 1 (stop signal SIGQUIT: graceful).
# NGINX_ENVSUBST_TEMPLATE_DIR, NGINX_ENVSUBST_TEMPLATE_SUFFIX and
# NGINX_ENVSUBST_OUTPUT_DIR move those places, as in the official image.
# Not kept: /docker-entrypoint.d/*.sh hooks, NGINX_ENVSUBST_FILTER, the IPv6 and
# worker-process tuning scripts.
set -euo pipefail

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

if [[ ${1:-} == nginx || ${1:-} == nginx-debug ]]; then
    tpl_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
    suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
    out_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}

    if [[ -d $tpl_dir ]]; then
        # "${A} ${B} ...": the names of the exported variables, nothing else.
        defined=$(compgen -e | sed 's/.*/${&}/' | tr '\n' ' ')
        while IFS= read -r -d '' tpl; do
            rel=${tpl#"$tpl_dir"/}
            out=$out_dir/${rel%"$suffix"}
            if ! mkdir -p "$(dirname "$out")" 2>/dev/null || ! [[ -w $(dirname "$out") ]]; then
                log "cannot write $(dirname "$out"): templates not rendered"
                break
            fi
            envsubst "$defined" <"$tpl" >"$out"
            log "rendered $tpl -> $out"
        done < <(find -L "$tpl_dir" -type f -name "*$suffix" -print0 | sort -z)
    fi
fi

exec "$@"
