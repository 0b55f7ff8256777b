#!/bin/sh
# Build warme-overdracht/python-base:local, a Debian bookworm image with python3 (3.11), python3-venv
# and pip, from Debian packages alone: debootstrap a root file system, then `docker import` it.
# For machines that cannot pull from an image registry (`make images` runs this). Real deployments
# keep the default base, the official python:3.11-slim (deploy/Dockerfile, ARG PYTHON_IMAGE).
#
# Needs root (debootstrap chroots), debootstrap (installed with apt-get if missing) and a Docker engine.
# Environment:
#   IMAGE           image to produce            (default warme-overdracht/python-base:local)
#   SUITE           Debian release              (default bookworm: python3 is 3.11)
#   DEBIAN_MIRROR   Debian archive              (default http://deb.debian.org/debian)
#   SECURITY_MIRROR Debian security archive     (default http://deb.debian.org/debian-security)
#   FORCE=1         rebuild even if the image exists
set -eu

IMAGE="${IMAGE:-warme-overdracht/python-base:local}"
SUITE="${SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PACKAGES="python3,python3-venv,python3-pip,ca-certificates"

if [ "${FORCE:-0}" != "1" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE exists; skipping (FORCE=1 rebuilds)"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "debootstrap needs root: run as root (or with sudo)" >&2
    exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    echo "installing debootstrap with apt-get"
    apt-get install -y --no-install-recommends debootstrap \
        || { apt-get update && apt-get install -y --no-install-recommends debootstrap; }
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wo-python-base.XXXXXX")"
ROOT="$WORK/root"
# Also when stopped half-way (the test suite stops a build it no longer needs): first unmount
# whatever debootstrap mounted in the new root (/proc, /sys), deepest first, then delete, never
# crossing into another file system.
cleanup() {
    awk -v root="$ROOT/" 'index($2 "/", root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do
        umount -l "$mount" 2>/dev/null || true
    done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "debootstrap $SUITE from $DEBIAN_MIRROR into $ROOT (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

# The same sources as the official debian images, so security updates apply now and later.
cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $SUITE main
deb $DEBIAN_MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES

# Keep the image small, as the official slim images do: no documentation, manuals or translations
# (now and for packages installed later), no apt caches.
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
APT::Install-Recommends "false";
CLEAN

echo "applying $SUITE-updates and $SUITE-security"
chroot "$ROOT" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq upgrade' >"$WORK/upgrade.log" 2>&1 \
    || { tail -n 30 "$WORK/upgrade.log" >&2; exit 1; }

find "$ROOT/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOT/usr/share/man/"* "$ROOT/usr/share/info/"* "$ROOT/var/lib/apt/lists/"* \
    "$ROOT/var/cache/apt/"* "$ROOT/var/log/"*.log "$ROOT/var/log/apt/"* "$ROOT/tmp/"*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
find "$ROOT/usr/lib/python3" "$ROOT/usr/lib/python3.11" -name __pycache__ -type d -exec rm -rf {} + 2>/dev/null || true
# A fresh container must not carry this machine's resolver or name.
: >"$ROOT/etc/resolv.conf"
: >"$ROOT/etc/hostname"

echo "docker import -> $IMAGE"
tar --numeric-owner -C "$ROOT" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --message "debootstrap --variant=minbase $SUITE + $PACKAGES" \
    - "$IMAGE"

docker run --rm "$IMAGE" sh -c 'python3 --version && python3 -m pip --version && python3 -m venv /tmp/v && echo venv: ok'
docker image ls "$IMAGE"
