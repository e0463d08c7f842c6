#!/usr/bin/env bash
# Starts and stops a libvirtd for the PVGPU end-to-end tests and the README
# demo, on a Debian 12 machine without systemd, as root.
#
#   scripts/libvirtd-env.sh start [--hook PATH] [--hook-env NAME=VALUE]...
#                                 [--qemu PATH]
#   scripts/libvirtd-env.sh restart [same options as start]
#   scripts/libvirtd-env.sh stop
#   scripts/libvirtd-env.sh status        (exit 0 running, 3 stopped)
#
# start prepares the machine and runs `libvirtd` in the foreground under a
# child subreaper (tests/libvirt/subreaper.c: without it, PID 1 here reaps
# QEMU only every ~2 s and `virsh destroy` crawls), then waits until
# `virsh -c qemu:///system list` answers. Running it again is harmless.
#
# What it changes on the machine, and what stop gives back:
#  - /etc/libvirt/qemu.conf (its path is fixed for the system daemon) is
#    replaced by the settings below; the previous file is kept in
#    $PVGPU_LIBVIRTD_STATE/qemu.conf.orig and put back by stop.
#  - with --hook PATH, /etc/libvirt/hooks/qemu.d/pvgpu becomes a small
#    wrapper script that exports the --hook-env variables and execs PATH
#    (libvirt clears the environment of hooks, so this is how a test points
#    the hook at a build tree). A previous pvgpu hook is kept in the state
#    dir and put back by stop. Without --hook, the installed hook (if any)
#    is used as it is.
#  - with --qemu PATH, libvirtd finds PATH as its qemu-system-x86_64 (the
#    default emulator: virt-install, virt-manager, domains without an
#    <emulator>) through $PVGPU_LIBVIRTD_STATE/bin, first on its PATH.
#  - /dev/kvm, when only root may open it (no udev here), gets what
#    udev gives it: group kvm, mode 0660, so that QEMU's user may too.
#  - libvirtd.conf is our own ($PVGPU_LIBVIRTD_STATE/libvirtd.conf, passed
#    with --config); /etc/libvirt/libvirtd.conf is not touched.
# Domains keep running across stop/start (libvirt reconnects to them).
# The end-to-end tests (tests/libvirt/e2e.sh) run this script inside a
# private mount namespace whose /etc/libvirt and libvirt state are empty
# tmpfs mounts: there it changes nothing the machine's own libvirt sees.
#
# Environment: PVGPU_SUBREAPER  the built subreaper helper (else compiled
#                               from tests/libvirt/subreaper.c with cc)
#              PVGPU_LIBVIRTD_STATE  state dir (/var/lib/pvgpu/libvirtd-env)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${PVGPU_LIBVIRTD_STATE:-/var/lib/pvgpu/libvirtd-env}
pidfile=$state/libvirtd.pid
log=$state/libvirtd.log
qemu_conf=/etc/libvirt/qemu.conf
hook_dir=/etc/libvirt/hooks/qemu.d
hook_path=$hook_dir/pvgpu
marker="# pvgpu: written by scripts/libvirtd-env.sh"
uri=qemu:///system
start_timeout=60
stop_timeout=60

die() { echo "libvirtd-env: $*" >&2; exit 1; }
say() { echo "libvirtd-env: $*"; }

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

libvirtd_pid() {
    local pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] || return 1
    echo "$pid"
}

daemon_answers() {
    # Not `virsh version`: it fails when no qemu-system-x86_64 is in PATH.
    virsh -c "$uri" list --all >/dev/null 2>&1
}

# Debian's libvirt-daemon-system creates QEMU's account; libvirtd dies
# without it (scripts/setup.sh installs the package).
check_accounts() {
    getent passwd libvirt-qemu >/dev/null && getent group libvirt-qemu >/dev/null \
        || die "no libvirt-qemu user or group (run scripts/setup.sh)"
}

write_qemu_conf() {
    if [ -e "$qemu_conf" ] && ! grep -qxF "$marker" "$qemu_conf"; then
        cp -p "$qemu_conf" "$state/qemu.conf.orig"
        rm -f "$state/qemu.conf.absent"
        say "saved the previous $qemu_conf as $state/qemu.conf.orig"
    elif [ ! -e "$qemu_conf" ] && [ ! -e "$state/qemu.conf.orig" ]; then
        touch "$state/qemu.conf.absent"
    fi
    mkdir -p "$(dirname "$qemu_conf")"
    cat > "$qemu_conf.pvgpu-new" <<EOF
$marker
# The previous file is in $state/qemu.conf.orig; \`libvirtd-env.sh stop\` puts it back.
# QEMU runs as Debian's default user and group (libvirt-qemu), which libvirt
# gives access to what a domain uses (dynamic ownership, DAC). No systemd,
# cgroup delegation, AppArmor or SELinux on these machines: no cgroups, no
# private /dev, and QEMU writes its stdout/stderr to
# /var/log/libvirt/qemu/<domain>.log (no virtlogd).
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
    mv "$qemu_conf.pvgpu-new" "$qemu_conf"
}

restore_qemu_conf() {
    [ -e "$qemu_conf" ] && grep -qxF "$marker" "$qemu_conf" || return 0
    if [ -e "$state/qemu.conf.orig" ]; then
        mv "$state/qemu.conf.orig" "$qemu_conf"
        say "restored $qemu_conf"
    elif [ -e "$state/qemu.conf.absent" ]; then
        rm -f "$qemu_conf" "$state/qemu.conf.absent"
    fi
}

# As udev's default rules do (50-udev-default.rules: GROUP="kvm"), if only
# for the group.
fix_kvm_permissions() {
    [ -c /dev/kvm ] || return 0
    if [ "$(stat -c %G:%a /dev/kvm)" = root:600 ]; then
        chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
        say "gave /dev/kvm to group kvm (mode 0660), as udev would"
    fi
}

write_libvirtd_conf() {
    cat > "$state/libvirtd.conf" <<EOF
$marker
# Only root may use the sockets; no polkit (no D-Bus here).
unix_sock_group = "root"
unix_sock_ro_perms = "0770"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:stderr"
EOF
}

install_hook() {
    local hook=$1; shift
    [ -x "$hook" ] || die "--hook $hook: not an executable file"
    hook=$(cd "$(dirname "$hook")" && pwd)/$(basename "$hook")
    mkdir -p "$hook_dir"
    if [ -e "$hook_path" ] && ! grep -qxF "$marker" "$hook_path" 2>/dev/null; then
        mv "$hook_path" "$state/hook.orig"
        say "moved the previous $hook_path to $state/hook.orig"
    fi
    {
        echo "#!/bin/sh"
        echo "$marker"
        echo "# libvirt runs hooks with a cleared environment: set ours, run the hook."
        local assignment
        for assignment in "$@"; do
            printf 'export %s=%q\n' "${assignment%%=*}" "${assignment#*=}"
        done
        printf 'exec %q "$@"\n' "$hook"
    } > "$hook_path.pvgpu-new"
    chmod 0755 "$hook_path.pvgpu-new"
    mv "$hook_path.pvgpu-new" "$hook_path"
}

remove_hook() {
    if [ -e "$hook_path" ] && grep -qxF "$marker" "$hook_path" 2>/dev/null; then
        rm -f "$hook_path"
    fi
    if [ -e "$state/hook.orig" ] && [ ! -e "$hook_path" ]; then
        mv "$state/hook.orig" "$hook_path"
        say "restored $hook_path"
    fi
}

subreaper_binary() {
    if [ -n "${PVGPU_SUBREAPER:-}" ]; then
        [ -x "$PVGPU_SUBREAPER" ] || die "PVGPU_SUBREAPER=$PVGPU_SUBREAPER is not executable"
        echo "$PVGPU_SUBREAPER"
        return
    fi
    local source=$root/tests/libvirt/subreaper.c binary=$state/subreaper
    if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
        cc -std=c11 -D_GNU_SOURCE -O2 -Wall -o "$binary" "$source" \
            || die "cannot compile $source (set PVGPU_SUBREAPER to a built one)"
    fi
    echo "$binary"
}

start() {
    local hook="" hook_env=() qemu=""
    while [ $# -gt 0 ]; do
        case $1 in
            --hook) [ $# -ge 2 ] || usage; hook=$2; shift 2 ;;
            --hook=*) hook=${1#--hook=}; shift ;;
            --hook-env) [ $# -ge 2 ] || usage; hook_env+=("$2"); shift 2 ;;
            --hook-env=*) hook_env+=("${1#--hook-env=}"); shift ;;
            --qemu) [ $# -ge 2 ] || usage; qemu=$2; shift 2 ;;
            --qemu=*) qemu=${1#--qemu=}; shift ;;
            *) usage ;;
        esac
    done
    mkdir -p "$state/bin"
    if [ -n "$qemu" ]; then
        [ -x "$qemu" ] || die "--qemu $qemu: not an executable file"
        ln -sfn "$(cd "$(dirname "$qemu")" && pwd)/$(basename "$qemu")" "$state/bin/qemu-system-x86_64"
    else
        rm -f "$state/bin/qemu-system-x86_64"
    fi
    local assignment
    for assignment in "${hook_env[@]}"; do
        [[ $assignment =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] \
            || die "--hook-env $assignment: expected NAME=VALUE"
    done
    [ -z "$hook" ] && [ ${#hook_env[@]} -gt 0 ] && die "--hook-env needs --hook"

    command -v libvirtd >/dev/null || die "libvirtd is not installed (run scripts/setup.sh)"
    command -v virsh >/dev/null || die "virsh is not installed (run scripts/setup.sh)"
    mkdir -p "$state" /var/log/libvirt/qemu /var/lib/libvirt/qemu /run/libvirt

    local hook_was_there=false
    [ -e "$hook_path" ] && hook_was_there=true
    if [ -n "$hook" ]; then
        install_hook "$hook" "${hook_env[@]}"
    fi

    local pid
    if pid=$(libvirtd_pid); then
        # libvirtd rescans qemu.d/ on each call only if some qemu hook
        # existed when it started (or on SIGHUP, which works asynchronously).
        if [ -e "$hook_path" ] && ! $hook_was_there; then
            say "restarting libvirtd (pid $pid) so that it runs the new hook"
            stop_daemon
        else
            wait_until_answering "$pid"
            say "libvirtd already running (pid $pid)"
            return
        fi
    elif daemon_answers; then
        die "a libvirtd not started by this script answers on $uri; stop it first"
    fi
    start_daemon
}

start_daemon() {
    check_accounts
    fix_kvm_permissions
    write_qemu_conf
    write_libvirtd_conf
    local subreaper pid
    subreaper=$(subreaper_binary)
    rm -f "$pidfile"
    if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt $((1 << 20)) ]; then
        mv "$log" "$log.old"
    fi
    echo "==== $(date '+%F %T') start" >> "$log"
    # A new session and no inherited descriptors: the caller (a test
    # harness, a shell) must not wait for the daemon's output.
    (cd / && exec setsid env -i PATH="$state/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root LC_ALL=C.UTF-8 \
        "$subreaper" libvirtd --config "$state/libvirtd.conf" --pid-file "$pidfile" \
        < /dev/null >> "$log" 2>&1) &
    local launcher=$!
    local deadline=$((SECONDS + start_timeout))
    until pid=$(libvirtd_pid); do
        if ! kill -0 "$launcher" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$log" >&2
            die "libvirtd did not start (log: $log)"
        fi
        sleep 0.1
    done
    wait_until_answering "$pid"
    say "libvirtd running (pid $pid, log $log)"
}

wait_until_answering() {
    local pid=$1 deadline=$((SECONDS + start_timeout))
    until daemon_answers; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$log" >&2
            die "libvirtd (pid $pid) does not answer on $uri (log: $log)"
        fi
        sleep 0.1
    done
}

stop_daemon() {
    local pid
    if ! pid=$(libvirtd_pid); then
        say "libvirtd not running"
        return
    fi
    kill -TERM "$pid"
    local deadline=$((SECONDS + stop_timeout))
    while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ]; do
        if [ $SECONDS -ge $deadline ]; then
            echo "libvirtd-env: libvirtd (pid $pid) ignored SIGTERM for ${stop_timeout}s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$pidfile"
    say "libvirtd stopped"
}

stop() {
    [ $# -eq 0 ] || usage
    stop_daemon
    remove_hook
    restore_qemu_conf
}

status() {
    [ $# -eq 0 ] || usage
    local pid
    if pid=$(libvirtd_pid); then
        echo "libvirtd running (pid $pid, log $log)"
        return 0
    fi
    echo "libvirtd not running"
    return 3
}

[ $# -ge 1 ] || usage
[ "$(id -u)" -eq 0 ] || die "run as root (it starts the system libvirtd)"
command=$1; shift
case $command in
    start) start "$@" ;;
    stop) stop "$@" ;;
    restart) stop; start "$@" ;;
    status) status "$@" ;;
    *) usage ;;
esac
