#!/usr/bin/env bash
# NAME
#     display-bench.sh - guest display benchmark: pvgpu against virtio-gpu
#
# SYNOPSIS
#     bench/display-bench.sh [--qemu PATH] [--frames N] [--small-frames N]
#                            [--size WxH] [--rect N] [--warmup-ms N]
#                            [--phases LIST] [--rounds N] [--order LIST]
#                            [--build DIR] [--backend-opt OPT]... [--no-viewer]
#                            [--perf] [--keep] [--json]
#
# DESCRIPTION
#     Boots one Linux guest (Debian's 6.1 kernel, under TCG, one vCPU) in
#     one QEMU with two display devices side by side: pvgpu, served by its
#     pvgpu-backend process, and QEMU's virtio-gpu-pci. Each device's
#     console has a VNC server of its own (-vnc unix:...,display=ID) with a
#     viewer attached: bench/vnc-sink keeps an incremental update request
#     for the whole screen outstanding and copies every rectangle it gets
#     into a frame of its own, as a viewer does. In the guest,
#     bench/guest-display/display-bench sets the same mode (--size) on a
#     dumb buffer on each card and runs each phase on one card, then on the
#     other, phase after phase, --rounds times:
#       fill   rewrites the whole buffer without DIRTYFB: the guest's own
#              drawing, the same for both cards (a reference)
#       full   rewrites the whole buffer, DRM_IOCTL_MODE_DIRTYFB with all of it
#       small  rewrites a --rect square that walks over the screen, DIRTYFB
#              with that square only
#     Frames per second are measured in the guest, over the measured frames
#     and a final synchronization: a frame counts once the host has
#     executed it. pvgpu's dumb buffers live in BAR2; its DIRTYFB submits
#     UPLOAD, PRESENT, FENCE and returns, the next DIRTYFB waiting for that
#     fence first, so its phase ends with four more 1-pixel DIRTYFBs;
#     virtio-gpu's queues TRANSFER_TO_HOST_2D and
#     RESOURCE_FLUSH without a fence and returns, so its phase ends with a
#     fenced virtio-gpu command queued behind them (RESOURCE_CREATE of a
#     1x1 resource, then VIRTGPU_WAIT on it; QEMU runs the queue in order).
#     Before each measured phase the guest waits while this script samples
#     utime+stime (/proc/PID/stat) of QEMU, of QEMU's vCPU thread (named by
#     -name debug-threads=on), of the backend and of the viewers; it
#     samples again when the guest reports the phase's result. Host CPU per
#     frame is the difference divided by the measured frames.
#
#     Why this is fair: both devices end in the same place, a QEMU console
#     whose surface the VNC server reads (virtio-gpu's resource image,
#     pvgpu's frame memfd shared by the backend), after the same call
#     (dpy_gfx_update with the damage); both servers run the same code for
#     the same damage, and each viewer consumes its card's frames at the
#     rate QEMU's VNC refresh (30 ms at best) lets it. The viewer's own CPU
#     is reported apart and is not part of host_ms. With --no-viewer the
#     VNC servers have no client, so QEMU skips comparing and encoding
#     frames: that isolates the devices' cost from the viewer's.
#
#     The build tree (--build) is configured on first use as a release
#     build without tests (sanitizers would slow the backend and the viewer
#     down and favour virtio-gpu, which runs inside the uninstrumented QEMU);
#     the script builds pvgpu-backend, bench/vnc-sink and the static guest
#     program bench/display-bench in it, then the guest's initramfs with
#     scripts/build-guest.sh (pvgpu.ko, and virtio_pci, virtio_gpu and
#     their dependencies through PVGPU_INITRAMFS_MODULES). The guest
#     kernel's fbdev emulation is off, so fbcon draws on neither card.
#
# OPTIONS
#     --qemu PATH     qemu-system-x86_64 with the pvgpu device and
#                     virtio-gpu-pci (default
#                     /var/cache/pvgpu/qemu-build/qemu-system-x86_64)
#     --frames N      measured frames of the fill and full phases, per card
#                     and round (default 300)
#     --small-frames N
#                     measured frames of the small phase, per card and round
#                     (default 3000: they are some ten times faster, and CPU
#                     times are counted in clock ticks of 10 ms)
#     --size WxH      the mode on both cards (default 1024x768); the
#                     backend's --display and virtio-gpu's xres/yres are set
#                     to it, and both connectors must offer it
#     --rect N        side of the small phase's square (default 64)
#     --warmup-ms N   unmeasured frames before each phase, for N ms (default
#                     2000, at least 10 frames): TCG translates the guest's
#                     code, and QEMU's VNC server, whose refresh interval
#                     grows from 30 ms up to 3 s while its console shows no
#                     change, gets back to 30 ms (else the viewer's share
#                     would depend on how long the card was idle before)
#     --phases LIST   comma-separated, of fill, full, small (default
#                     fill,full,small)
#     --rounds N      run all phases N times in the same boot (default 3);
#                     the table shows the median of the rounds
#     --order LIST    comma-separated DRM driver names: the order in which
#                     each phase runs on the cards (default pvgpu,virtio_gpu)
#     --build DIR     meson build tree (default build-display-bench in the
#                     source tree, configured on first use); an existing
#                     tree is used as it is and only the three targets
#                     above are built in it
#     --backend-opt OPT
#                     one more option for pvgpu-backend (repeatable), e.g.
#                     --backend-opt=--poll-us=200
#     --no-viewer     no VNC client (see above)
#     --perf          record perf profiles (perf record -g -F 499) of QEMU
#                     and the backend during each measured phase, as
#                     perf-DRIVER-PHASE-ROUND.data in the work directory
#                     (implies --keep). On a QEMU with -perfmap (8.1 and
#                     later, e.g. the 10.0 build) that option is given and
#                     the guest boots with nokaslr, so guest code shows as
#                     guest-0xADDRESS (QEMU leaves /tmp/perf-PID.map for
#                     perf report). perf costs CPU itself: the numbers of
#                     such a run are not comparable with others
#     --keep          keep the work directory (serial log, results, QEMU,
#                     backend and viewer logs) and print its path
#     --json          one JSON object per phase, card and round, then one
#                     per phase and card with the medians ("median": true),
#                     then the ratios, instead of the table
#     -h, --help      this text
#
# OUTPUT
#     A table, one row per phase and card, each value the median of the
#     rounds:
#       fps         frames per second in the guest (with the final sync)
#       dirty_us    mean time the guest spent inside DIRTYFB per frame
#       host_ms     host CPU per frame: QEMU (all threads) + backend
#       vcpu_ms     of which QEMU's vCPU thread: the guest's own work under
#                   TCG (drawing, the drivers, pvgpu's copy into BAR2)
#       qemu_io_ms  QEMU's other threads: main loop (virtio-gpu's commands,
#                   pvgpu's messages and interrupts), the VNC servers
#       backend_ms  pvgpu-backend (zero for virtio-gpu)
#       viewer_ms   the viewer of that card's VNC server (not in host_ms)
#       vnc_fps     updates that viewer received per second of the phase
#     then, for each phase, the ratios pvgpu / virtio-gpu of fps and of
#     host CPU per frame. --json adds the raw counts: clock ticks
#     (1/CLK_TCK s), frames, guest and host seconds, DIRTYFB's longest
#     call, the final synchronization, the viewer's updates and bytes.
#
# EXIT STATUS
#     0 every phase ran; 1 a build, boot or guest failure, or a kernel
#     warning in the guest (the reason, and the work directory, kept, on
#     stderr); 2 a usage error.
#
# NOTES
#     Run by hand, never by the test suite. The default run takes about
#     100 s on 2 cores, build and boot included. CPU times have the
#     resolution of a clock tick (10 ms): keep phases long enough. The
#     machine's other load changes the numbers (the guest's fps more than
#     the CPU per frame): each phase runs on both cards back to back and
#     the median of the rounds damps bursts.
#
# EXAMPLES
#     bench/display-bench.sh
#     bench/display-bench.sh --no-viewer --json
#     bench/display-bench.sh --frames 500 --size 1280x800 --rounds 5
#     bench/display-bench.sh --perf --rounds 1 \
#         --qemu /var/cache/pvgpu/qemu-10.0-build/qemu-system-x86_64
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
qemu=/var/cache/pvgpu/qemu-build/qemu-system-x86_64
frames=300
small_frames=3000
size=1024x768
rect=64
warmup_ms=2000
phases=fill,full,small
rounds=3
order=pvgpu,virtio_gpu
build=$root/build-display-bench
backend_opts=()
viewer=true
perf=false
keep=false
json=false

usage_error() { echo "display-bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --qemu|--frames|--small-frames|--size|--rect|--warmup-ms|--phases|--rounds|--order|--build|--backend-opt)
            [ $# -ge 2 ] || usage_error "$1 wants a value (see --help)"
            opt=${1#--} value=$2; shift 2 ;;
        --qemu=*|--frames=*|--small-frames=*|--size=*|--rect=*|--warmup-ms=*|--phases=*|--rounds=*|--order=*|--build=*|--backend-opt=*)
            opt=${1%%=*} opt=${opt#--} value=${1#*=}; shift ;;
        --no-viewer) viewer=false; shift; continue ;;
        --perf) perf=true keep=true; shift; continue ;;
        --keep) keep=true; shift; continue ;;
        --json) json=true; shift; continue ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) usage_error "unknown argument '$1' (see --help)" ;;
    esac
    case $opt in
        qemu) qemu=$value ;;
        frames) frames=$value ;;
        small-frames) small_frames=$value ;;
        size) size=$value ;;
        rect) rect=$value ;;
        warmup-ms) warmup_ms=$value ;;
        phases) phases=$value ;;
        rounds) rounds=$value ;;
        order) order=$value ;;
        build) build=$value ;;
        backend-opt) backend_opts+=("$value") ;;
    esac
done
[[ $frames =~ ^[1-9][0-9]{0,5}$ ]] || usage_error "--frames wants a number from 1 to 999999"
[[ $small_frames =~ ^[1-9][0-9]{0,5}$ ]] || usage_error "--small-frames wants a number from 1 to 999999"
[[ $rounds =~ ^[1-9][0-9]?$ ]] || usage_error "--rounds wants a number from 1 to 99"
[[ $warmup_ms =~ ^[0-9]{1,6}$ ]] || usage_error "--warmup-ms wants a number of milliseconds"
[[ $rect =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "--rect wants a number from 1 to 9999"
[[ $size =~ ^([1-9][0-9]{1,3})x([1-9][0-9]{1,3})$ ]] || usage_error "--size wants WxH, e.g. 1024x768"
width=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]}
[ "$rect" -le "$width" ] && [ "$rect" -le "$height" ] || usage_error "--rect is larger than --size"
[[ $phases =~ ^(fill|full|small)(,(fill|full|small))*$ ]] ||
    usage_error "--phases wants a list of fill, full, small"
[[ $order =~ ^(pvgpu|virtio_gpu)(,(pvgpu|virtio_gpu))*$ ]] ||
    usage_error "--order wants a list of pvgpu, virtio_gpu"
[ -x "$qemu" ] || usage_error "no QEMU at $qemu (--qemu PATH)"
"$qemu" -device help 2>/dev/null | grep -q '"pvgpu"' ||
    usage_error "$qemu has no pvgpu device"
"$qemu" -device help 2>/dev/null | grep -q '"virtio-gpu-pci"' ||
    usage_error "$qemu has no virtio-gpu-pci device"
if $perf; then
    command -v perf >/dev/null || usage_error "--perf needs perf (linux-perf)"
fi

say() { echo "display-bench: $*" >&2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pvgpu-display-bench.XXXXXX")
serial=$work/serial.log
qemu_pid='' backend_pid='' sink_pids=() drain_pid='' perf_pid=''
status=0

# shellcheck disable=SC2317 # called by the trap
cleanup() {
    local pid
    for pid in $perf_pid $qemu_pid $backend_pid "${sink_pids[@]}" $drain_pid; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if $keep || [ "$status" -ne 0 ]; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    status=1
    say "$*"
    if [ -s "$serial" ]; then
        say "last lines of the serial console:"
        tail -n 20 "$serial" | sed 's/^/    /' >&2
    fi
    exit 1
}

# ---- building --------------------------------------------------------------

if [ ! -f "$build/build.ninja" ]; then
    say "configuring $build (release, no tests)"
    meson setup "$build" "$root" -Dbuildtype=release -Dtests=disabled \
        > "$work/meson.log" 2>&1 || { cat "$work/meson.log" >&2; fail "meson setup failed"; }
fi
ninja -C "$build" backend/pvgpu-backend bench/vnc-sink bench/display-bench \
    > "$work/ninja.log" 2>&1 || { tail -n 30 "$work/ninja.log" >&2; fail "ninja failed in $build"; }
backend=$build/backend/pvgpu-backend
sink=$build/bench/vnc-sink
if grep -q -- '-fsanitize' "$build/build.ninja"; then
    say "warning: $build is built with sanitizers; pvgpu-backend and the viewer are slowed down"
fi

say "building the guest (scripts/build-guest.sh)"
built=$(PVGPU_INITRAMFS_MODULES="virtio_pci virtio_gpu" \
        PVGPU_INITRAMFS_FILES="$build/bench/display-bench=/display-bench" \
        "$root/scripts/build-guest.sh" "$work/guest" \
        "$root/bench/guest-display/init.sh" 2> "$work/build-guest.log" | tail -n 1)
read -r kernel initrd <<< "$built"
[ -n "${initrd:-}" ] && [ -f "$initrd" ] || {
    tail -n 20 "$work/build-guest.log" >&2
    fail "cannot build the guest"
}

# ---- processes -------------------------------------------------------------

clk_tck=$(getconf CLK_TCK)
# ticks PID: utime + stime of the whole process (every thread, living or not)
ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) }
    # shellcheck disable=SC2086 # fields on purpose
    set -- $stat
    echo $(( ${12} + ${13} ))
}
# vcpu_ticks: utime + stime of QEMU's vCPU threads ("CPU 0/TCG")
vcpu_ticks() {
    local task sum=0 comm stat
    for task in /proc/"$qemu_pid"/task/*; do
        comm=$(cat "$task/comm" 2>/dev/null) || continue
        case $comm in CPU\ *) ;; *) continue ;; esac
        stat=$(cat "$task/stat" 2>/dev/null) || continue
        stat=${stat##*) }
        # shellcheck disable=SC2086
        set -- $stat
        sum=$(( sum + ${12} + ${13} ))
    done
    echo "$sum"
}
sample() { # one line: wall_ns qemu vcpu backend viewer-pvgpu viewer-virtio
    local pid v=()
    for pid in "${sink_pids[@]}"; do
        kill -USR1 "$pid" 2>/dev/null
        v+=("$(ticks "$pid")")
    done
    [ ${#v[@]} -eq 2 ] || v=(0 0)
    echo "$(date +%s%N) $(ticks "$qemu_pid") $(vcpu_ticks) $(ticks "$backend_pid") ${v[*]}"
}

sock=$work/backend.sock
shmem=64M
[ $((width * height * 4)) -le $((24 * 1024 * 1024)) ] || shmem=256M
"$backend" --socket-path="$sock" --display="${width}x${height}" "${backend_opts[@]}" \
    > "$work/backend.log" 2>&1 &
backend_pid=$!
for _ in $(seq 100); do
    [ -S "$sock" ] && break
    kill -0 "$backend_pid" 2>/dev/null || break
    sleep 0.1
done
[ -S "$sock" ] || { cat "$work/backend.log" >&2; fail "pvgpu-backend did not start"; }

# with --perf on a QEMU that has -perfmap (8.1 and later), the profiles
# name guest code by guest address (no KASLR: System.map resolves them)
perf_args=() append=
if $perf && "$qemu" -help 2>/dev/null | grep -q '^-perfmap'; then
    perf_args=(-perfmap)
    append=" nokaslr"
fi
mkfifo "$work/serial.in" "$work/serial.out"
"$qemu" -name pvgpu-display-bench,debug-threads=on "${perf_args[@]}" \
    -nodefaults -display none -M q35 -accel tcg -smp 1 -m 512 -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1$append" \
    -serial stdio \
    -device "virtio-gpu-pci,id=vgpu0,xres=$width,yres=$height" \
    -device "pvgpu,id=pvgpu0,shmem_size=$shmem,backend_pipe=$sock" \
    -vnc "unix:$work/vnc-pvgpu.sock,id=vncp,display=pvgpu0" \
    -vnc "unix:$work/vnc-virtio.sock,id=vncv,display=vgpu0" \
    < "$work/serial.in" > "$work/serial.out" 2> "$work/qemu.log" &
qemu_pid=$!
exec {qin}> "$work/serial.in"
exec {qout}< "$work/serial.out"

if $viewer; then
    for name in pvgpu virtio; do
        "$sink" "$work/vnc-$name.sock" > "$work/viewer-$name.log" 2>&1 &
        sink_pids+=($!)
    done
fi

# ---- the guest -------------------------------------------------------------

line_timeout=$((180 + frames + small_frames / 10 + warmup_ms / 1000))
# next_line: the guest's next "@@" line, without "@@", into $line
next_line() {
    local raw
    while :; do
        IFS= read -r -t "$line_timeout" raw <&"$qout" || return 1
        raw=${raw%$'\r'}
        printf '%s\n' "$raw" >> "$serial"
        case $raw in
            @@*) line=${raw#@@}; return 0 ;;
        esac
    done
}

# field KEY: the value of KEY=VALUE in $line
field() { local w; for w in $line; do [ "${w%%=*}" = "$1" ] && { echo "${w#*=}"; return; }; done; }

say "booting the guest (TCG): $rounds round(s) of $frames frames per phase, $small_frames small ones"
results=$work/results.txt
: > "$results"
before=
phase_index=0
while next_line; do
    case $line in
        "wait args")
            printf 'args --frames %s --small-frames %s --warmup-ms %s --size %s --rect %s --phases %s --rounds %s %s\n' \
                "$frames" "$small_frames" "$warmup_ms" "$size" "$rect" "$phases" \
                "$rounds" "${order//,/ }" >&"$qin" ;;
        card\ *|clocksource\ *|boot\ *)
            say "${line}" ;;
        ready\ *)
            # shellcheck disable=SC2086 # "ready DRIVER PHASE ROUND"
            set -- $line
            if $perf; then
                perf record -q -g -F 499 -o "$work/perf-$2-$3-$4.data" \
                    -p "$qemu_pid,$backend_pid" > /dev/null 2>&1 &
                perf_pid=$!
                sleep 1
            fi
            before=$(sample)
            echo go >&"$qin" ;;
        result\ *)
            after=$(sample)
            if [ -n "$perf_pid" ]; then
                kill -INT "$perf_pid"
                wait "$perf_pid"
                perf_pid=
            fi
            [ -n "$before" ] || fail "a result without a start: $line"
            # the guest's line, then the host's samples before and after
            printf '%s\tindex=%s\t%s\t%s\n' "${line#result }" "$phase_index" \
                "$before" "$after" >> "$results"
            echo go >&"$qin"
            say "round $(field round): $(field driver) $(field phase): $(field fps) frames/s"
            phase_index=$((phase_index + 1))
            before= ;;
        finished)
            ;;
        bench_exit\ *)
            [ "${line#bench_exit }" = 0 ] || status=1 ;;
        kernel_problem\ *)
            say "guest kernel: ${line#kernel_problem }"
            status=1 ;;
        error\ *)
            say "guest: ${line#error }"
            status=1 ;;
        done)
            break ;;
    esac
done
[ "$line" = "done" ] || fail "the guest stopped answering (no line for $line_timeout s)"
cat <&"$qout" >> "$serial" &
drain_pid=$!
for _ in $(seq 100); do
    kill -0 "$qemu_pid" 2>/dev/null || break
    sleep 0.1
done
wait "$qemu_pid" 2>/dev/null
qemu_pid=
for pid in "${sink_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
sink_pids=()
[ $status -eq 0 ] || fail "the guest reported a failure (serial log: $serial)"
[ -s "$results" ] || fail "no results from the guest"

# ---- report ----------------------------------------------------------------

python3 - "$results" "$clk_tck" "$json" "$viewer" "$work/viewer-pvgpu.log" \
    "$work/viewer-virtio.log" <<'PY' || status=1
import json, statistics, sys
results, clk_tck, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
have_viewer = sys.argv[4] == "true"

def marks(path):
    if not have_viewer:
        return []
    return [{"updates": int(w[3]), "bytes": int(w[7])}
            for w in (l.split() for l in open(path)) if w and w[0] == "mark"]

viewer_marks = {"pvgpu": marks(sys.argv[5]), "virtio_gpu": marks(sys.argv[6])}
rows = []
for l in open(results):
    guest, index, before, after = l.rstrip("\n").split("\t")
    g = dict(w.split("=", 1) for w in guest.split())
    index = int(index.split("=")[1])
    # samples: wall_ns qemu vcpu backend viewer-pvgpu viewer-virtio (ticks)
    d = [y - x for x, y in zip(map(int, before.split()), map(int, after.split()))]
    frames = int(g["frames"])
    wall = d[0] / 1e9
    ms = lambda t: round(t * 1000.0 / clk_tck / frames, 3)
    qemu, vcpu, backend = d[1], d[2], d[3]
    view = d[4] if g["driver"] == "pvgpu" else d[5]
    row = {
        "driver": g["driver"], "phase": g["phase"], "round": int(g["round"]),
        "frames": frames, "width": int(g["width"]), "height": int(g["height"]),
        "rect": int(g["rect"]) or None,
        "seconds": float(g["seconds"]), "fps": float(g["fps"]),
        "dirty_us": float(g["dirty_us"]), "dirty_max_us": float(g["dirty_max_us"]),
        "sync_us": float(g["sync_us"]), "host_wall_seconds": round(wall, 3),
        "host_ms": ms(qemu + backend), "vcpu_ms": ms(vcpu),
        "qemu_io_ms": ms(qemu - vcpu), "backend_ms": ms(backend),
        "viewer_ms": ms(view) if have_viewer else None,
        "ticks": {"clk_tck": clk_tck, "qemu": qemu, "qemu_vcpu": vcpu,
                  "backend": backend, "viewer": view if have_viewer else None},
        "vnc_updates": None, "vnc_fps": None, "vnc_mbytes": None,
    }
    m = viewer_marks.get(g["driver"], [])
    if len(m) > 2 * index + 1:
        updates = m[2 * index + 1]["updates"] - m[2 * index]["updates"]
        row["vnc_updates"] = updates
        row["vnc_fps"] = round(updates / wall, 1) if wall > 0 else None
        row["vnc_mbytes"] = round((m[2 * index + 1]["bytes"] - m[2 * index]["bytes"]) / 1e6, 1)
    rows.append(row)

# the median over the rounds of each metric, per driver and phase
keys = ["fps", "dirty_us", "host_ms", "vcpu_ms", "qemu_io_ms", "backend_ms",
        "viewer_ms", "vnc_fps"]
summary = []
for driver, phase in dict.fromkeys((r["driver"], r["phase"]) for r in rows):
    group = [r for r in rows if r["driver"] == driver and r["phase"] == phase]
    s = {"driver": driver, "phase": phase, "rounds": len(group),
         "frames": group[0]["frames"], "rect": group[0]["rect"]}
    for k in keys:
        values = [r[k] for r in group if r[k] is not None]
        s[k] = round(statistics.median(values), 3) if values else None
    summary.append(s)
ratios = []
for phase in dict.fromkeys(s["phase"] for s in summary):
    by = {s["driver"]: s for s in summary if s["phase"] == phase}
    if "pvgpu" in by and "virtio_gpu" in by:
        p, v = by["pvgpu"], by["virtio_gpu"]
        ratios.append({"ratio": "pvgpu/virtio_gpu", "phase": phase,
                       "fps": round(p["fps"] / v["fps"], 3),
                       "host_ms": round(p["host_ms"] / v["host_ms"], 3) if v["host_ms"] else None})

if as_json:
    for r in rows:
        print(json.dumps(r))
    for s in summary:
        print(json.dumps({"median": True, **s}))
    for r in ratios:
        print(json.dumps(r))
    sys.exit(0)

def fmt(k, v):
    if v is None:
        return "-"
    if k == "fps":
        return f"{v:.1f}"
    if k in ("dirty_us", "vnc_fps"):
        return f"{v:.0f}" if k == "dirty_us" else f"{v:.1f}"
    return f"{v:.2f}" if isinstance(v, float) else str(v)

cols = [("driver", 10), ("phase", 5), ("frames", 6), ("fps", 8), ("dirty_us", 8),
        ("host_ms", 7), ("vcpu_ms", 7), ("qemu_io_ms", 10), ("backend_ms", 10),
        ("viewer_ms", 9), ("vnc_fps", 7)]
print("  ".join(f"{h:<{w}}" if i < 2 else f"{h:>{w}}" for i, (h, w) in enumerate(cols)))
for s in summary:
    if s["phase"] == "fill":
        s = dict(s, dirty_us=None)
    print("  ".join(f"{fmt(k, s[k]):<{w}}" if i < 2 else f"{fmt(k, s[k]):>{w}}"
                    for i, (k, w) in enumerate(cols)))
n = max(s["rounds"] for s in summary)
print(f"(median of {n} round{'s' if n > 1 else ''}; fps in the guest; *_ms: host CPU "
      "per frame, host_ms = QEMU + backend, of which vcpu_ms is the guest itself under TCG)")
for r in ratios:
    print(f"pvgpu/virtio_gpu {r['phase']:<5}  fps x{r['fps']:.2f}  host CPU per frame "
          + ("-" if r["host_ms"] is None else f"x{r['host_ms']:.2f}"))
PY
if $perf; then
    say "profiles: $work/perf-*.data (perf report -i FILE --no-children)"
fi
exit $status
