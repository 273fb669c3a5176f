#!/usr/bin/env bash
# Local stand-ins for the public images this project's files name, built from Debian
# bookworm's packages, for machines with Docker but NO container registry (nothing can be
# pulled). On a machine that reaches a registry you do not need this: Compose pulls the
# real images and nothing here changes. The stand-ins carry exactly the real names, so
# docker-compose.yml and deploy/Dockerfile work unchanged; an image of that name that is
# already there is kept (the script never replaces a pulled image, only its own).
#
#   scripts/offline-images.sh [--force] [--with-rust]     (as root; `just offline-images`)
#
#   --force       rebuild every selected stand-in even if it is there and up to date
#                 (without docker's layer cache: packages are fetched again)
#   --with-rust   also build rust:<version>-slim-bookworm (about 1 GB; off by default)
#
# The images and the part of the official image's contract each honours (details in the
# files under deploy/offline/<name>/):
#
#   debian:bookworm-slim      debootstrap --variant=minbase bookworm from deb.debian.org,
#                             trimmed like the official slim image (no docs, man pages,
#                             locales or apt lists; apt configured to stay that way),
#                             bookworm + -updates + -security sources, CMD ["bash"].
#                             Recipe: deploy/offline/debian/slim.sh.
#   postgres:15-bookworm      Debian's postgresql-15. POSTGRES_USER, POSTGRES_PASSWORD,
#                             POSTGRES_DB applied on first start (initdb into an empty
#                             PGDATA=/var/lib/postgresql/data), scram-sha-256 for TCP from
#                             any address, listens on '*':5432, runs as postgres (uid 999),
#                             pg_isready on PATH, postgres is PID 1, stop signal SIGINT
#                             (fast shutdown, exit 0); an existing data dir just starts.
#   nginx:1.22                Debian's nginx 1.22.1 + curl + envsubst. Renders
#                             /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with
#                             only the defined environment variables substituted, includes
#                             conf.d/*.conf in http {}, no default site, logs to
#                             stdout/stderr, `nginx -g 'daemon off;'`, stop signal SIGQUIT.
#   rabbitmq:3.10             Debian's rabbitmq-server 3.10.8 (Erlang/OTP 25).
#                             RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS and
#                             RABBITMQ_DEFAULT_VHOST applied on first start (RabbitMQ reads
#                             them itself), the official conf.d/10-defaults.conf (guest from
#                             any address, logs to the console), AMQP on every address,
#                             port 5672, data and HOME in /var/lib/rabbitmq, runs as
#                             rabbitmq (uid 999), rabbitmq-diagnostics/rabbitmqctl on PATH
#                             (usable as root: `rabbitmq-diagnostics -q ping`), SIGTERM stops
#                             the node cleanly.
#   eclipse-mosquitto:2.0     Debian's mosquitto 2.0.11 (with WebSocket listeners) and
#                             mosquitto-clients. Reads /mosquitto/config/mosquitto.conf (the
#                             one in the image: loopback only, as the official default),
#                             /mosquitto-no-auth.conf, volumes /mosquitto/data and
#                             /mosquitto/log owned by mosquitto (uid 1883), mosquitto_pub,
#                             mosquitto_sub and mosquitto_rr on PATH, mosquitto is PID 1.
#   rust:1.95-slim-bookworm   (--with-rust) the debian stand-in + gcc, libc6-dev,
#                             pkg-config, ca-certificates + this machine's rustup toolchain
#                             (Debian's rustc is too old), RUSTUP_HOME=/usr/local/rustup,
#                             CARGO_HOME=/usr/local/cargo, cargo/rustc/rustup on PATH. The
#                             version comes from deploy/Dockerfile's RUST_VERSION and must
#                             match the host's rustc. Cargo trusts the certificate
#                             authorities the host trusts (CARGO_HTTP_CAINFO).
#
# Idempotent: an image that is there is skipped. Each stand-in carries a label with a
# hash of its recipe (its deploy/offline files, its base image, for rust the toolchain's
# version); when that changes the stand-in is rebuilt, and so are those built on it.
# Packages: the debootstrap download is cached in /var/cache/protocols/offline-images/
# (delete it and pass --force for a newer base); the others get theirs in
# `docker build` with apt-get (legacy builder, DOCKER_BUILDKIT=0: no buildx needed), on
# the default bridge network, or on the host's network if the bridge cannot reach
# deb.debian.org. Build logs: /var/cache/protocols/offline-images/logs/.
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

force=0
with_rust=0
for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        --with-rust) with_rust=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "offline-images: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
recipes=$repo/deploy/offline
cache=/var/cache/protocols/offline-images
logs=$cache/logs
mirror=http://deb.debian.org/debian
suite=bookworm
label=org.protocols.offline-images.recipe
# Bump to rebuild every stand-in after a change to this script's own build steps.
script_recipe=1
export DOCKER_BUILDKIT=0

die() { echo "offline-images: $*" >&2; exit 1; }
say() { printf '%-26s %s\n' "$1" "$2"; }

docker info >/dev/null 2>&1 || die "cannot talk to the Docker engine (is it running, are you in the docker group?)"

work=
cleanup() {
    [[ -n $work && -d $work ]] || return 0
    # debootstrap mounts /proc and /sys in its target; never let rm walk into them.
    { grep -oE " $work/[^ ]+" /proc/mounts || true; } | sort -r | while read -r m; do
        umount -l "$m" || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
work=$(mktemp -d /var/tmp/offline-images.XXXXXX)

# Not root (fine when there is nothing to build; debian needs root): logs in $work.
if ! mkdir -p "$logs" 2>/dev/null || [[ ! -w $logs ]]; then
    cache=$work
    logs=$work/logs
    mkdir -p "$logs"
fi

# One run at a time: two would build the same images twice.
exec 9>"$cache/.lock"
if ! flock -n 9; then
    echo "offline-images: another run holds $cache/.lock; waiting" >&2
    flock 9
fi

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_recipe() { docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null || true; }

# recipe_hash FILE... -- TEXT...: sha256 of the files' names and contents and the texts.
recipe_hash() {
    {
        echo "script_recipe=$script_recipe"
        while (($#)) && [[ $1 != -- ]]; do
            printf '== %s\n' "${1#"$recipes"/}"
            cat "$1"
            shift
        done
        [[ ${1:-} == -- ]] && shift
        printf '%s\n' "$@"
    } | sha256sum | cut -c1-16
}

# plan TAG RECIPE: what to do with TAG: "build", "rebuild: <why>" or "keep: <why>".
plan() {
    local have
    if [[ -z $(image_id "$1") ]]; then echo build; return; fi
    have=$(image_recipe "$1")
    if [[ -z $have ]]; then
        echo "keep: already there (not one of these stand-ins: left alone, even with --force)"
    elif ((force)); then
        echo "rebuild: --force"
    elif [[ $have == "$2" ]]; then
        echo "keep: already there"
    else
        echo "rebuild: recipe changed"
    fi
}

replaced=() # ids of stand-ins replaced in this run, removed at the end if unused

# --- debian:bookworm-slim ----------------------------------------------------------------
ensure_debootstrap() {
    local need=()
    command -v debootstrap >/dev/null || need+=(debootstrap)
    [[ -s /usr/share/keyrings/debian-archive-keyring.gpg ]] || need+=(debian-archive-keyring)
    ((${#need[@]})) || return 0
    command -v apt-get >/dev/null || die "install ${need[*]} (no apt-get here)"
    echo "offline-images: installing ${need[*]} with apt-get"
    if ! apt-cache show "${need[@]}" >/dev/null 2>&1; then
        apt-get -o DPkg::Lock::Timeout=300 update
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
        --no-install-recommends "${need[@]}"
}

build_debian() {
    local tag=debian:bookworm-slim arch tarball rootfs
    arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
    tarball=$cache/debootstrap-$suite-minbase-$arch.tgz
    rootfs=$work/debian-rootfs
    ((EUID == 0)) || die "building $tag needs root (debootstrap)"
    ensure_debootstrap
    if [[ ! -s $tarball ]]; then
        debootstrap --arch="$arch" --variant=minbase --make-tarball="$tarball.part" \
            "$suite" "$work/download" "$mirror"
        mv "$tarball.part" "$tarball"
    fi
    debootstrap --arch="$arch" --variant=minbase --unpack-tarball="$tarball" \
        "$suite" "$rootfs" "$mirror"
    "$recipes/debian/slim.sh" "$rootfs"
    tar -C "$rootfs" --numeric-owner -c . \
        | docker import \
            --message "offline stand-in for $tag: debootstrap minbase $suite, slimmed" \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' \
            --change "LABEL $label=$1" \
            - "$tag"
}

# --- images built with a Dockerfile on top of the debian stand-in -------------------------
# Can a build container on the default bridge reach deb.debian.org (for apt-get in RUN)?
# Asked once, before the first docker build; else the host's network is tried.
build_net=
probe_build_network() {
    [[ -z $build_net ]] || return 0
    local probe=$logs/network-probe.log
    if docker run --rm debian:bookworm-slim apt-get update >"$probe" 2>&1; then
        build_net=default
    elif docker run --rm --network host debian:bookworm-slim apt-get update >>"$probe" 2>&1; then
        echo "offline-images: the bridge network cannot reach deb.debian.org; building on the host's network" >&2
        build_net=host
    else
        die "build containers cannot reach $mirror, not even on the host's network (see $probe)"
    fi
}

# docker_build TAG RECIPE CONTEXT [docker build args...]
docker_build() {
    local tag=$1 recipe=$2 context=$3
    shift 3
    local nocache=()
    ((!force)) || nocache=(--no-cache) # --force: fetch the packages again, too
    docker build --force-rm --network "$build_net" "${nocache[@]}" --label "$label=$recipe" --tag "$tag" \
        "$@" "$context"
}

stage_rust() { # stage_rust DIR VERSION TRIPLE: the build context of the rust stand-in
    local ctx=$1 ver=$2 triple=$3 sysroot home tc rustup_bin
    sysroot=$(rustc --print sysroot)
    home=$ctx/local # becomes /usr/local in the image
    tc=$home/rustup/toolchains/$ver-$triple
    mkdir -p "$tc" "$home/cargo/bin"
    cp "$recipes/rust/Dockerfile" "$ctx/"
    # The certificate authorities this machine trusts, for cargo inside builds: where
    # HTTPS goes through a proxy with its own authority, crates.io is reached only so.
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca-certificates.crt"
    # The toolchain without rust-docs (800 MB of HTML), like rustup's minimal profile.
    tar -C "$sysroot" --exclude=./share/doc/rust/html -cf - . | tar -C "$tc" -xf -
    sed -i '/^rust-docs-/d' "$tc/lib/rustlib/components"
    rm -f "$tc"/lib/rustlib/manifest-rust-docs-*
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n\n[overrides]\n' \
        "$ver-$triple" >"$home/rustup/settings.toml"
    rustup_bin=$(readlink -f "$(command -v rustup)")
    cp "$rustup_bin" "$home/cargo/bin/rustup"
    for b in "$tc"/bin/*; do ln -s rustup "$home/cargo/bin/${b##*/}"; done
    # Writable by any user, as in the official image; set here because a chmod in a RUN
    # would copy the whole toolchain into another layer.
    chmod -R a+w "$home/rustup" "$home/cargo"
}

# --- the run ---------------------------------------------------------------------------
# run_step TAG PLAN BUILD-FUNCTION ARGS...: build if planned, print one line. The build
# runs in a subshell with `set -e` in force (it would be off inside an `if`), its output
# going to $logs/<name>.log, shown when it fails.
run_step() {
    local tag=$1 what=$2 old old_recipe start rc log=$logs/${1%%:*}.log
    shift 2
    if [[ $what == keep:* ]]; then
        say "$tag" "${what#keep: }"
        return 0
    fi
    old=$(image_id "$tag")
    old_recipe=$(image_recipe "$tag")
    [[ $tag == debian:* ]] || probe_build_network
    start=$SECONDS
    set +e
    (set -e; "$@") >"$log" 2>&1
    rc=$?
    set -e
    if ((rc != 0)); then
        echo "offline-images: building $tag failed; last lines of $log:" >&2
        tail -n 25 "$log" >&2 || true
        exit 1
    fi
    # The image this one replaced, if it was a stand-in too: removed at the end if unused.
    if [[ -n $old && -n $old_recipe && $old != "$(image_id "$tag")" ]]; then
        replaced+=("$old")
    fi
    if [[ $what == rebuild:* ]]; then
        say "$tag" "rebuilt in $((SECONDS - start))s (${what#rebuild: })"
    else
        say "$tag" "built in $((SECONDS - start))s"
    fi
}

# debian:bookworm-slim
recipe=$(recipe_hash "$recipes/debian/slim.sh" -- "$suite minbase $mirror")
run_step debian:bookworm-slim "$(plan debian:bookworm-slim "$recipe")" build_debian "$recipe"
base=$(image_id debian:bookworm-slim)

# postgres:15-bookworm
recipe=$(recipe_hash "$recipes/postgres/Dockerfile" "$recipes/postgres/docker-entrypoint.sh" -- "$base")
run_step postgres:15-bookworm "$(plan postgres:15-bookworm "$recipe")" \
    docker_build postgres:15-bookworm "$recipe" "$recipes/postgres"

# nginx:1.22
recipe=$(recipe_hash "$recipes/nginx/Dockerfile" "$recipes/nginx/nginx.conf" \
    "$recipes/nginx/docker-entrypoint.sh" -- "$base")
run_step nginx:1.22 "$(plan nginx:1.22 "$recipe")" \
    docker_build nginx:1.22 "$recipe" "$recipes/nginx"

# rabbitmq:3.10
recipe=$(recipe_hash "$recipes/rabbitmq/Dockerfile" "$recipes/rabbitmq/10-defaults.conf" \
    "$recipes/rabbitmq/docker-entrypoint.sh" -- "$base")
run_step rabbitmq:3.10 "$(plan rabbitmq:3.10 "$recipe")" \
    docker_build rabbitmq:3.10 "$recipe" "$recipes/rabbitmq"

# eclipse-mosquitto:2.0
recipe=$(recipe_hash "$recipes/mosquitto/Dockerfile" "$recipes/mosquitto/mosquitto.conf" \
    "$recipes/mosquitto/mosquitto-no-auth.conf" "$recipes/mosquitto/docker-entrypoint.sh" -- "$base")
run_step eclipse-mosquitto:2.0 "$(plan eclipse-mosquitto:2.0 "$recipe")" \
    docker_build eclipse-mosquitto:2.0 "$recipe" "$recipes/mosquitto"

# rust:<version>-slim-bookworm
want=$(sed -n 's/^ARG RUST_VERSION=\([0-9.]*\).*/\1/p' "$repo/deploy/Dockerfile" 2>/dev/null | head -n 1)
want=${want:-1.95}
rust_tag=rust:$want-slim-bookworm
bottom_layer() { docker image inspect -f '{{index .RootFS.Layers 0}}' "$1" 2>/dev/null || true; }
if ((!with_rust)); then
    if [[ -n $(image_id "$rust_tag") ]]; then
        if [[ -n $(image_recipe "$rust_tag") && $(bottom_layer "$rust_tag") != "$(bottom_layer debian:bookworm-slim)" ]]; then
            say "$rust_tag" "already there (on an older debian stand-in; --with-rust rebuilds it)"
        else
            say "$rust_tag" "already there"
        fi
    else
        say "$rust_tag" "not built (pass --with-rust)"
    fi
else
    if ! command -v rustc >/dev/null || ! command -v rustup >/dev/null; then
        die "--with-rust copies this machine's rustup toolchain, but rustc/rustup are not on PATH"
    fi
    ver=$(rustc -vV | sed -n 's/^release: //p')
    triple=$(rustc -vV | sed -n 's/^host: //p')
    [[ $ver == "$want" || $ver == "$want".* ]] \
        || die "deploy/Dockerfile wants Rust $want but this machine's rustc is $ver; not tagging it $rust_tag"
    recipe=$(recipe_hash "$recipes/rust/Dockerfile" /etc/ssl/certs/ca-certificates.crt -- "$base" "$(rustc -vV)" "$(rustup --version 2>/dev/null)")
    rust_plan=$(plan "$rust_tag" "$recipe")
    build_rust() {
        stage_rust "$work/rust-context" "$ver" "$triple"
        docker_build "$rust_tag" "$recipe" "$work/rust-context" --build-arg "RUST_VERSION=$ver"
    }
    run_step "$rust_tag" "$rust_plan" build_rust
fi

# Stand-ins this run replaced: remove them unless something still uses them.
for ((i = ${#replaced[@]} - 1; i >= 0; i--)); do
    docker image rm "${replaced[i]}" >/dev/null 2>&1 || true
done
