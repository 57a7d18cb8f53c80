#!/bin/sh
# Makes the local base images the container tests use: no registry is reachable where they run.
#
#   make-base-image.sh ENGINE WORKDIR
#
# xtask-test/minbase:bookworm   Debian 12 minbase (debootstrap + import)
# xtask-test/builder:bookworm   + rpm, rpmbuild, gcc, make, ccache: a base that "already holds
#                                rpmbuild and the build dependencies" for contrib/docker's builder
#                                (the Debian names of what the sample tree needs of the spec's
#                                BuildRequires: curl, as Asterisk's configure asks for a download
#                                utility whenever it bundles something)
# xtask-test/runtime:bookworm   minbase + rpm + dnf, the rpm database in /var/lib/rpm, and a
#                                "system provides" RPM that declares what Debian already has, so
#                                dnf and rpm install packages without --nodeps: a stand-in for an
#                                EL base that the runtime Dockerfile's dnf line works on
# xtask-test/runtime-rpm:bookworm  the same with rpm alone (no dnf)
# Each is also tagged :bookworm-<hash of this script>, and made again when this script
# changes; otherwise an image that exists is kept. The Debian mirror is the one this
# machine's apt uses.
set -eu
engine=$1
work=$2
mkdir -p "$work"
version=$(sha256sum "$0" | cut -c1-12)

# have NAME: true when NAME:bookworm-<version> exists; points NAME:bookworm at it.
have() {
    "$engine" image inspect "$1:bookworm-$version" >/dev/null 2>&1 || return 1
    "$engine" tag "$1:bookworm-$version" "$1:bookworm"
}

# made NAME: tags the NAME:bookworm just made with this version.
made() {
    "$engine" tag "$1:bookworm" "$1:bookworm-$version"
}

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

if ! have xtask-test/minbase; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        exit 1
    }
    tar -C "$work/rootfs" -c . | "$engine" import - xtask-test/minbase:bookworm >/dev/null
    rm -rf "$work/rootfs"
    made xtask-test/minbase
fi

if ! have xtask-test/builder; then
    mkdir -p "$work/builder"
    cat >"$work/builder/Dockerfile" <<'DOCKERFILE'
FROM xtask-test/minbase:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      rpm debugedit gcc libc6-dev make ccache cpio file xz-utils bzip2 patch curl \
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
    DOCKER_BUILDKIT=1 "$engine" build -q --network host -t xtask-test/builder:bookworm "$work/builder" >/dev/null
    made xtask-test/builder
fi

# runtime_image NAME PACKAGES: minbase + PACKAGES (rpm, and dnf or not) + the rpm database and
# the system provides package.
runtime_image() {
    have "$1" && return 0
    mkdir -p "$work/$1"
    sed "s/@PACKAGES@/$2/" >"$work/$1/Dockerfile" <<'DOCKERFILE'
FROM xtask-test/minbase:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends @PACKAGES@ \
 && rm -rf /var/lib/apt/lists/*
# EL keeps the rpm database in /var/lib/rpm (Debian's rpm would use ~/.rpmdb) and its
# libraries in /usr/lib64, where packages built with rpm's x86_64 macros put them.
RUN mkdir -p /etc/rpm /var/lib/rpm \
 && echo '%_dbpath /var/lib/rpm' > /etc/rpm/macros.dbpath \
 && rpmdb --initdb \
 && echo /usr/lib64 > /etc/ld.so.conf.d/lib64.conf
# Everything Debian already has, as RPM provides: libraries (by rpmdeps), programs, the
# dynamic linker's hash style, Debian's package names.
RUN set -e; \
    mkdir -p /tmp/provides/SPECS; \
    { find /lib /usr/lib /lib64 -name '*.so*' \( -type f -o -type l \) 2>/dev/null \
          | /usr/lib/rpm/rpmdeps --provides; \
      for d in /bin /sbin /usr/bin /usr/sbin; do \
          for f in "$d"/*; do [ -x "$f" ] && echo "$f"; done; \
      done; \
      echo 'rtld(GNU_HASH)'; \
      dpkg-query -W -f '${Package}\n'; \
      echo shadow-utils; \
    } | sort -u | sed 's/^/Provides: /' > /tmp/provides/provides.txt; \
    { echo 'Name: debian-system-provides'; echo 'Version: 12'; echo 'Release: 1'; \
      echo 'Summary: What the Debian base already has'; echo 'License: MIT'; \
      echo 'BuildArch: noarch'; echo 'AutoReqProv: no'; cat /tmp/provides/provides.txt; \
      echo '%description'; echo 'Provides for the Debian base.'; echo '%files'; \
    } > /tmp/provides/SPECS/provides.spec; \
    rpmbuild -bb --quiet --define '_topdir /tmp/provides' /tmp/provides/SPECS/provides.spec; \
    rpm -i --force-debian /tmp/provides/RPMS/noarch/*.rpm; \
    rm -rf /tmp/provides /var/tmp/rpm-tmp.*
DOCKERFILE
    DOCKER_BUILDKIT=1 "$engine" build -q --network host -t "$1:bookworm" "$work/$1" >/dev/null
    made "$1"
}
runtime_image xtask-test/runtime "rpm dnf"
# The same without dnf: the runtime Dockerfile's plain-rpm way.
runtime_image xtask-test/runtime-rpm "rpm"
