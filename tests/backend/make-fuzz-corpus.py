#!/usr/bin/env python3
# Writes the seed corpus of fuzz-ring: valid command streams, each file a
# u64 producer index followed by the ring bytes (see fuzz-ring.c).
# Run from anywhere: python3 tests/backend/make-fuzz-corpus.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz-corpus")

NOP, CREATE, DESTROY, UPLOAD = 0x0001, 0x0101, 0x0102, 0x0103
FILL, COPY, SCANOUT, PRESENT, FENCE = 0x0201, 0x0202, 0x0301, 0x0302, 0x0401
BGRA, RGBX = 1, 4


class Stream:
    def __init__(self):
        self.data = b""
        self.next_id = 1

    def cmd(self, ctype, body=b""):
        size = 16 + len(body)
        size = (size + 15) & ~15
        raw = struct.pack("<IIII", ctype, size, 0, self.next_id) + body
        self.next_id += 1
        self.data += raw + b"\0" * (size - len(raw))
        return self

    def rect(self, x, y, w, h):
        return struct.pack("<IIII", x, y, w, h)

    def create(self, rid, fmt, w, h):
        return self.cmd(CREATE, struct.pack("<IIII", rid, fmt, w, h))

    def destroy(self, rid):
        return self.cmd(DESTROY, struct.pack("<IIII", rid, 0, 0, 0))

    def upload(self, rid, stride, off, x, y, w, h):
        return self.cmd(UPLOAD, struct.pack("<IIQ", rid, stride, off) +
                        self.rect(x, y, w, h))

    def fill(self, rid, color, x, y, w, h):
        return self.cmd(FILL, struct.pack("<II", rid, color) +
                        self.rect(x, y, w, h) + struct.pack("<Q", 0))

    def copy(self, src, dst, sx, sy, w, h, dx, dy):
        return self.cmd(COPY, struct.pack("<II", src, dst) +
                        self.rect(sx, sy, w, h) +
                        struct.pack("<IIQ", dx, dy, 0))

    def scanout(self, rid, x, y, w, h):
        return self.cmd(SCANOUT, struct.pack("<II", 0, rid) +
                        self.rect(x, y, w, h) + struct.pack("<Q", 0))

    def present(self, flags, x, y, w, h):
        return self.cmd(PRESENT, struct.pack("<II", 0, flags) +
                        self.rect(x, y, w, h))

    def fence(self, fid, flags=1):
        return self.cmd(FENCE, struct.pack("<QII", fid, flags, 0))

    def file_bytes(self):
        return struct.pack("<Q", len(self.data)) + self.data


def main():
    seeds = {
        "fences": Stream().fence(1).fence(2, 0).fence(3),
        "draw-present": Stream().create(1, BGRA, 64, 48)
        .fill(1, 0xffff0000, 0, 0, 64, 48).fill(1, 0xff00ff00, 8, 8, 4, 4)
        .scanout(1, 0, 0, 64, 48).present(1, 0, 0, 64, 48).fence(1),
        "upload-copy": Stream().create(1, RGBX, 32, 32)
        .create(2, RGBX, 16, 16).upload(1, 128, 0, 0, 0, 32, 32)
        .copy(1, 2, 4, 4, 16, 16, 0, 0).copy(1, 1, 0, 0, 16, 16, 8, 8)
        .destroy(2).fence(5),
        "refusals": Stream().destroy(9).create(0, BGRA, 1, 1)
        .create(1, 7, 1, 1).fill(1, 0, 0, 0, 1, 1).fence(2).fence(1),
        "nops": Stream().cmd(NOP).cmd(NOP, b"\0" * 48).fence(1),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, stream in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(stream.file_bytes())


if __name__ == "__main__":
    main()
