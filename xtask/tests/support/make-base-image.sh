#!/bin/sh
# Makes the local base images the container tests use: no registry is reachable where they run.
#
#   make-base-image.sh ENGINE WORKDIR
#
# xtask-test/minbase:bookworm   Debian 12 minbase (debootstrap + import)
# xtask-test/builder:bookworm   + rpm, rpmbuild, gcc, make, ccache: a base that "already holds
#                                rpmbuild and the build dependencies" for contrib/docker's builder
# Images that exist are kept. The Debian mirror is the one this machine's apt uses.
set -eu
engine=$1
work=$2
mkdir -p "$work"

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

if ! "$engine" image inspect xtask-test/minbase:bookworm >/dev/null 2>&1; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        exit 1
    }
    tar -C "$work/rootfs" -c . | "$engine" import - xtask-test/minbase:bookworm >/dev/null
    rm -rf "$work/rootfs"
fi

if ! "$engine" image inspect xtask-test/builder:bookworm >/dev/null 2>&1; then
    mkdir -p "$work/builder"
    cat >"$work/builder/Dockerfile" <<'DOCKERFILE'
FROM xtask-test/minbase:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      rpm debugedit gcc libc6-dev make ccache cpio file xz-utils bzip2 patch \
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
    DOCKER_BUILDKIT=1 "$engine" build -q --network host -t xtask-test/builder:bookworm "$work/builder" >/dev/null
fi
