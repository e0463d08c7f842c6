#!/usr/bin/env bash
# Boot test (TAP): a Linux guest drives the PVGPU device through pvgpu.ko.
#
# Builds pvgpu.ko against the Debian guest kernel's headers
# (scripts/fetch-guest-kernel.sh), a static drmtest and an initramfs, starts
# pvgpu-backend, boots the guest under TCG and follows it on the serial
# console (init.sh prints "@@" lines and waits for "go TAG" from us).
# Checks, in order:
#   the module builds without warnings, loads and binds; fbcon text is in a
#   backend screenshot; a VNC viewer asks for 800x600 (SetDesktopSize) and
#   the guest follows (fbcon, the backend's scanout, QEMU's framebuffer and
#   drmtest's preferred mode become 800x600); drmtest's pattern is in a
#   screenshot pixel for pixel, and so are QMP screendump and a SPICE
#   client's capture (spicy-screenshot); drmtest's cursor is a VNC
#   viewer's pointer shape; the backend is SIGKILLed: the guest sees DEVICE_LOST, a frame
#   drawn meanwhile fails fast instead of waiting, and once the backend is
#   restarted on the same socket that frame appears without a redraw, and
#   a new one after it; garbage commands are counted by the backend, which
#   still shows the next frame; three laps around the ring (padding NOPs)
#   complete without errors and the next frame shows; interrupts per
#   vector, fences (all complete on an idle ring, none timed out), errors
#   and wraps in debugfs; rmmod is clean, no kernel warning; poweroff.
# With --intx the device offers no MSI-X, the backend starts only after
# the driver probed (so the display comes up through the DEVICE vector), and
# the run stops after the first frame: the INTx fallback must carry the
# same fences and frames.
#
# Environment (set by tests/guest/meson.build):
#   PVGPU_SOURCE_ROOT  repository root      PVGPU_QEMU     qemu-system-x86_64
#   PVGPU_BACKEND      pvgpu-backend        PVGPU_PNGCMP   pngcmp
#   PVGPU_VNC_RESIZE   vnc-resize (tests/guest/vnc-resize.c)
#   PVGPU_VNC_CURSOR   vnc-cursor (tests/guest/vnc-cursor.c)
#   PVGPU_CACHE        kernel cache (default /var/cache/pvgpu)
#   PVGPU_KEEP_WORKDIR=1 keeps the work directory (logs, screenshots)
set -uo pipefail

mode=full
if [ "${1:-}" = "--intx" ]; then
    mode=intx
fi

src=${PVGPU_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
qemu=${PVGPU_QEMU:-}
backend=${PVGPU_BACKEND:-}
pngcmp=${PVGPU_PNGCMP:-}
vncresize=${PVGPU_VNC_RESIZE:-}
vnccursor=${PVGPU_VNC_CURSOR:-}

BOOT_TIMEOUT=180     # seconds from QEMU start to the driver's first report
STEP_TIMEOUT=60      # any later step of the guest
SCREEN_TIMEOUT=60    # until a screenshot shows what it should

n=0
failures=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
diag() { sed 's/^/# /'; }
seen() { await "$@" > /dev/null; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

for tool in socat objcopy make gcc; do
    command -v "$tool" >/dev/null || skip_all "$tool not installed (scripts/setup.sh)"
done
[ -n "$qemu" ] && [ -x "$qemu" ] || skip_all "no QEMU with pvgpu (meson -Dqemu=...)"
[ -n "$backend" ] && [ -x "$backend" ] || skip_all "pvgpu-backend is not built"
[ -n "$pngcmp" ] && [ -x "$pngcmp" ] || skip_all "pngcmp is not built"
[ -n "$vncresize" ] && [ -x "$vncresize" ] || skip_all "vnc-resize is not built"
[ -n "$vnccursor" ] && [ -x "$vnccursor" ] || skip_all "vnc-cursor is not built"

work=$(mktemp -d "${TMPDIR:-/tmp}/pvgpu-guest.XXXXXX")
serial=$work/serial.log
sock=$work/backend.sock
ctl_sock=$work/control.sock
qemu_pid=
backend_pid=
qin=

cleanup() {
    local pid
    for pid in $qemu_pid $backend_pid; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "$failures" -ne 0 ] || [ -n "${PVGPU_KEEP_WORKDIR:-}" ]; then
        echo "# logs and screenshots kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

bail() {
    failures=$((failures + 1))
    echo "# $*"
    if [ -s "$serial" ]; then
        echo "# last lines of the serial console:"
        tail -n 30 "$serial" | tr -d '\r' | diag
    fi
    if [ -s "$work/backend.log" ]; then
        echo "# last lines of the backend log:"
        tail -n 15 "$work/backend.log" | diag
    fi
    echo "Bail out! $*"
    exit 1
}

# ---- building -----------------------------------------------------------

if built=$("$src/scripts/build-guest.sh" "$work" "$src/tests/guest/init.sh" \
        2> "$work/build.log" | tail -n 1) && [ -n "$built" ]; then
    read -r kernel initrd <<< "$built"
    ok "guest kernel, pvgpu.ko, drmtest and initramfs built (scripts/build-guest.sh)"
else
    tail -n 30 "$work/build.log" | diag
    bail "cannot build the guest (scripts/build-guest.sh)"
fi
warnings=$(grep -E 'warning:' "$work/module.log")
[ -z "$warnings" ] || echo "$warnings" | diag
check "pvgpu.ko builds without compiler warnings" test -z "$warnings"

# ---- the backend and its control socket ---------------------------------

control() { # one JSON request, its one-line answer on stdout
    printf '%s\n' "$1" | timeout 15 socat -t 5 - "UNIX-CONNECT:$ctl_sock" \
        2>/dev/null | head -n 1
}

start_backend() {
    local deadline=$((SECONDS + 20))
    "$backend" --socket-path="$sock" --control-socket="$ctl_sock" \
        >> "$work/backend.log" 2>&1 &
    backend_pid=$!
    while [ $SECONDS -lt $deadline ]; do
        if control '{"command":"status"}' | grep -q '"ok" *: *true'; then
            return 0
        fi
        kill -0 "$backend_pid" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# backend_scanout: "WIDTHxHEIGHT" of the backend's scanout (status)
backend_scanout() {
    control '{"command":"status"}' | grep -o '"scanout" *: *{[^}]*}' |
        sed -n 's/.*"width" *: *\([0-9]*\).*"height" *: *\([0-9]*\).*/\1x\2/p'
}

# backend_counter NAME: a counter from the status answer
backend_counter() {
    control '{"command":"status"}' |
        grep -o "\"$1\" *: *[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}

# screenshot_until NAME CHECK-ARGS...: takes screenshots until pngcmp
# accepts one (bounded); its last verdict is on stdout
screenshot_until() {
    local name=$1 deadline=$((SECONDS + SCREEN_TIMEOUT)) i=0 png answer
    shift
    while :; do
        i=$((i + 1))
        png=$work/$name-$i.png
        rm -f "$png"
        answer=$(control "{\"command\":\"screenshot\",\"path\":\"$png\"}")
        if [ -f "$png" ]; then
            verdict=$("$pngcmp" "$1" "$png" "${@:2}")
            status=$?
            if [ $status -eq 0 ]; then
                echo "$verdict"
                mv "$png" "$work/$name.png"
                rm -f "$work/$name"-[0-9]*.png
                return 0
            fi
        else
            verdict="no screenshot: ${answer:-no answer}"
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "$verdict"
            return 1
        fi
        # keep only the latest failed screenshot
        [ $i -gt 1 ] && rm -f "$work/$name-$((i - 1)).png"
        sleep 0.5
    done
}

# qmp COMMAND-JSON: runs one QMP command on QEMU's monitor socket; its
# answer (after the greeting and capabilities) on stdout
qmp() {
    printf '%s\n%s\n' '{"execute":"qmp_capabilities"}' "$1" |
        timeout 15 socat -t 5 - "UNIX-CONNECT:$work/qmp.sock" 2>/dev/null |
        sed -n 3p
}

# console_until NAME CHECK-ARGS...: dumps QEMU's pvgpu console (QMP
# screendump, what virsh screenshot and VNC read) until pngcmp accepts the
# dump (bounded); its last verdict is on stdout
console_until() {
    local name=$1 deadline=$((SECONDS + SCREEN_TIMEOUT)) ppm=$work/$1.ppm
    shift
    while :; do
        rm -f "$ppm"
        answer=$(qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$ppm\",\"device\":\"pvgpu0\"}}")
        if [ -f "$ppm" ]; then
            verdict=$("$pngcmp" "$1" "$ppm" "${@:2}") && { echo "$verdict"; return 0; }
        else
            verdict="no screendump: ${answer:-no answer}"
        fi
        [ $SECONDS -lt $deadline ] || { echo "$verdict"; return 1; }
        sleep 0.5
    done
}

if [ "$mode" = full ]; then
    start_backend || bail "pvgpu-backend does not answer on its control socket"
    ok "pvgpu-backend started before the guest"
fi

# ---- the guest ------------------------------------------------------------

# await REGEX [TIMEOUT]: the first console line "@@<REGEX>...", without "@@"
await() {
    local re=$1 deadline=$((SECONDS + ${2:-$STEP_TIMEOUT})) line
    while :; do
        line=$(tr -d '\r' < "$serial" | grep -a -m 1 -E "^@@($re)")
        if [ -n "$line" ]; then
            echo "${line#@@}"
            return 0
        fi
        kill -0 "$qemu_pid" 2>/dev/null || return 1
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

send() { printf '%s\n' "$*" >&"$qin"; }

# counter NAME [TAG]: a debugfs counter the guest printed at its end, or
# in the snapshot TAG taken with snapshot()
counter() {
    tr -d '\r' < "$serial" | sed -n "s/^@@${2:-counter} $1 //p" | head -n 1
}

# snapshot TAG: drmtest prints the debugfs counters as "@@TAG name value"
snapshot() {
    send "show $1 $knobs/counters"
    seen "$1-end" || bail "no counter snapshot $1 from the guest"
}

msi=on
[ "$mode" = intx ] && msi=off
mkfifo "$work/serial.in"
"$qemu" -nodefaults -display none -serial stdio -M q35 -accel tcg -m 512 \
    -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 quiet panic=-1" \
    -qmp "unix:$work/qmp.sock,server=on,wait=off" \
    -vnc "unix:$work/vnc.sock" \
    -spice "unix=on,addr=$work/spice.sock,disable-ticketing=on" \
    -device "pvgpu,id=pvgpu0,shmem_size=64M,backend_pipe=$sock,msi=$msi" \
    < "$work/serial.in" > "$serial" 2> "$work/qemu.log" &
qemu_pid=$!
exec {qin}> "$work/serial.in"

await "insmod" "$BOOT_TIMEOUT" > /dev/null || bail "the guest did not get to load pvgpu.ko"
check "pvgpu.ko loads" test "$(await insmod)" = "insmod 0"
bound=$(await "bound " | cut -d' ' -f2)
check "pvgpu binds the PCI device ($bound, sysfs)" test -n "$bound"
if [ "$mode" = full ]; then
    check "the driver reports the device bound with a backend (dmesg)" \
        seen "dmesg .*PVGPU 1\.0 bound: .*backend ready" 1
else
    check "without a backend the driver still binds (dmesg)" \
        seen "dmesg .*PVGPU 1\.0 bound: .*no backend yet" 1
    start_backend || bail "pvgpu-backend does not answer on its control socket"
    ok "pvgpu-backend started after the driver probed"
fi
check "the DRM card node appears" seen "card0 yes"
check "the fbdev node appears" seen "fb0 yes"
knobs=$(await "knobs " | cut -d' ' -f2)

await "wait fbcon" > /dev/null || bail "the guest did not reach the fbcon step"
verdict=$(screenshot_until console console); st=$?
check "fbcon text is in the backend's screenshot ($verdict)" test $st -eq 0
# a viewer window resized: the guest is offered 800x600 (the DISPLAY
# vector, over MSI-X or INTx), and its console (smaller than the fbdev
# buffer, so fbcon can take it) follows
viewer=$("$vncresize" "$work/vnc.sock" 800x600 "$SCREEN_TIMEOUT" 2>&1); st=$?
check "a VNC viewer asks for 800x600 and QEMU's framebuffer becomes 800x600 ($viewer)" \
    test $st -eq 0
offered=$(control '{"command":"status"}' | grep -o '"preferred_mode" *: *{[^}]*}')
check "the backend offers the viewer's size ($offered)" \
    test -n "$(echo "$offered" | grep '"width" *: *800.*"height" *: *600')"
check "the backend's scanout follows: $(backend_scanout)" \
    test "$(backend_scanout)" = 800x600
verdict=$(screenshot_until console_resized console); st=$?
check "fbcon in 800x600 is in the backend's screenshot ($verdict)" \
    test $st -eq 0 -a -n "$(echo "$verdict" | grep '^console 800x600')"
send "go fbcon"

ready=$(await "drmtest (ready|error)") || bail "drmtest did not start"
size=$(echo "$ready" | sed -n 's/^drmtest ready \([0-9]*\)x\([0-9]*\).*/\1 \2/p')
[ -n "$size" ] || bail "drmtest failed: $ready"
check "drmtest finds the viewer's size as the preferred mode ($size)" \
    test "$size" = "800 600"
verdict=$(screenshot_until frame1 pattern 1 $size); st=$?
check "drmtest's frame equals the screenshot ($verdict)" test $st -eq 0
verdict=$(console_until console1 same "$work/frame1.png"); st=$?
check "QEMU's console shows the screenshot pixel for pixel ($verdict)" test $st -eq 0

# small updates as fast as a client sends them: a frame costs no
# interrupt unless the next one has to wait for it
snapshot burst_before
send "dirty 400"
seen "dirtied 400" || bail "drmtest did not finish its small updates"
snapshot burst_after
delta() { echo $(( $(counter "$1" burst_after) - $(counter "$1" burst_before) )); }
check "400 small updates were presented ($(delta presents) presents)" \
    test "$(delta presents)" -eq 400
check "presents raise no interrupt ($(delta irq_display) DISPLAY interrupts)" \
    test "$(delta irq_display)" -eq 0
check "fence interrupts only where a flush waited ($(delta irq_fence) FENCE interrupts, $(delta fence_wakeups) waits armed one)" \
    test "$(delta irq_fence)" -le "$(delta fence_wakeups)"
if [ "$mode" = full ]; then
    spice_shot=$work/spice1.ppm
    if ! command -v spicy-screenshot > /dev/null; then
        verdict="spicy-screenshot is not installed (scripts/setup.sh: spice-client-gtk)"
        st=1
    elif ! timeout 30 spicy-screenshot --uri="spice+unix://$work/spice.sock" \
            -o "$spice_shot" > "$work/spice.log" 2>&1; then
        verdict="no SPICE capture: $(tail -n 1 "$work/spice.log")"
        st=1
    else
        verdict=$("$pngcmp" same "$spice_shot" "$work/frame1.png"); st=$?
    fi
    check "a SPICE client's capture shows the screenshot pixel for pixel ($verdict)" \
        test $st -eq 0

    # the pointer: drmtest's cursor (legacy cursor ioctl) is what a VNC
    # viewer gets as the cursor shape
    send "cursor 4 200 100"
    answer=$(await "cursor ") || bail "drmtest did not answer the cursor step"
    check "drmtest sets a 64x64 cursor ($answer)" test "$answer" = "cursor ok"
    viewer=$("$vnccursor" "$work/vnc.sock" 4 "$SCREEN_TIMEOUT" 2>&1); st=$?
    check "a VNC viewer shows the guest's pointer ($viewer)" test $st -eq 0
fi

if [ "$mode" = full ]; then
    snapshot before_kill
    kill -KILL "$backend_pid"
    wait "$backend_pid" 2>/dev/null
    backend_pid=
    echo "# backend killed with SIGKILL"
    lost_before=$(counter device_lost before_kill)
    lost_now=$lost_before
    deadline=$((SECONDS + STEP_TIMEOUT))
    i=0
    while [ "${lost_now:-0}" -le "${lost_before:-0}" ] && [ $SECONDS -lt $deadline ]; do
        i=$((i + 1))
        snapshot "outage$i"
        lost_now=$(counter device_lost "outage$i")
    done
    check "the guest sees the backend go (DEVICE_LOST: $lost_before -> $lost_now losses)" \
        test "${lost_now:-0}" -gt "${lost_before:-0}"

    # a frame drawn while no backend exists must not block the guest, and
    # it is the one the restarted backend must show
    send "draw 2"
    seen "drawn 2" || bail "drmtest did not draw frame 2 during the outage"
    snapshot outage_drawn
    check "during the outage submissions fail fast, no fence waits for its timeout (failures $(counter submit_failures before_kill) -> $(counter submit_failures outage_drawn), aborted fences $(counter fence_aborts outage_drawn), timeouts $(counter fence_timeouts outage_drawn))" \
        test "$(counter submit_failures outage_drawn)" -gt "$(counter submit_failures before_kill)" \
            -a "$(counter fence_timeouts outage_drawn)" = 0

    echo "# restarting the backend on the same socket"
    start_backend || bail "the backend does not restart"
    verdict=$(screenshot_until recovered pattern 2 $size); st=$?
    check "the restarted backend shows the frame drawn during the outage, without a redraw ($verdict)" \
        test $st -eq 0
    snapshot after_restart
    hs_before=$(counter handshakes before_kill)
    hs_after=$(counter handshakes after_restart)
    rec_before=$(counter recoveries before_kill)
    rec_after=$(counter recoveries after_restart)
    check "the guest rebuilt its scanout after the new handshake (handshakes $hs_before -> $hs_after, recoveries $rec_before -> $rec_after)" \
        test "${hs_after:-0}" -gt "${hs_before:-0}" -a "${rec_after:-0}" -gt "${rec_before:-0}"

    send "draw 3"
    seen "drawn 3" || bail "drmtest did not draw frame 3"
    verdict=$(screenshot_until frame3 pattern 3 $size); st=$?
    check "a new frame after the restart is displayed ($verdict)" test $st -eq 0

    errors_before=$(backend_counter errors)
    commands_before=$(backend_counter commands)
    send "knob garbage $knobs/garbage 1"
    garbage=$(await "garbage ") || bail "no answer to the garbage step"
    check "garbage commands: the guest's fences after them complete ($garbage)" \
        test "$garbage" = "garbage ok"
    errors_after=$(backend_counter errors)
    check "the backend counted the garbage ($errors_before -> $errors_after errors)" \
        test "${errors_after:-0}" -ge $(( ${errors_before:-0} + 3 ))
    send "draw 4"
    seen "drawn 4" || bail "drmtest did not draw frame 4"
    verdict=$(screenshot_until frame4 pattern 4 $size); st=$?
    check "the backend still serves after the garbage ($verdict)" test $st -eq 0
    commands_after=$(backend_counter commands)
    check "the backend executed commands after the garbage ($commands_before -> $commands_after)" \
        test "${commands_after:-0}" -gt $(( ${commands_before:-0} + 3 ))

    send "knob wrap $knobs/wrap 3"
    wrap=$(await "wrap ") || bail "no answer to the wrap step"
    check "three laps around the ring: fences complete, nothing refused ($wrap)" \
        test "$wrap" = "wrap ok"
    send "draw 5"
    seen "drawn 5" || bail "drmtest did not draw frame 5"
    verdict=$(screenshot_until frame5 pattern 5 $size); st=$?
    check "frames still display after the ring wrapped ($verdict)" test $st -eq 0
fi

# while drmtest holds the display nothing else submits: the ring is idle
snapshot idle
send "quit"
check "drmtest releases the display and exits" seen "drmtest_exit 0"
await "rmmod " > /dev/null || bail "the guest did not get to rmmod"

if [ "$mode" = full ]; then
    check "interrupts arrive by MSI-X" test "$(counter irq_mode)" = msix
    check "/proc/interrupts lists the four pvgpu vectors" \
        test "$(tr -d '\r' < "$serial" | grep -c '^@@interrupts .*pvgpu-')" -eq 4
    for v in fence display error device; do
        check "vector $v delivered ($(counter "irq_$v") interrupts)" \
            test "$(counter "irq_$v")" -gt 0
    done
    check "the guest counted the backend's errors ($(counter backend_errors))" \
        test "$(counter backend_errors)" -ge 3
    check "the producer wrapped around the ring end ($(counter ring_wraps) times, $(counter ring_pads) padding NOPs)" \
        test "$(counter ring_wraps)" -ge 3 -a "$(counter ring_pads)" -ge 1
else
    check "interrupts arrive on the INTx line" test "$(counter irq_mode)" = intx
    for v in fence display device; do
        check "vector $v delivered over INTx ($(counter "irq_$v") interrupts)" \
            test "$(counter "irq_$v")" -gt 0
    done
    check "the late backend's handshake reached the driver ($(counter handshakes))" \
        test "$(counter handshakes)" -ge 1
fi
check "fences complete ($(counter fences_completed idle) of $(counter fences_submitted idle))" \
    test "$(counter fences_completed idle)" -gt 0
check "no fence timed out ($(counter fence_timeouts))" \
    test "$(counter fence_timeouts)" = 0
check "on an idle ring every queued fence completed (last id $(counter fence_completed_id idle), ring $(counter consumer idle)/$(counter producer idle))" \
    test "$(counter fence_completed_id idle)" = "$(counter fences_submitted idle)" \
        -a "$(counter consumer idle)" = "$(counter producer idle)"

check "rmmod pvgpu succeeds" seen "rmmod 0"
problems=$(tr -d '\r' < "$serial" | grep -a '^@@kernel_problem' || true)
[ -z "$problems" ] || echo "$problems" | diag
check "no kernel warning, oops or BUG" test -z "$problems"
check "no error reported by the guest's init" \
    test -z "$(tr -d '\r' < "$serial" | grep -a '^@@error')"

await "done" > /dev/null || bail "the guest did not finish"
deadline=$((SECONDS + STEP_TIMEOUT))
while kill -0 "$qemu_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.2
done
wait "$qemu_pid"
qemu_status=$?
qemu_pid=
check "the guest powers off and QEMU exits 0" test "$qemu_status" -eq 0

echo "1..$n"
[ "$failures" -eq 0 ]
