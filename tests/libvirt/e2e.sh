#!/usr/bin/env bash
# End-to-end tests with a real libvirt daemon, our QEMU build, the pvgpu
# hook, pvgpu-backend and pvgpuctl. Output: TAP, one line per case.
#
#   e2e.sh --qemu=PATH --hook=PATH --backend=PATH --pvgpuctl=PATH
#          --subreaper=PATH --schema-dir=DIR --env-script=PATH --template=PATH
#          --build-guest=PATH --pngcmp=PATH [--libvirt=DIR]
#
# --libvirt=DIR: the same cases under the modular daemons (virtqemud,
# virtnetworkd, virtsecretd, virtlogd) of the libvirt tree that
# scripts/fetch-libvirt-backports.sh unpacked (11.3 of bookworm-backports),
# with its virsh, and its libvirt.so for pvgpuctl and virt-install too
# (LD_LIBRARY_PATH), as on a host with that libvirt; the machine's libvirt
# (Debian 12's 9.0) is not used.
#
# PVGPU_E2E_KEEP_LOGS=DIR keeps each case's log and the backend logs there.
# PVGPU_E2E_CASES="name ..." runs only those cases (between the daemon's
# start and stop), e.g. PVGPU_E2E_CASES=virsh_screenshot_matches_pvgpuctl.
#
# Needs root. It re-runs itself in a private mount namespace with empty
# tmpfs mounts over /etc/libvirt, /run/libvirt, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt, /run/pvgpu and /var/log/pvgpu, and
# starts its own libvirt daemon there through scripts/libvirtd-env.sh with the
# hook of the build tree: the machine's libvirt (daemon, sockets, domains,
# configuration) is neither seen nor touched, and a running demo is no
# concern. QEMU and the backend run as Debian's libvirt-qemu user (DAC).
set -uo pipefail

private_dirs=(/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt
              /var/cache/libvirt /run/pvgpu /var/log/pvgpu)

marker_description="pvgpu end-to-end test domain"
uri=qemu:///system
export LIBVIRT_DEFAULT_URI=$uri

qemu="" hook="" backend="" pvgpuctl="" subreaper="" schema_dir="" env_script="" template=""
build_guest="" pngcmp="" libvirt=""
checker=$(dirname "$0")/e2e-check.py
vnc_capture=$(dirname "$0")/vnc-capture.py
for arg in "$@"; do
    case $arg in
        --qemu=*) qemu=${arg#*=} ;;
        --hook=*) hook=${arg#*=} ;;
        --backend=*) backend=${arg#*=} ;;
        --pvgpuctl=*) pvgpuctl=${arg#*=} ;;
        --subreaper=*) subreaper=${arg#*=} ;;
        --schema-dir=*) schema_dir=${arg#*=} ;;
        --env-script=*) env_script=${arg#*=} ;;
        --template=*) template=${arg#*=} ;;
        --build-guest=*) build_guest=${arg#*=} ;;
        --pngcmp=*) pngcmp=${arg#*=} ;;
        --libvirt=*) libvirt=${arg#*=} ;;
        *) echo "Bail out! unknown argument $arg"; exit 1 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP needs root (starts the system libvirtd)"
    exit 0
fi
for need in qemu hook backend pvgpuctl subreaper env_script template build_guest pngcmp; do
    value=${!need}
    if [ -z "$value" ] || [ ! -e "$value" ]; then
        echo "Bail out! --${need//_/-}=${value}: no such file"
        exit 1
    fi
done
[ -d "$schema_dir" ] || { echo "Bail out! --schema-dir=$schema_dir: no such directory"; exit 1; }
# The daemon under test: Debian 12's libvirtd, or the modular daemons of
# the --libvirt tree, whose virsh and libvirt.so everything here uses.
daemon=libvirtd
default_network_xml=/usr/share/libvirt/networks/default.xml
if [ -n "$libvirt" ]; then
    [ -x "$libvirt/bin/virsh" ] && [ -x "$libvirt/root/usr/sbin/virtqemud" ] \
        || { echo "Bail out! --libvirt=$libvirt: no bin/virsh or root/usr/sbin/virtqemud (run scripts/fetch-libvirt-backports.sh)"; exit 1; }
    libvirt=$(cd "$libvirt" && pwd)
    libvirt_lib=$(dirname "$(find "$libvirt/root/usr/lib" -maxdepth 2 -name libvirt.so.0 | head -n 1)")
    export PATH="$libvirt/bin:$PATH"
    export LD_LIBRARY_PATH="$libvirt_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    daemon=virtqemud
    default_network_xml=$libvirt/root/usr/share/libvirt/networks/default.xml
    [ "$(command -v virsh)" = "$libvirt/bin/virsh" ] || { echo "Bail out! virsh is not $libvirt/bin/virsh"; exit 1; }
else
    command -v libvirtd >/dev/null || { echo "Bail out! libvirtd not installed (run scripts/setup.sh)"; exit 1; }
fi
for tool in virsh python3; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool not installed (run scripts/setup.sh)"; exit 1; }
done

# What the machine's own libvirt configuration looks like, seen from the
# machine's mount namespace (PID 1's): the last case compares.
host_libvirt_fingerprint() {
    find /proc/1/root/etc/libvirt -printf '%P %y %s %m %U:%G %T@\n' 2>/dev/null | sort | sha256sum
}

if [ -z "${PVGPU_E2E_PRIVATE:-}" ]; then
    command -v unshare >/dev/null || { echo "Bail out! unshare not installed (util-linux)"; exit 1; }
    PVGPU_E2E_HOST_LIBVIRT=$(host_libvirt_fingerprint) PVGPU_E2E_PRIVATE=1 \
        exec unshare --mount --propagation private --net -- bash "$0" "$@"
    echo "Bail out! cannot enter private mount and network namespaces (unshare --mount --net)"
    exit 1
fi
# A network namespace of our own too: libvirt's default network (bridge,
# firewall rules, dnsmasq) is made in it, not on the machine.
ip link set lo up || { echo "Bail out! cannot bring up lo in the private network namespace"; exit 1; }
for dir in "${private_dirs[@]}"; do
    [ -d "$dir" ] || continue    # not created: that would touch the machine
    mount -t tmpfs -o mode=0755 pvgpu-e2e "$dir" \
        || { echo "Bail out! cannot mount a private tmpfs on $dir"; exit 1; }
done
[ -d /etc/libvirt ] && mountpoint -q /etc/libvirt \
    || { echo "Bail out! /etc/libvirt is not private (libvirt not installed?)"; exit 1; }
# /dev/kvm as udev leaves it (group kvm, mode 0660; QEMU's user is in kvm),
# in this namespace only: without udev it is root's alone here,
# and libvirt, seeing KVM usable by root but not by QEMU's user, would probe
# QEMU's capabilities again on every define (6 s each).
if [ -c /dev/kvm ]; then
    kvm_dir=/var/lib/libvirt/pvgpu-dev
    mkdir -p "$kvm_dir" && mount -t tmpfs -o mode=0755 pvgpu-e2e "$kvm_dir" &&
        mknod -m 0660 "$kvm_dir/kvm" c "$((16#$(stat -c %t /dev/kvm)))" "$((16#$(stat -c %T /dev/kvm)))" &&
        chown root:kvm "$kvm_dir/kvm" && mount --bind "$kvm_dir/kvm" /dev/kvm \
        || { echo "Bail out! cannot give /dev/kvm to group kvm in the private namespace"; exit 1; }
fi
export PVGPU_LIBVIRTD_STATE=/var/lib/libvirt/pvgpu-libvirtd-env

backend=$(realpath "$backend")
# Short: socket paths below it must stay under 108 bytes.
work=$(mktemp -d /run/pvgpu-e2e.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
runtime=$work/run
logs=$work/log
sanitizer=$work/sanitizer
mkdir -p "$runtime" "$logs" "$sanitizer" "$work/xml" "$work/cases"
# QEMU and the backend run as libvirt-qemu: they reach the sockets below
# $runtime, and the backend writes sanitizer reports.
chmod 0755 "$work"
chmod 1777 "$sanitizer"

# What pvgpuctl (run here) and the hook (run by libvirt, through the
# wrapper libvirtd-env.sh writes) both see.
export PVGPU_RUNTIME_DIR=$runtime
export PVGPU_LOG_DIR=$logs
export PVGPU_SCHEMA_DIR=$schema_dir
hook_env=(
    "PVGPU_BACKEND=$backend"
    "PVGPU_HOOK_LAUNCHER=direct"
    "PVGPU_RUNTIME_DIR=$runtime"
    "PVGPU_LOG_DIR=$logs"
    "PVGPU_SCHEMA_DIR=$schema_dir"
    # Sanitizer reports of the hook and the backend go to files that the
    # last case checks; libvirt would only show them for a failing start.
    "ASAN_OPTIONS=detect_leaks=1:log_path=$sanitizer/asan"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$sanitizer/ubsan"
)
export PVGPU_SUBREAPER=$subreaper

# ---------------------------------------------------------------- helpers
# Every helper below runs inside a case's subshell; fail ends the case.

fail() { echo "FAIL: $*" >&2; exit 1; }
# grep over the whole of stdin: it reads to the end first, so that under
# pipefail an early match (grep -q exits) cannot kill the writer with
# SIGPIPE and turn the pipeline's status into a failure
matches() { local text; text=$(cat); grep "$@" <<<"$text"; }

virsh_() { virsh -q -c "$uri" "$@"; }

libvirtd_env() {
    local action=$1; shift
    if [ "$action" = stop ]; then
        bash "$env_script" stop
    else
        local args=(--hook "$hook" --qemu "$qemu") assignment
        [ -z "$libvirt" ] || args+=(--libvirt "$libvirt")
        for assignment in "${hook_env[@]}" "$@"; do
            args+=(--hook-env "$assignment")
        done
        bash "$env_script" "$action" "${args[@]}"
    fi
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
# The deadline only bounds a hang; the cases assert the final state.
wait_for() {
    local what=$1 seconds=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || fail "still not true after ${seconds}s: $what"
        sleep 0.1
    done
}

# A process is alive when it exists and is not a zombie.
pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }   # the state follows the command name, which may hold spaces
    [ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

# Backends of this run: any process whose command line names our runtime dir.
backend_pids() {
    local pid
    for pid in $(pgrep -f -- "--control-socket=$runtime/"); do
        pid_alive "$pid" && echo "$pid"
    done
    return 0
}

domain_xml() {
    sed -e "s|@NAME@|$1|" -e "s|@EMULATOR@|$qemu|" \
        -e "s|<on_poweroff>|<description>$marker_description</description>\n  <on_poweroff>|" \
        "$template"
}

define_domain() {
    domain_xml "$1" > "$work/xml/$1.xml"
    virsh_ define "$work/xml/$1.xml" >/dev/null || fail "virsh define $1"
}

# Removes a test domain left by an earlier case or run (only ours).
remove_domain() {
    local name=$1
    virsh_ dominfo "$name" >/dev/null 2>&1 || return 0
    virsh_ desc "$name" | matches -qxF "$marker_description" \
        || fail "domain $name exists and is not a test domain; not touching it"
    virsh_ destroy "$name" >/dev/null 2>&1
    virsh_ undefine --nvram "$name" >/dev/null || fail "virsh undefine $name"
}

uuid_of() { virsh_ domuuid "$1"; }
runtime_dir_of() { echo "$runtime/$(uuid_of "$1")"; }

domstate() { virsh_ domstate "$1" 2>/dev/null | head -n1; }

# The QEMU process of a running domain, from libvirt's pidfile.
qemu_pid_of() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }

backend_pid_of() {
    local pidfile
    pidfile=$(runtime_dir_of "$1")/backend.pid
    [ -f "$pidfile" ] || fail "no pidfile $pidfile"
    tr -d '[:space:]' < "$pidfile"
}

check() { python3 "$checker" "$@"; }

# json EXPRESSION < json: prints a value of the document `d` as JSON.
json() { check json "$1"; }

# json_is JSON EXPRESSION VALUE: the expression's value, as JSON, is VALUE.
json_is() {
    local got
    got=$(json "$2" <<<"$1") || return 1
    [ "$got" = "$3" ] || { echo "$2 is $got, want $3" >&2; return 1; }
}

backend_status() {
    check control "$(runtime_dir_of "$1")/control.sock" '{"command":"status"}'
}

backend_connected_and_ready() {
    local status
    status=$(backend_status "$1" 2>/dev/null) || return 1
    [ "$(json 'd["ok"] and d["status"]["connected"] and d["status"]["ready"]' <<<"$status")" = true ]
}

# libvirt runs the reconnect hook inside a job on the domain after a daemon
# start; a monitor command needs a job too, so it returns only after that.
wait_for_reconnect() {
    virsh_ qemu-monitor-command "$1" --hmp 'info version' >/dev/null \
        || fail "monitor of $1 unreachable after the libvirtd restart"
}

start_domain() {
    virsh_ start "$1" >/dev/null || fail "virsh start $1"
}

# A defined, pvgpu-enabled, running domain with a connected backend.
running_pvgpu_domain() {
    local name=$1
    remove_domain "$name"
    define_domain "$name"
    "$pvgpuctl" enable "$name" --shmem 256M >/dev/null || fail "pvgpuctl enable $name"
    start_domain "$name"
    wait_for "backend of $name connected and ready" 30 backend_connected_and_ready "$name"
}

# Nothing of a pvgpu domain may be left after it stopped.
assert_cleaned_up() {
    local name=$1 dir=$2 pid=${3:-}
    [ ! -e "$dir" ] || fail "runtime dir $dir left behind: $(ls -la "$dir")"
    if [ -n "$pid" ] && pid_alive "$pid"; then
        fail "backend pid $pid still running"
    fi
    local left
    left=$(backend_pids)
    [ -z "$left" ] || fail "backend processes left: $left"
}

# refused_start NAME: `virsh start NAME` fails and leaves the domain shut
# off with nothing behind; prints what virsh said.
refused_start() {
    local name=$1 out rc=0
    out=$(virsh_ start "$name" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "virsh start $name succeeded"
    [ "$(domstate "$name")" = "shut off" ] || fail "$name state: $(domstate "$name")"
    assert_cleaned_up "$name" "$(runtime_dir_of "$name")"
    printf '%s\n' "$out"
}

# Destroys a running pvgpu domain; its backend (pid, when given) and
# runtime dir must be gone after.
destroy_and_assert_cleaned_up() {
    local name=$1 pid=${2:-} dir
    dir=$(runtime_dir_of "$name")
    virsh_ destroy "$name" >/dev/null || fail "virsh destroy $name"
    [ "$(domstate "$name")" = "shut off" ] || fail "$name state after destroy: $(domstate "$name")"
    assert_cleaned_up "$name" "$dir" "$pid"
}

# The domain runs without a pvgpu device, runtime dir or backend.
assert_runs_without_pvgpu() {
    local name=$1
    [ "$(domstate "$name")" = running ] || fail "$name not running"
    [ ! -e "$(runtime_dir_of "$name")" ] || fail "runtime dir of $name exists"
    [ -z "$(backend_pids)" ] || fail "a backend runs: $(backend_pids)"
    ! virsh_ qemu-monitor-command "$name" --hmp 'info pci' | matches -qi '1af4:10f0' \
        || fail "$name has a pvgpu device"
}

# pvgpuctl_json_expect DOMAIN JSON HEALTH: `pvgpuctl status DOMAIN --json`
# describes the running DOMAIN with this health; when ok, also connected
# and ready, with the backend of the pidfile (live values only: the
# format itself is checked by pvgpuctl's golden tests).
pvgpuctl_json_expect() {
    local name=$1 out=$2 health=$3
    json_is "$out" 'd["name"]' "\"$name\"" &&
        json_is "$out" 'd["uuid"]' "\"$(uuid_of "$name")\"" &&
        json_is "$out" 'd["state"]' '"running"' &&
        json_is "$out" 'd["health"]' "\"$health\"" || return 1
    [ "$health" = ok ] || return 0
    json_is "$out" 'd["connected"] and d["ready"]' true &&
        json_is "$out" 'd["backend_pid"]' "$(backend_pid_of "$name")" &&
        json_is "$out" 'd["shmem_size"]' $((256 << 20))
}

# ------------------------------------------------------------------ cases

case_libvirtd_starts() {
    libvirtd_env restart || fail "libvirtd-env.sh restart"
    bash "$env_script" status || fail "libvirtd-env.sh status says not running"
    [ -x /etc/libvirt/hooks/qemu.d/pvgpu ] || fail "hook not installed"
    grep -qF "$hook" /etc/libvirt/hooks/qemu.d/pvgpu || fail "installed hook does not run $hook"
    virsh_ list --all >/dev/null || fail "virsh cannot talk to $daemon"
    echo "# $(virsh_ version --daemon | grep -i 'library\|daemon\|hypervisor' | tr -s ' ' | paste -sd ';' -)"
    if [ -n "$libvirt" ]; then
        # the tree's modular daemons, not a libvirtd; pvgpuctl on its libvirt.so
        local status name version
        status=$(bash "$env_script" status)
        for name in virtlogd virtnetworkd virtsecretd virtqemud; do
            grep -q "^$name running" <<<"$status" || fail "$name not running: $status"
        done
        ! grep -q '^libvirtd running' <<<"$status" || fail "a libvirtd runs: $status"
        version=$(cut -d- -f1 "$libvirt/VERSION")
        virsh_ version --daemon | matches -qxF "Running against daemon: $version" \
            || fail "the daemon is not libvirt $version: $(virsh_ version --daemon)"
        ldd "$pvgpuctl" | matches -qF "=> $libvirt_lib/libvirt.so.0" || fail "pvgpuctl does not use $libvirt_lib/libvirt.so.0"
    fi
    # Idempotent: a second start keeps the same daemon.
    local before after
    before=$(pgrep -x "$daemon") || fail "no $daemon process"
    libvirtd_env start || fail "second libvirtd-env.sh start"
    after=$(pgrep -x "$daemon")
    [ "$before" = "$after" ] || fail "second start replaced $daemon ($before -> $after)"
}

case_plain_domain_untouched() {
    remove_domain plain-vm
    define_domain plain-vm
    local before
    before=$(virsh_ dumpxml --inactive plain-vm)
    start_domain plain-vm
    [ "$(domstate plain-vm)" = running ] || fail "plain-vm not running"
    [ ! -e "$(runtime_dir_of plain-vm)" ] || fail "runtime dir created for a domain without pvgpu"
    [ -z "$(backend_pids)" ] || fail "a backend runs for a domain without pvgpu"
    local pci
    pci=$(virsh_ qemu-monitor-command plain-vm --hmp 'info pci')
    ! grep -qi '1af4:10f0' <<<"$pci" || fail "plain-vm has a pvgpu device"
    virsh_ destroy plain-vm >/dev/null || fail "virsh destroy plain-vm"
    [ "$(virsh_ dumpxml --inactive plain-vm)" = "$before" ] || fail "plain-vm's definition changed"
    remove_domain plain-vm
}

case_enable_writes_definition() {
    remove_domain win-vm
    define_domain win-vm
    "$pvgpuctl" enable win-vm --shmem 256M || fail "pvgpuctl enable win-vm --shmem 256M"
    local xml uuid
    xml=$(virsh_ dumpxml --inactive win-vm)
    uuid=$(uuid_of win-vm)
    check definition "$uuid" "$runtime" <<<"$xml" || fail "definition after enable: $xml"
}

case_start_runs_backend() {
    running_pvgpu_domain win-vm
    local dir pid
    dir=$(runtime_dir_of win-vm)
    pid=$(backend_pid_of win-vm)
    pid_alive "$pid" || fail "backend pid $pid from the pidfile is not running"
    [ "$(readlink "/proc/$pid/exe")" = "$backend" ] || fail "pid $pid is not $backend"
    local cmdline
    cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
    grep -qF -- "--control-socket=$dir/control.sock" <<<"$cmdline" || fail "backend command line: $cmdline"
    grep -qF -- "--pidfile=$dir/backend.pid" <<<"$cmdline" || fail "backend command line: $cmdline"
    [ -S "$dir/device.sock" ] || fail "no device socket $dir/device.sock"
    [ -S "$dir/control.sock" ] || fail "no control socket $dir/control.sock"
    [ "$(backend_pids)" = "$pid" ] || fail "expected exactly one backend, found: $(backend_pids)"
    # QEMU and its backend run as Debian's unprivileged QEMU user, not root.
    local qemu_user
    qemu_user=$(ps -o user= -p "$(qemu_pid_of win-vm)") || fail "no QEMU process"
    [ "$qemu_user" = libvirt-qemu ] || fail "QEMU runs as $qemu_user, not libvirt-qemu"
    [ "$(ps -o user= -p "$pid")" = libvirt-qemu ] \
        || fail "backend runs as $(ps -o user= -p "$pid"), not libvirt-qemu"
    # The backend must not hold libvirt's hook pipes (it would hang virsh).
    local fd target
    for fd in 0 1 2; do
        target=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null) || continue
        case $target in pipe:*) fail "backend fd $fd is a pipe ($target), inherited from the hook" ;; esac
    done
}

case_device_connected() {
    backend_connected_and_ready win-vm || running_pvgpu_domain win-vm
    local status
    status=$(backend_status win-vm) || fail "control socket status request"
    [ "$(json 'd["status"]["shmem_size"]' <<<"$status")" = $((256 << 20)) ] \
        || fail "backend shmem_size: $status"
    [ "$(json 'd["status"]["pid"]' <<<"$status")" = "$(backend_pid_of win-vm)" ] \
        || fail "backend status pid differs from the pidfile: $status"

    local out rc=0
    out=$("$pvgpuctl" status win-vm --json) || rc=$?
    [ $rc -eq 0 ] || fail "pvgpuctl status win-vm --json exited $rc: $out"
    pvgpuctl_json_expect win-vm "$out" ok || fail "pvgpuctl status win-vm --json: $out"
    out=$("$pvgpuctl" status win-vm) || fail "pvgpuctl status win-vm exited $?: $out"
    grep -qE '^Health: +ok$' <<<"$out" || fail "pvgpuctl status text, health not ok: $out"
    grep -qE '^Connected: +yes$' <<<"$out" || fail "pvgpuctl status text, not connected: $out"
    grep -qE "^Backend PID: +$(backend_pid_of win-vm)\$" <<<"$out" \
        || fail "pvgpuctl status text, not the pidfile's backend: $out"

    # QEMU's view of the same device: 1af4:10f0, class 0300, at 00:1e.0.
    local pci
    pci=$(virsh_ qemu-monitor-command win-vm '{"execute":"query-pci"}') || fail "QMP query-pci"
    check query-pci <<<"$pci" || fail "QMP query-pci: $pci"
    virsh_ qemu-monitor-command win-vm --hmp 'info pci' | matches -qi 'PCI device 1af4:10f0' \
        || fail "HMP info pci does not list 1af4:10f0"
}

case_screenshot_without_scanout() {
    backend_connected_and_ready win-vm || running_pvgpu_domain win-vm
    local png=$work/shot.png out rc=0
    out=$("$pvgpuctl" screenshot win-vm "$png" 2>&1) || rc=$?
    [ $rc -eq 1 ] || fail "pvgpuctl screenshot without a scanout exited $rc (want 1): $out"
    grep -qi 'scanout' <<<"$out" || fail "screenshot error does not mention the missing scanout: $out"
    [ ! -e "$png" ] || fail "a failed screenshot left $png"
    backend_connected_and_ready win-vm || fail "backend unhealthy after a refused screenshot"
}

# shots_agree: pvgpuctl's screenshot (the backend's frame), virsh's (QEMU's
# console) and a VNC viewer's capture of shot-vm, taken now, are the same
# picture, and it shows the guest's text console; the verdict on stdout
shots_agree() {
    local png=$work/shot.png ppm=$work/shot.ppm vnc=$work/vnc.ppm err verdict
    rm -f "$png" "$ppm" "$vnc"
    "$pvgpuctl" screenshot shot-vm "$png" >/dev/null 2>&1 || { echo "no frame on the scanout yet"; return 1; }
    err=$(virsh_ screenshot shot-vm "$ppm" --screen 0 2>&1 >/dev/null) || { echo "virsh screenshot failed: $err"; return 1; }
    err=$("$vnc_capture" "$(virsh_ domdisplay shot-vm)" "$vnc" 2>&1) || { echo "VNC capture failed: $err"; return 1; }
    "$pngcmp" console "$png" >/dev/null || { echo "pvgpuctl screenshot: $("$pngcmp" console "$png")"; return 1; }
    verdict=$("$pngcmp" same "$png" "$ppm") || { echo "virsh screenshot vs pvgpuctl's: $verdict"; return 1; }
    echo "virsh screenshot equals pvgpuctl's: $verdict"
    verdict=$("$pngcmp" same "$png" "$vnc") || { echo "VNC capture vs pvgpuctl's screenshot: $verdict"; return 1; }
    echo "VNC capture equals pvgpuctl's screenshot: $verdict"
}

# virt_install_domain NAME OSINFO: defines NAME as virt-install writes it
# for OSINFO (its defaults: firmware, TPM, video, sound, USB, channels...),
# with no disk and TCG (nested KVM does not work on our test machines);
# libvirt's default emulator is our QEMU (libvirtd-env.sh --qemu)
virt_install_domain() {
    local name=$1 osinfo=$2 xml=$work/xml/$1.xml err
    remove_domain "$name"
    err=$(virt-install --connect "$uri" --print-xml --name "$name" --osinfo "$osinfo" \
        --virt-type qemu --memory 2048 --vcpus 2 --disk none --import \
        --noautoconsole 2>&1 > "$xml") || fail "virt-install --print-xml for $osinfo: $err"
    local emulator
    emulator=$(sed -n 's|.*<emulator>\(.*\)</emulator>.*|\1|p' "$xml")
    [ "$(readlink -f "$emulator")" = "$(readlink -f "$qemu")" ] \
        || fail "virt-install's emulator is '$emulator', not our QEMU"
    # the description marks it as a test domain (remove_domain, cleanup)
    sed -i "0,/<name>$name<\/name>/s||<name>$name</name>\n  <description>$marker_description</description>|" "$xml"
    virsh_ define "$xml" >/dev/null || fail "virsh define the virt-install domain $name"
}

# default_network_up: libvirt's "default" NAT network, as Debian's
# libvirt-daemon-system defines it (in our network namespace)
default_network_up() {
    if ! virsh_ net-info default >/dev/null 2>&1; then
        virsh_ net-define "$default_network_xml" >/dev/null \
            || fail "virsh net-define Debian's default network"
    fi
    if [ "$(virsh_ net-info default | awk '/^Active:/ {print $2}')" != yes ]; then
        virsh_ net-start default >/dev/null || fail "virsh net-start default"
    fi
}

# Domains as virt-install writes them for Windows 11 (UEFI with Secure
# Boot, TPM 2.0 emulator, Hyper-V enlightenments, ...) and Debian 11
# (SPICE, USB redirection, ich9 sound, virtio devices, ...) start with pvgpu
# enabled, their backend connects, and they stop cleanly.
case_virt_install_domains_start() {
    local name osinfo devices
    trap 'virsh_ destroy vi-win11 >/dev/null 2>&1; virsh_ destroy vi-debian11 >/dev/null 2>&1' EXIT
    # the clean-up check counts every backend of this run
    virsh_ destroy win-vm >/dev/null 2>&1
    default_network_up
    for osinfo in win11 debian11; do
        name=vi-$osinfo
        virt_install_domain "$name" "$osinfo"
        devices=$(virsh_ dumpxml --inactive "$name" | python3 -c '
import sys, xml.etree.ElementTree as ET
d = ET.parse(sys.stdin).getroot()
def kind(e):
    m = e.find("model")
    return e.get("model") or (m.get("type") if m is not None else None) or e.get("type") or ""
parts = [e.tag + "=" + kind(e) for e in d.find("devices") if e.tag != "emulator"]
fw = d.find("os").get("firmware") or ("loader" if d.find("os/loader") is not None else "bios")
print("firmware=" + fw, " ".join(sorted(set(parts))))')
        echo "# $osinfo: $devices"
        "$pvgpuctl" enable "$name" --shmem 64M >/dev/null || fail "pvgpuctl enable $name"
        start_domain "$name"
        wait_for "backend of $name connected and ready" 60 backend_connected_and_ready "$name"
        destroy_and_assert_cleaned_up "$name"
        remove_domain "$name"
    done
}

# A Linux guest with the pvgpu driver (the demo's) writes on its framebuffer
# console: `virsh screenshot` (QEMU's console) and a VNC viewer show what
# `pvgpuctl screenshot` (the backend's frame) shows, pixel for pixel.
case_virsh_screenshot_matches_pvgpuctl() {
    local built kernel initrd guest=$work/guest
    trap 'virsh_ destroy shot-vm >/dev/null 2>&1' EXIT
    # the clean-up check counts every backend of this run
    virsh_ destroy win-vm >/dev/null 2>&1
    built=$(bash "$build_guest" "$guest" 2> "$work/guest-build.log" | tail -n 1) \
        || fail "cannot build the guest: $(tail -n 20 "$work/guest-build.log")"
    read -r kernel initrd <<<"$built"
    # libvirt labels kernel and initrd for the domain's QEMU user: copies,
    # so that the shared kernel cache keeps its owner
    cp "$kernel" "$guest/vmlinuz" || fail "cannot copy the guest kernel"
    remove_domain shot-vm
    domain_xml shot-vm | sed \
        -e "s|</os>|  <kernel>$guest/vmlinuz</kernel>\n    <initrd>$initrd</initrd>\n    <cmdline>console=ttyS0 quiet vt.global_cursor_default=0</cmdline>\n  </os>|" \
        -e "s|<memory unit='MiB'>256</memory>|<memory unit='MiB'>512</memory>|" \
        -e "s|<video>|<graphics type='vnc'><listen type='socket'/></graphics>\n    <video>|" \
        > "$work/xml/shot-vm.xml"
    virsh_ define "$work/xml/shot-vm.xml" >/dev/null || fail "virsh define shot-vm"
    "$pvgpuctl" enable shot-vm --shmem 64M >/dev/null || fail "pvgpuctl enable shot-vm"
    start_domain shot-vm
    local verdict deadline=$((SECONDS + 240))
    until verdict=$(shots_agree 2>&1); do
        [ $SECONDS -lt $deadline ] || fail "the screenshots never agreed on the guest's console: $verdict"
        sleep 1
    done
    echo "$verdict" | sed 's/^/# /'
    destroy_and_assert_cleaned_up shot-vm
    remove_domain shot-vm
}

case_destroy_cleans_up() {
    backend_connected_and_ready win-vm || running_pvgpu_domain win-vm
    destroy_and_assert_cleaned_up win-vm "$(backend_pid_of win-vm)"
}

case_backend_crash() {
    running_pvgpu_domain win-vm
    local pid qemu_pid out rc=0
    pid=$(backend_pid_of win-vm)
    qemu_pid=$(qemu_pid_of win-vm)
    kill -KILL "$pid"
    wait_for "killed backend $pid gone" 10 eval "! pid_alive $pid"
    out=$("$pvgpuctl" status win-vm) || rc=$?
    [ $rc -eq 3 ] || fail "pvgpuctl status after a backend crash exited $rc (want 3): $out"
    grep -qE '^Health: +unreachable$' <<<"$out" || fail "pvgpuctl status text after a backend crash: $out"
    rc=0
    out=$("$pvgpuctl" status win-vm --json) || rc=$?
    [ $rc -eq 3 ] || fail "pvgpuctl status --json after a backend crash exited $rc (want 3): $out"
    pvgpuctl_json_expect win-vm "$out" unreachable || fail "pvgpuctl status --json after a backend crash: $out"
    [ "$(domstate win-vm)" = running ] || fail "win-vm state after the backend crash: $(domstate win-vm)"
    pid_alive "$qemu_pid" || fail "QEMU (pid $qemu_pid) died with the backend"
    destroy_and_assert_cleaned_up win-vm
}

case_libvirtd_restart_keeps_backend() {
    running_pvgpu_domain win-vm
    local pid qemu_pid
    pid=$(backend_pid_of win-vm)
    qemu_pid=$(qemu_pid_of win-vm)
    libvirtd_env restart || fail "libvirtd-env.sh restart"
    wait_for_reconnect win-vm
    [ "$(domstate win-vm)" = running ] || fail "win-vm state after the restart: $(domstate win-vm)"
    [ "$(qemu_pid_of win-vm)" = "$qemu_pid" ] || fail "QEMU pid changed over the restart"
    pid_alive "$qemu_pid" || fail "QEMU died over the restart"
    [ "$(backend_pid_of win-vm)" = "$pid" ] || fail "reconnect replaced a healthy backend"
    pid_alive "$pid" || fail "backend died over the restart"
    [ "$(backend_pids)" = "$pid" ] || fail "expected exactly one backend, found: $(backend_pids)"
    backend_connected_and_ready win-vm || fail "backend not connected after the restart"
}

case_libvirtd_restart_restarts_backend() {
    backend_connected_and_ready win-vm || running_pvgpu_domain win-vm
    local pid qemu_pid
    pid=$(backend_pid_of win-vm)
    qemu_pid=$(qemu_pid_of win-vm)
    kill -KILL "$pid"
    wait_for "killed backend $pid gone" 10 eval "! pid_alive $pid"
    libvirtd_env restart || fail "libvirtd-env.sh restart"
    wait_for_reconnect win-vm
    [ "$(domstate win-vm)" = running ] || fail "win-vm state after the restart: $(domstate win-vm)"
    [ "$(qemu_pid_of win-vm)" = "$qemu_pid" ] || fail "QEMU pid changed over the restart"
    local new
    new=$(backend_pid_of win-vm)
    [ "$new" != "$pid" ] || fail "pidfile still names the killed backend $pid"
    pid_alive "$new" || fail "no backend running after reconnect (pidfile: $new)"
    wait_for "device reconnected to the new backend" 60 backend_connected_and_ready win-vm
    local out
    out=$("$pvgpuctl" status win-vm --json) || fail "pvgpuctl status after reconnect exited $?: $out"
    pvgpuctl_json_expect win-vm "$out" ok || fail "pvgpuctl status --json after reconnect: $out"
    destroy_and_assert_cleaned_up win-vm "$new"
}

case_invalid_metadata_refused() {
    remove_domain win-vm
    define_domain win-vm
    "$pvgpuctl" enable win-vm --shmem 256M >/dev/null || fail "pvgpuctl enable"
    local xml=$work/xml/win-vm-3M.xml
    virsh_ dumpxml --inactive win-vm | sed 's/\(<pvgpu:gpu[^>]* shmem="\)[^"]*"/\13M"/' > "$xml"
    grep -q 'shmem="3M"' "$xml" || fail "could not edit the metadata: $(cat "$xml")"
    virsh_ define "$xml" >/dev/null || fail "virsh define of the edited XML"
    local out
    out=$(refused_start win-vm) || exit 1
    grep -qi 'hook' <<<"$out" || fail "start refused, but not by the hook: $out"
    grep -q 'shmem' <<<"$out" || fail "the refusal does not name the shmem attribute: $out"
    grep -q '3M' <<<"$out" || fail "the refusal does not quote the bad value: $out"
    echo "# virsh said: $(tail -n1 <<<"$out")"
}

case_missing_backend_refused() {
    remove_domain win-vm
    define_domain win-vm
    "$pvgpuctl" enable win-vm --shmem 256M >/dev/null || fail "pvgpuctl enable"
    local missing=$work/no-such-dir/pvgpu-backend
    libvirtd_env start "PVGPU_BACKEND=$missing" || fail "reinstalling the hook"
    local out rc=0
    out=$(refused_start win-vm) || rc=$?
    libvirtd_env start || fail "restoring the hook"
    [ $rc -eq 0 ] || exit 1
    grep -qF "$missing" <<<"$out" || fail "the refusal does not name $missing: $out"
    echo "# virsh said: $(tail -n1 <<<"$out")"
}

# pvgpuctl on a running domain changes only the persistent definition.
case_enable_running_domain() {
    remove_domain win-vm
    define_domain win-vm
    start_domain win-vm
    local out rc=0
    out=$("$pvgpuctl" enable win-vm --shmem 256M) || rc=$?
    [ $rc -eq 0 ] || fail "pvgpuctl enable on a running domain exited $rc: $out"
    grep -qxF "The domain is running: this takes effect at its next start." <<<"$out" \
        || fail "pvgpuctl enable on a running domain does not say when it applies: $out"
    check definition "$(uuid_of win-vm)" "$runtime" < <(virsh_ dumpxml --inactive win-vm) \
        || fail "persistent definition after enable"
    ! virsh_ dumpxml win-vm | matches -q 'urn:x-pvgpu' || fail "the live definition got pvgpu metadata"
    assert_runs_without_pvgpu win-vm
    out=$("$pvgpuctl" status win-vm --json) || fail "pvgpuctl status of the pending domain exited $?: $out"
    json_is "$out" 'd["health"]' '"not-running"' && json_is "$out" '"next start" in d["health_detail"]' true \
        || fail "pvgpuctl status of the pending domain: $out"
    virsh_ destroy win-vm >/dev/null || fail "virsh destroy win-vm"
    start_domain win-vm
    wait_for "backend of win-vm connected and ready" 30 backend_connected_and_ready win-vm
    destroy_and_assert_cleaned_up win-vm "$(backend_pid_of win-vm)"
}

# A hand edit of our <qemu:arg> through the libvirt API: the hook refuses
# the start, pvgpuctl sync repairs the definition, then the start works.
case_sync_repairs_hand_edited_arg() {
    remove_domain win-vm
    define_domain win-vm
    "$pvgpuctl" enable win-vm --shmem 256M >/dev/null || fail "pvgpuctl enable"
    local xml=$work/xml/win-vm-edited.xml
    virsh_ dumpxml --inactive win-vm \
        | sed "s/\(<qemu:arg value=.pvgpu,[^'\"]*\)addr=0x1e,shmem_size=256M/\1addr=0x10,shmem_size=64M/" > "$xml"
    grep -q 'addr=0x10,shmem_size=64M' "$xml" || fail "could not edit the QEMU argument: $(cat "$xml")"
    virsh_ define "$xml" >/dev/null || fail "virsh define of the edited XML"
    virsh_ dumpxml --inactive win-vm | matches -q 'addr=0x10,shmem_size=64M' \
        || fail "libvirt did not keep the edited argument"
    local out rc=0
    out=$(refused_start win-vm) || exit 1
    grep -qF "run: pvgpuctl sync win-vm" <<<"$out" || fail "the refusal does not point at pvgpuctl sync: $out"
    echo "# virsh said: $(tail -n1 <<<"$out")"
    out=$("$pvgpuctl" sync win-vm) || rc=$?
    [ $rc -eq 0 ] || fail "pvgpuctl sync exited $rc: $out"
    grep -qF "QEMU arguments re-derived from the pvgpu metadata" <<<"$out" || fail "pvgpuctl sync said: $out"
    check definition "$(uuid_of win-vm)" "$runtime" < <(virsh_ dumpxml --inactive win-vm) \
        || fail "definition after pvgpuctl sync"
    out=$("$pvgpuctl" sync win-vm) || fail "second pvgpuctl sync exited $?: $out"
    grep -qF "already match" <<<"$out" || fail "second pvgpuctl sync changed something: $out"
    start_domain win-vm
    wait_for "backend of win-vm connected and ready" 30 backend_connected_and_ready win-vm
    local pci
    pci=$(virsh_ qemu-monitor-command win-vm '{"execute":"query-pci"}') || fail "QMP query-pci"
    check query-pci <<<"$pci" || fail "QMP query-pci after sync: $pci"
    destroy_and_assert_cleaned_up win-vm "$(backend_pid_of win-vm)"
}

# disable on the real daemon (the test driver drops <qemu:commandline>):
# our metadata and arguments go, the user's stay.
case_disable_removes_ours_only() {
    remove_domain win-vm
    domain_xml win-vm \
        | sed -e "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
              -e "s|</domain>|  <metadata><app:note xmlns:app='urn:example:app'>keep</app:note></metadata>\n  <qemu:commandline><qemu:arg value='-msg'/><qemu:arg value='timestamp=on'/></qemu:commandline>\n</domain>|" \
        > "$work/xml/win-vm-user.xml"
    virsh_ define "$work/xml/win-vm-user.xml" >/dev/null || fail "virsh define win-vm with user additions"
    local user='args -msg timestamp=on; metadata {urn:example:app}note'
    [ "$(check others < <(virsh_ dumpxml --inactive win-vm))" = "$user" ] \
        || fail "libvirt did not keep the user additions: $(virsh_ dumpxml --inactive win-vm)"
    "$pvgpuctl" enable win-vm --shmem 256M >/dev/null || fail "pvgpuctl enable"
    virsh_ dumpxml --inactive win-vm | matches -q 'urn:x-pvgpu:domain:1.0' || fail "enable wrote no metadata"
    start_domain win-vm
    wait_for "backend of win-vm connected and ready" 30 backend_connected_and_ready win-vm
    local pid out rc=0
    pid=$(backend_pid_of win-vm)

    out=$("$pvgpuctl" disable win-vm) || rc=$?
    [ $rc -eq 0 ] || fail "pvgpuctl disable exited $rc: $out"
    grep -qF "keeps its pvgpu device until it stops" <<<"$out" || fail "pvgpuctl disable of a running domain said: $out"
    local after
    after=$(check others < <(virsh_ dumpxml --inactive win-vm)) || fail "pvgpu left in the definition after disable"
    [ "$after" = "$user" ] || fail "disable changed the user additions: $after"
    backend_connected_and_ready win-vm || fail "disable stopped the backend of the running domain"
    destroy_and_assert_cleaned_up win-vm "$pid"

    start_domain win-vm
    assert_runs_without_pvgpu win-vm
    tr '\0' ' ' < "/proc/$(qemu_pid_of win-vm)/cmdline" | matches -qF -- '-msg timestamp=on' \
        || fail "the user's QEMU argument is not on QEMU's command line"
    out=$("$pvgpuctl" disable win-vm) || fail "second pvgpuctl disable exited $?: $out"
    grep -qF "nothing to remove" <<<"$out" || fail "second pvgpuctl disable said: $out"
    virsh_ destroy win-vm >/dev/null || fail "virsh destroy win-vm"
    remove_domain win-vm
}

# connect_as USER SOCKET: exit 0 when USER may connect to SOCKET.
connect_as() {
    setpriv --reuid="$1" --regid="$1" --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
' "$2"
}

# Two VMs with QEMUs of different users (the second with a DAC label of
# its own): each backend runs as its QEMU's user, and neither QEMU's user
# can even connect to the other VM's device socket.
case_domains_isolated_by_dac_label() {
    running_pvgpu_domain win-vm
    remove_domain iso-vm
    domain_xml iso-vm | sed "s|</domain>|<seclabel type='static' model='dac' relabel='yes'><label>+64300:+64300</label></seclabel>\n</domain>|" \
        > "$work/xml/iso-vm.xml"
    virsh_ define "$work/xml/iso-vm.xml" >/dev/null || fail "virsh define iso-vm"
    "$pvgpuctl" enable iso-vm --shmem 64M >/dev/null || fail "pvgpuctl enable iso-vm"
    start_domain iso-vm
    wait_for "backend of iso-vm connected and ready" 30 backend_connected_and_ready iso-vm
    [ "$(ps -o uid= -p "$(qemu_pid_of iso-vm)" | tr -d ' ')" = 64300 ] || fail "iso-vm's QEMU is not uid 64300"
    [ "$(ps -o uid= -p "$(backend_pid_of iso-vm)" | tr -d ' ')" = 64300 ] || fail "iso-vm's backend is not uid 64300"
    local win_sock iso_sock
    win_sock=$(runtime_dir_of win-vm)/device.sock
    iso_sock=$(runtime_dir_of iso-vm)/device.sock
    connect_as 64300 "$iso_sock" 2>/dev/null || fail "uid 64300 cannot reach its own socket (test is broken)"
    ! connect_as 64300 "$win_sock" 2>/dev/null || fail "iso-vm's QEMU user can connect to win-vm's backend"
    ! connect_as libvirt-qemu "$iso_sock" 2>/dev/null || fail "win-vm's QEMU user can connect to iso-vm's backend"
    backend_connected_and_ready win-vm || fail "win-vm lost its backend"
    backend_connected_and_ready iso-vm || fail "iso-vm lost its backend"
    virsh_ destroy win-vm >/dev/null || fail "virsh destroy win-vm"
    destroy_and_assert_cleaned_up iso-vm
    remove_domain iso-vm
}

case_no_sanitizer_reports() {
    local reports
    reports=$(find "$sanitizer" -type f)
    [ -z "$reports" ] || fail "sanitizer reports of the hook or backend:
$(for f in $reports; do echo "== $f"; cat "$f"; done)"
}

case_libvirtd_stops() {
    remove_domain win-vm
    remove_domain plain-vm
    remove_domain iso-vm
    remove_domain shot-vm
    remove_domain vi-win11
    remove_domain vi-debian11
    if virsh_ net-info default >/dev/null 2>&1; then
        virsh_ net-destroy default >/dev/null 2>&1
        virsh_ net-undefine default >/dev/null || fail "virsh net-undefine default"
    fi
    libvirtd_env stop || fail "libvirtd-env.sh stop"
    local rc=0
    bash "$env_script" status >/dev/null || rc=$?
    [ $rc -eq 3 ] || fail "libvirtd-env.sh status after stop exited $rc (want 3)"
    [ ! -e /etc/libvirt/hooks/qemu.d/pvgpu ] || ! grep -qF "$hook" /etc/libvirt/hooks/qemu.d/pvgpu \
        || fail "test hook still installed"
    ! grep -q 'written by scripts/libvirtd-env.sh' /etc/libvirt/qemu.conf 2>/dev/null \
        || fail "/etc/libvirt/qemu.conf not restored"
}

# The machine's libvirt saw nothing of all this: its configuration is as
# before, and no test domain is known to its daemon (if one runs).
case_host_libvirt_untouched() {
    [ "$(host_libvirt_fingerprint)" = "$PVGPU_E2E_HOST_LIBVIRT" ] \
        || fail "the machine's /etc/libvirt changed during the tests"
    ! ls /proc/1/root/etc/libvirt/qemu/win-vm.xml /proc/1/root/etc/libvirt/qemu/plain-vm.xml 2>/dev/null \
        || fail "a test domain is defined in the machine's libvirt"
    ! grep -qF "$hook" /proc/1/root/etc/libvirt/hooks/qemu.d/pvgpu 2>/dev/null \
        || fail "the machine's libvirt has the test hook"
}

# ------------------------------------------------------------------ runner

cases=(
    libvirtd_starts
    plain_domain_untouched
    enable_writes_definition
    start_runs_backend
    device_connected
    screenshot_without_scanout
    virsh_screenshot_matches_pvgpuctl
    virt_install_domains_start
    destroy_cleans_up
    backend_crash
    libvirtd_restart_keeps_backend
    libvirtd_restart_restarts_backend
    invalid_metadata_refused
    missing_backend_refused
    enable_running_domain
    sync_repairs_hand_edited_arg
    disable_removes_ours_only
    domains_isolated_by_dac_label
    no_sanitizer_reports
    libvirtd_stops
    host_libvirt_untouched
)

if [ -n "${PVGPU_E2E_CASES:-}" ]; then
    for name in $PVGPU_E2E_CASES; do
        declare -F "case_$name" >/dev/null || { echo "Bail out! PVGPU_E2E_CASES: no case $name"; exit 1; }
    done
    read -r -a cases <<<"libvirtd_starts $PVGPU_E2E_CASES libvirtd_stops"
fi

cleanup() {
    local name
    for name in win-vm plain-vm iso-vm shot-vm vi-win11 vi-debian11; do
        if virsh -q -c "$uri" desc "$name" 2>/dev/null | matches -qxF "$marker_description"; then
            virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1
            virsh -q -c "$uri" undefine --nvram "$name" >/dev/null 2>&1
        fi
    done
    virsh -q -c "$uri" net-destroy default >/dev/null 2>&1
    bash "$env_script" stop >/dev/null 2>&1
    local pid
    for pid in $(pgrep -f -- "--control-socket=$runtime/"); do
        kill -KILL "$pid" 2>/dev/null
    done
    if [ -n "${PVGPU_E2E_KEEP_LOGS:-}" ]; then
        mkdir -p "$PVGPU_E2E_KEEP_LOGS" && cp -r "$work/cases" "$logs" "$PVGPU_E2E_KEEP_LOGS/"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The daemons' logs (libvirtd-env.sh: <daemon>.log in its state dir).
daemon_logs=()
for daemon_name in libvirtd virtlogd virtnetworkd virtsecretd virtqemud; do
    daemon_logs+=("$PVGPU_LIBVIRTD_STATE/$daemon_name.log")
done
log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

echo "1..${#cases[@]}"
number=0
failed=0
for name in "${cases[@]}"; do
    number=$((number + 1))
    log=$work/cases/$name.log
    declare -A log_start=()
    for daemon_log in "${daemon_logs[@]}"; do log_start[$daemon_log]=$(log_size "$daemon_log"); done
    case_start=$SECONDS
    ( set -uo pipefail; "case_$name" ) > "$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok $number - ${name//_/ }"
        echo "# took $((SECONDS - case_start)) s"
        grep '^# ' "$log"
    else
        failed=$((failed + 1))
        echo "not ok $number - ${name//_/ }"
        sed 's/^/# /' "$log"
        for daemon_log in "${daemon_logs[@]}"; do
            if [ "$(log_size "$daemon_log")" -gt "${log_start[$daemon_log]}" ]; then
                echo "# $(basename "$daemon_log" .log)'s log during this case:"
                tail -c +$((log_start[$daemon_log] + 1)) "$daemon_log" | tail -n 20 | sed 's/^/#   /'
            fi
        done
        if [ "$name" = libvirtd_starts ]; then
            echo "Bail out! no $daemon to test with"
            exit 1
        fi
    fi
done
[ $failed -eq 0 ]
