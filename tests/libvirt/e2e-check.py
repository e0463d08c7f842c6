#!/usr/bin/env python3
"""Checks for e2e.sh that are easier on parsed XML/JSON than in shell.

  e2e-check.py json EXPRESSION           < json   print a value of `d` as JSON
  e2e-check.py control SOCKET REQUEST               one control-socket request
  e2e-check.py definition UUID RUNTIME   < xml    pvgpu metadata + qemu args
  e2e-check.py query-pci                 < json   the pvgpu device in QEMU
  e2e-check.py others                    < xml    no pvgpu left; prints what
                                                  else is in <metadata> and
                                                  <qemu:commandline>

A failed check prints why on stderr and exits 1.
"""
import json
import socket
import sys
import xml.etree.ElementTree as ET

PVGPU_NS = "{urn:x-pvgpu:domain:1.0}"
QEMU_NS = "{http://libvirt.org/schemas/domain/qemu/1.0}"


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def cmd_json(expression):
    d = json.load(sys.stdin)  # noqa: F841 (used by the expression)
    print(json.dumps(eval(expression)))


def cmd_control(path, request):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(request.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n") and len(data) < 65536:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.endswith(b"\n"):
        fail(f"control socket {path}: no complete reply line: {data!r}")
    sys.stdout.write(data.decode())


def cmd_definition(uuid, runtime):
    root = ET.fromstring(sys.stdin.read())
    gpus = root.findall(f"metadata/{PVGPU_NS}gpu")
    if len(gpus) != 1:
        fail(f"{len(gpus)} <pvgpu:gpu> elements in <metadata>, want 1")
    if gpus[0].get("shmem") not in ("256M", str(256 << 20)):
        fail(f"<pvgpu:gpu> attributes {gpus[0].attrib}, want shmem 256M")
    args = [a.get("value") for a in root.findall(f"{QEMU_NS}commandline/{QEMU_NS}arg")]
    want = ["-device",
            "pvgpu,id=pvgpu0,bus=pcie.0,addr=0x1e,shmem_size=256M,"
            f"backend_pipe={runtime}/{uuid}/device.sock"]
    if args != want:
        fail(f"<qemu:arg> values {args}, want {want}")


def cmd_others():
    root = ET.fromstring(sys.stdin.read())
    metadata = [e.tag for e in root.findall("metadata/*")]
    ours = [tag for tag in metadata if tag.startswith("{urn:x-pvgpu:")]
    if ours:
        fail(f"pvgpu metadata left: {ours}")
    args = [a.get("value") for a in root.findall(f"{QEMU_NS}commandline/{QEMU_NS}arg")]
    devices = [a for a in args if a.startswith("pvgpu,")]
    if devices:
        fail(f"pvgpu QEMU arguments left: {devices}")
    print(f"args {' '.join(args)}; metadata {' '.join(metadata)}")


def cmd_query_pci():
    reply = json.load(sys.stdin)
    devices = [d for bus in reply["return"] for d in bus["devices"]
               if d["id"]["vendor"] == 0x1AF4 and d["id"]["device"] == 0x10F0]
    if len(devices) != 1:
        fail(f"{len(devices)} devices 1af4:10f0 in query-pci, want 1")
    d = devices[0]
    if d["class_info"]["class"] != 0x0300:
        fail(f"class {d['class_info']}, want 0x0300")
    where = (d["bus"], d["slot"], d["function"])
    if where != (0, 0x1E, 0):
        fail(f"at bus/slot/function {where}, want (0, 0x1e, 0)")
    if d.get("qdev_id") != "pvgpu0":
        fail(f"qdev_id {d.get('qdev_id')!r}, want 'pvgpu0'")


COMMANDS = {
    "json": (cmd_json, 1),
    "control": (cmd_control, 2),
    "definition": (cmd_definition, 2),
    "query-pci": (cmd_query_pci, 0),
    "others": (cmd_others, 0),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS \
            or len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1]:
        fail(__doc__)
    handler, _ = COMMANDS[sys.argv[1]]
    try:
        handler(*sys.argv[2:])
    except (OSError, ValueError, KeyError, TypeError, ET.ParseError) as error:
        fail(f"{sys.argv[1]}: {error}")
