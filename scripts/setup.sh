#!/usr/bin/env bash
# Installs, on a fresh Debian 12 machine as root, every package PVGPU needs
# to build and test. Safe to run again: apt-get skips what is installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
    # build of our own code
    meson ninja-build pkg-config gcc g++ clang libclang-rt-14-dev
    libglib2.0-dev libxml2-dev libxml2-utils libvirt-dev libcmocka-dev
    libjson-glib-dev libpng-dev
    # QEMU 7.2 source and its build with the features libvirt domains use
    # (scripts/build-qemu.sh: SPICE, VNC, USB redirection, audio, ...)
    dpkg-dev python3 python3-venv libpixman-1-dev zlib1g-dev libfdt-dev
    libspice-server-dev libspice-protocol-dev libslirp-dev libusb-1.0-0-dev
    libusbredirparser-dev libseccomp-dev libcap-ng-dev libattr1-dev
    libaio-dev liburing-dev libzstd-dev libgnutls28-dev libnuma-dev
    libudev-dev libncurses-dev libjpeg-dev libsasl2-dev libasound2-dev
    libpulse-dev libcacard-dev
    # what domains written by virt-install need at run time: UEFI, TPM
    ovmf swtpm swtpm-tools virtinst
    # libvirt's default NAT network (virt-install's domains use it), made
    # by the e2e tests in their own network namespace
    dnsmasq-base iptables
    # firmware for the built QEMU (q35/i440fx boot ROMs)
    seabios ipxe-qemu qemu-system-data
    # libvirt daemon for end-to-end tests
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon-system
    # libvirt 11.3's modular daemons, which the backport builds but does not
    # ship: compiled from its source by scripts/fetch-libvirt-backports.sh
    # (the backport's packages are unpacked there, not installed)
    xsltproc libjson-c-dev libtirpc-dev
    # misc tools the tests use
    python3-minimal socat procps git
    # a SPICE client that captures the screen (the guest boot test)
    spice-client-gtk
    # guest kernel module build (kbuild) and the static guest test program
    make binutils libc6-dev linux-libc-dev libelf1 libssl3 busybox-static
)

stamp=/var/lib/pvgpu-setup.stamp
want="$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup.sh: packages already installed"
    exit 0
fi

echo "setup.sh: apt-get update"
apt-get update -q >/dev/null
echo "setup.sh: installing ${#PACKAGES[@]} packages"
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null
echo "$want" > "$stamp"
echo "setup.sh: done"
