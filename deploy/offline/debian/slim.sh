#!/usr/bin/env bash
# Trim a `debootstrap --variant=minbase bookworm` tree into the shape of the official
# debian:bookworm-slim image. Run on the host as root: slim.sh <rootfs-dir>.
# scripts/offline-images.sh calls it before `docker import`; editing it changes the
# recipe hash, so the next run rebuilds the image (and the images built on top of it).
#
# What "slim" means here, as in the official image:
#   - dpkg never installs docs (copyright files excepted), man/info pages, groff data,
#     lintian overrides or translations, and what debootstrap already installed of them
#     is deleted;
#   - apt keeps no package lists or downloaded .debs in the image, fetches no
#     translations, stores lists gzipped, and does not treat Suggests as important;
#   - apt sources: bookworm, bookworm-updates and bookworm-security on deb.debian.org;
#   - no logs, caches, host name, resolv.conf or device nodes left over from debootstrap
#     (Docker provides /dev, /etc/hostname and /etc/resolv.conf at run time).
set -euo pipefail

root=${1:?usage: slim.sh <rootfs-dir>}
[[ -x $root/usr/bin/dpkg && $(realpath "$root") != / ]] || {
    echo "slim.sh: $root is not an unpacked Debian tree" >&2
    exit 1
}

# --- dpkg: what future package installs leave out ---------------------------------------
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
# Container image: no documentation, manuals or translations (copyright files are kept).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF

# ... and the same paths, removed from what debootstrap already unpacked.
find "$root/usr/share/doc" -mindepth 1 \( -type f -o -type l \) ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
for d in man info groff lintian linda locale; do
    if [[ -d $root/usr/share/$d ]]; then
        find "$root/usr/share/$d" -mindepth 1 -delete
    fi
done

# --- apt: small, cache-free, quiet about translations -----------------------------------
mkdir -p "$root/etc/apt/apt.conf.d" "$root/etc/apt/sources.list.d"
cat >"$root/etc/apt/apt.conf.d/docker-slim" <<'EOF'
// Container image: drop downloaded packages after every dpkg run, keep no binary caches,
// fetch no translations, keep lists compressed, and do not hold on to Suggests.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
Apt::AutoRemove::SuggestsImportant "false";
EOF

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# --- leftovers of the bootstrap ---------------------------------------------------------
rm -rf "${root:?}/var/lib/apt/lists/"* "${root:?}/var/cache/apt/"*.bin \
    "${root:?}/var/cache/apt/archives/"*.deb "${root:?}/var/cache/apt/archives/partial/"* \
    "${root:?}/var/cache/debconf/"*-old "${root:?}/var/lib/dpkg/"*-old \
    "${root:?}/var/log/bootstrap.log" "${root:?}/var/log/apt/"* \
    "${root:?}/tmp/"* "${root:?}/var/tmp/"* "${root:?}/dev/"* \
    "${root:?}/root/.bash_history"
# Keep the log files dpkg and login expect, but empty.
find "$root/var/log" -type f -exec truncate -s 0 {} +
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
mkdir -p "$root/var/lib/apt/lists/partial"
