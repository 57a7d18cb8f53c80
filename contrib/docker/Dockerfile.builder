# The builder image of `cargo xtask rpm`: rpmbuild, ccache and the BuildRequires of
# contrib/rpm/asterisk.spec. The xtask builds it from a context holding this file and the spec,
# tags it by what it is made of (this file, the spec's BuildRequires, the base image's id) and
# reuses it while those do not change. It runs as the invoking user with the network off.
#
# BASE_IMAGE: AlmaLinux 9, a free rebuild of RHEL 9 published as an official Docker Hub image:
# the packages are built against what most RPM-based Asterisk servers run. A base that already
# has rpmbuild (an air-gapped mirror, the tests' local images) is used as it is.
ARG BASE_IMAGE=docker.io/library/almalinux:9
FROM ${BASE_IMAGE}

COPY asterisk.spec /usr/share/asterisk-xtask/asterisk.spec

# EL keeps most -devel packages in CRB (EL8: PowerTools), and ccache and the spec's
# asterisk_epel_libraries (FreeTDS, iksemel, spandsp, uriparser) in EPEL: EPEL is enabled for
# those (and ccache), with epel-rpm-macros, whose %epel tells the spec (as in mock's and koji's
# EPEL build roots, so that the SRPM rebuilds there the same). Fedora has them all. Versions
# follow the base image's repositories, whose id is part of the tag.
# hadolint ignore=DL3041,SC1091
RUN if command -v rpmbuild >/dev/null 2>&1; then \
        echo "rpmbuild is in the base image: installing nothing"; \
    else \
        . /etc/os-release \
        && case "$ID" in \
            fedora) dnf -y install dnf-plugins-core ;; \
            *) dnf -y install dnf-plugins-core epel-release \
               && dnf -y install epel-rpm-macros \
               && case "${VERSION_ID%%.*}" in \
                   8) dnf config-manager --set-enabled powertools ;; \
                   *) dnf config-manager --set-enabled crb ;; \
               esac ;; \
        esac \
        && dnf -y install rpm-build ccache \
        && epel=$(case "$ID" in fedora) ;; *) echo "--define=asterisk_epel 1" ;; esac) \
        && dnf -y builddep --define 'asterisk_rpm_version 0' ${epel:+"$epel"} /usr/share/asterisk-xtask/asterisk.spec \
        && dnf clean all \
        && rm -rf /var/cache/dnf; \
    fi \
    && mkdir -p /ccache /xtask \
    && chmod 1777 /ccache /xtask

# A new cache volume mounted here starts as a copy of this directory: writable by any uid.
ENV CCACHE_DIR=/ccache
LABEL org.opencontainers.image.title="asterisk-xtask builder" \
      org.opencontainers.image.description="rpmbuild environment for cargo xtask rpm"
