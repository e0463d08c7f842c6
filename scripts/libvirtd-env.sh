#!/usr/bin/env bash
# Starts and stops a libvirt daemon for the PVGPU end-to-end tests and the
# README demo, on a Debian 12 machine without systemd, as root.
#
#   scripts/libvirtd-env.sh start [--hook PATH] [--hook-env NAME=VALUE]...
#                                 [--qemu PATH] [--libvirt DIR]
#   scripts/libvirtd-env.sh restart [same options as start]
#   scripts/libvirtd-env.sh stop
#   scripts/libvirtd-env.sh status        (exit 0 running, 3 stopped)
#
# start prepares the machine and runs the system's monolithic `libvirtd`
# (Debian 12's libvirt 9.0) in the foreground under a child subreaper
# (tests/libvirt/subreaper.c: without it, PID 1 here reaps QEMU only every
# ~2 s and `virsh destroy` crawls), then waits until
# `virsh -c qemu:///system list` answers. Running it again is harmless.
#
# --libvirt DIR runs the modular daemons of a libvirt tree that
# scripts/fetch-libvirt-backports.sh unpacked (libvirt 11.3 of
# bookworm-backports) instead: virtlogd, virtnetworkd, virtsecretd and
# virtqemud, each under a subreaper, with DIR's libraries (LD_LIBRARY_PATH)
# and driver modules (LIBVIRT_DRIVER_DIR, ...). The files libvirt finds
# only at compiled-in paths, /usr/share/libvirt (CPU map, schemas) and
# /usr/lib/libvirt (helpers such as the DHCP lease helper), are DIR's
# through bind mounts in the daemons' own mount namespace (unshare): the
# machine's files and mounts stay as they are. virsh must then be DIR's
# (DIR/bin/virsh; the system's virsh 9.0 does not run on libvirt.so 11);
# qemu:///system reaches virtqemud's socket. `restart` keeps virtlogd
# running (it holds the running domains' QEMU output), as a restart of
# virtqemud by systemd does; `stop` stops every daemon.
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
#  - with --qemu PATH, the daemon finds PATH as its qemu-system-x86_64 (the
#    default emulator: virt-install, virt-manager, domains without an
#    <emulator>) through $PVGPU_LIBVIRTD_STATE/bin, first on its PATH.
#  - /dev/kvm, when only root may open it (no udev here), gets what
#    udev gives it: group kvm, mode 0660, so that QEMU's user may too.
#  - the daemons' own configuration files are ours
#    ($PVGPU_LIBVIRTD_STATE/<daemon>.conf, passed with --config);
#    /etc/libvirt/libvirtd.conf and the like are not touched.
# Domains keep running across stop/start (libvirt reconnects to them).
# The end-to-end tests (tests/libvirt/e2e.sh) run this script inside a
# private mount namespace whose /etc/libvirt and libvirt state are empty
# tmpfs mounts: there it changes nothing the machine's own libvirt sees.
#
# Environment: PVGPU_SUBREAPER  the built subreaper helper (else compiled
#                               from tests/libvirt/subreaper.c with cc)
#              PVGPU_LIBVIRTD_STATE  state dir (/var/lib/pvgpu/libvirtd-env)
set -euo pipefail

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)
state=${PVGPU_LIBVIRTD_STATE:-/var/lib/pvgpu/libvirtd-env}
qemu_conf=/etc/libvirt/qemu.conf
hook_dir=/etc/libvirt/hooks/qemu.d
hook_path=$hook_dir/pvgpu
marker="# pvgpu: written by scripts/libvirtd-env.sh"
uri=qemu:///system
start_timeout=60
stop_timeout=60
# Start order (stop: the reverse). virtqemud last: domains that it
# autostarts or reconnects to find their network and their log daemon.
modular_daemons=(virtlogd virtnetworkd virtsecretd virtqemud)
all_daemons=(libvirtd "${modular_daemons[@]}")
# What `start` runs, from its options: the monolithic libvirtd, or DIR's
# modular daemons (tree=DIR).
tree=""

die() { echo "libvirtd-env: $*" >&2; exit 1; }
say() { echo "libvirtd-env: $*"; }

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

pidfile_of() { echo "$state/$1.pid"; }
log_of() { echo "$state/$1.log"; }

# daemon_pid NAME: the pid of our NAME daemon, if it runs.
daemon_pid() {
    local pid pidfile
    pidfile=$(pidfile_of "$1")
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

# The daemons `start` runs (management daemon last).
wanted_daemons() {
    if [ -n "$tree" ]; then
        echo "${modular_daemons[@]}"
    else
        echo libvirtd
    fi
}
main_daemon() { if [ -n "$tree" ]; then echo virtqemud; else echo libvirtd; fi; }

virsh_() {
    if [ -n "$tree" ]; then
        "$tree/bin/virsh" "$@"
    else
        virsh "$@"
    fi
}

daemon_answers() {
    # Not `virsh version`: it fails when no qemu-system-x86_64 is in PATH.
    virsh_ -c "$uri" list --all >/dev/null 2>&1 || return 1
    # The modular daemons: virtqemud hands these to virtnetworkd and
    # virtsecretd.
    [ -z "$tree" ] || { virsh_ -c "$uri" net-list --all >/dev/null 2>&1 &&
                        virsh_ -c "$uri" secret-list >/dev/null 2>&1; }
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
    {
        cat <<EOF
$marker
# The previous file is in $state/qemu.conf.orig; \`libvirtd-env.sh stop\` puts it back.
# QEMU runs as Debian's default user and group (libvirt-qemu), which libvirt
# gives access to what a domain uses (dynamic ownership, DAC). No systemd,
# cgroup delegation, AppArmor or SELinux on these machines: no cgroups, no
# private /dev.
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
EOF
        if [ -n "$tree" ]; then
            echo "# QEMU's stdout/stderr go to virtlogd (libvirt's default)."
        else
            echo "# QEMU writes its stdout/stderr to /var/log/libvirt/qemu/<domain>.log (no virtlogd)."
            echo 'stdio_handler = "file"'
        fi
    } > "$qemu_conf.pvgpu-new"
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

# write_daemon_conf NAME: $state/NAME.conf
write_daemon_conf() {
    {
        echo "$marker"
        if [ "$1" != virtlogd ]; then
            cat <<EOF
# Only root may use the sockets; no polkit (no D-Bus here).
unix_sock_group = "root"
unix_sock_ro_perms = "0770"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
EOF
        fi
        echo 'log_outputs = "3:stderr"'
    } > "$state/$1.conf"
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

# The tree's directory of libvirt.so.0 (usr/lib/<multiarch>).
tree_libdir() {
    local lib
    lib=$(ls "$tree"/root/usr/lib/*/libvirt.so.0 2>/dev/null | head -n 1)
    [ -n "$lib" ] || die "--libvirt $tree: no root/usr/lib/*/libvirt.so.0 (run scripts/fetch-libvirt-backports.sh)"
    dirname "$lib"
}

check_tree() {
    [ -d "$tree" ] || die "--libvirt $tree: no such directory"
    tree=$(cd "$tree" && pwd)
    local d
    for d in "${modular_daemons[@]}"; do
        [ -x "$tree/root/usr/sbin/$d" ] \
            || die "--libvirt $tree: no root/usr/sbin/$d (not a tree of scripts/fetch-libvirt-backports.sh?)"
    done
    [ -x "$tree/bin/virsh" ] && [ -d "$tree/libexec" ] && [ -d "$tree/root/usr/share/libvirt" ] \
        || die "--libvirt $tree: no bin/virsh, libexec/ or root/usr/share/libvirt (run scripts/fetch-libvirt-backports.sh)"
    for d in /usr/share/libvirt /usr/lib/libvirt; do
        [ -d "$d" ] || die "no $d to mount $tree's over in the daemons' namespace (run scripts/setup.sh: Debian's libvirt)"
    done
}

# in-tree OUTER_NS TREE PROGRAM [ARGS...] (internal): run by launch_daemon
# under `unshare --mount`; mounts TREE's data and helpers over the
# system's, in this new namespace only, and execs PROGRAM.
in_tree() {
    local outer=$1; tree=$2; shift 2
    [ "$(readlink /proc/self/ns/mnt)" != "$outer" ] \
        || die "in-tree: not in a mount namespace of its own; not mounting over the machine's files"
    mount --bind "$tree/root/usr/share/libvirt" /usr/share/libvirt \
        && mount --bind "$tree/libexec" /usr/lib/libvirt \
        || die "in-tree: cannot bind-mount $tree's /usr/share/libvirt and /usr/lib/libvirt"
    exec "$@"
}

# launch_daemon NAME: starts our NAME daemon in the background and waits
# for its pidfile.
launch_daemon() {
    local name=$1 subreaper pid pidfile log
    subreaper=$(subreaper_binary)
    pidfile=$(pidfile_of "$name")
    log=$(log_of "$name")
    write_daemon_conf "$name"
    rm -f "$pidfile"
    if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt $((1 << 20)) ]; then
        mv "$log" "$log.old"
    fi
    echo "==== $(date '+%F %T') start" >> "$log"
    local env=(PATH="$state/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root LC_ALL=C.UTF-8)
    local cmd=("$name")
    if [ -n "$tree" ]; then
        local libdir
        libdir=$(tree_libdir)
        env+=(LD_LIBRARY_PATH="$libdir"
              LIBVIRT_DRIVER_DIR="$libdir/libvirt/connection-driver"
              LIBVIRT_STORAGE_BACKEND_DIR="$libdir/libvirt/storage-backend"
              LIBVIRT_STORAGE_FILE_DIR="$libdir/libvirt/storage-file"
              LIBVIRT_LOCK_MANAGER_PLUGIN_DIR="$libdir/libvirt/lock-driver")
        cmd=(unshare --mount --propagation private -- bash "$self" in-tree
             "$(readlink /proc/self/ns/mnt)" "$tree" "$subreaper" "$tree/root/usr/sbin/$name")
    else
        cmd=("$subreaper" "$name")
    fi
    # A new session and no inherited descriptors: the caller (a test
    # harness, a shell) must not wait for the daemon's output.
    (cd / && exec setsid env -i "${env[@]}" "${cmd[@]}" \
        --config "$state/$name.conf" --pid-file "$pidfile" \
        < /dev/null >> "$log" 2>&1) &
    local launcher=$!
    local deadline=$((SECONDS + start_timeout))
    until pid=$(daemon_pid "$name"); do
        if ! kill -0 "$launcher" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$log" >&2
            die "$name did not start (log: $log)"
        fi
        sleep 0.1
    done
    say "$name running (pid $pid, log $log)"
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
            --libvirt) [ $# -ge 2 ] || usage; tree=$2; shift 2 ;;
            --libvirt=*) tree=${1#--libvirt=}; shift ;;
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

    if [ -n "$tree" ]; then
        check_tree
        command -v unshare >/dev/null || die "unshare is not installed (util-linux)"
    else
        command -v libvirtd >/dev/null || die "libvirtd is not installed (run scripts/setup.sh)"
        command -v virsh >/dev/null || die "virsh is not installed (run scripts/setup.sh)"
    fi
    mkdir -p "$state" /var/log/libvirt/qemu /var/lib/libvirt/qemu /run/libvirt

    local hook_was_there=false
    [ -e "$hook_path" ] && hook_was_there=true
    if [ -n "$hook" ]; then
        install_hook "$hook" "${hook_env[@]}"
    fi

    # What runs now, and what was asked for ("modular DIR" or "libvirtd").
    # (No record: an older version of this script, which ran only libvirtd.)
    local want have=libvirtd name pid
    want=$([ -n "$tree" ] && echo "modular $tree" || echo libvirtd)
    [ -f "$state/daemons" ] && have=$(cat "$state/daemons")
    if [ "$have" != "$want" ] && [ -n "$(running_daemons)" ]; then
        say "stopping$(running_daemons) first (asked for: ${want%% *})"
        stop_daemons
    elif pid=$(daemon_pid "$(main_daemon)"); then
        local missing=""
        for name in $(wanted_daemons); do
            daemon_pid "$name" >/dev/null || missing+=" $name"
        done
        # libvirt rescans qemu.d/ on each call only if some qemu hook
        # existed when it started (or on SIGHUP, which works asynchronously).
        if [ -e "$hook_path" ] && ! $hook_was_there; then
            say "restarting $(main_daemon) (pid $pid) so that it runs the new hook"
            stop_daemons keep-virtlogd
        elif [ -n "$missing" ]; then
            say "restarting $(main_daemon) (pid $pid): not running:$missing"
            stop_daemons keep-virtlogd
        else
            wait_until_answering "$pid"
            say "$(main_daemon) already running (pid $pid)"
            return
        fi
    elif [ -z "$(running_daemons)" ] && daemon_answers; then
        die "a libvirt daemon not started by this script answers on $uri; stop it first"
    fi
    echo "$want" > "$state/daemons"
    start_daemons
}

running_daemons() {
    local name
    for name in "${all_daemons[@]}"; do
        daemon_pid "$name" >/dev/null && printf ' %s' "$name"
    done
    return 0
}

start_daemons() {
    check_accounts
    fix_kvm_permissions
    write_qemu_conf
    local name
    for name in $(wanted_daemons); do
        daemon_pid "$name" >/dev/null || launch_daemon "$name"
    done
    wait_until_answering "$(daemon_pid "$(main_daemon)")"
}

wait_until_answering() {
    local pid=$1 deadline=$((SECONDS + start_timeout)) main
    main=$(main_daemon)
    until daemon_answers; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$(log_of "$main")" >&2
            die "$main (pid $pid) does not answer on $uri (log: $(log_of "$main"))"
        fi
        sleep 0.1
    done
}

stop_one() {
    local name=$1 pid
    pid=$(daemon_pid "$name") || return 0
    kill -TERM "$pid"
    local deadline=$((SECONDS + stop_timeout))
    while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; do
        if [ $SECONDS -ge $deadline ]; then
            echo "libvirtd-env: $name (pid $pid) ignored SIGTERM for ${stop_timeout}s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$(pidfile_of "$name")"
    say "$name stopped"
}

# stop_daemons [keep-virtlogd]: in the reverse order of the start.
stop_daemons() {
    local keep=${1:-} name i
    if [ -z "$(running_daemons)" ]; then
        say "no libvirt daemon running"
        return
    fi
    for ((i = ${#all_daemons[@]} - 1; i >= 0; i--)); do
        name=${all_daemons[i]}
        [ "$name" = virtlogd ] && [ "$keep" = keep-virtlogd ] && continue
        stop_one "$name"
    done
}

stop() {
    stop_daemons "$@"
    remove_hook
    restore_qemu_conf
}

status() {
    [ $# -eq 0 ] || usage
    local name pid rc=3
    for name in "${all_daemons[@]}"; do
        pid=$(daemon_pid "$name") || continue
        echo "$name running (pid $pid, log $(log_of "$name"))"
        [ "$name" = libvirtd ] || [ "$name" = virtqemud ] && rc=0
    done
    [ $rc -eq 0 ] || echo "libvirt daemon not running"
    return $rc
}

[ $# -ge 1 ] || usage
[ "$(id -u)" -eq 0 ] || die "run as root (it starts the system libvirt daemon)"
command=$1; shift
case $command in
    start) start "$@" ;;
    stop) [ $# -eq 0 ] || usage; stop ;;
    restart) stop keep-virtlogd; start "$@" ;;
    status) status "$@" ;;
    in-tree) [ $# -ge 3 ] || usage; in_tree "$@" ;;
    *) usage ;;
esac
