#!/usr/bin/env python3
"""Captures a VNC server's whole framebuffer as a binary PPM, as a viewer
(virt-viewer, virt-manager) would receive it.

    vnc-capture.py ADDRESS OUT.ppm

ADDRESS is what `virsh domdisplay` prints: vnc://HOST:DISPLAY or
vnc+unix:///PATH. Speaks RFB 3.8 with security type None, asks for 32-bit
true colour and the Raw encoding, and writes the first complete frame.
Exit status: 0 written, 1 protocol or connection failure (reason on stderr).
"""
import socket
import struct
import sys
import urllib.parse


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the VNC server closed the connection")
        data += chunk
    return bytes(data)


def connect(address):
    url = urllib.parse.urlparse(address)
    if url.scheme == "vnc+unix":
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(url.path)
    elif url.scheme == "vnc":
        sock = socket.create_connection(
            (url.hostname, 5900 + int(url.port or 0)))
    else:
        raise ValueError(f"not a VNC address: {address}")
    sock.settimeout(30)
    return sock


def handshake(sock):
    version = recv_exact(sock, 12)
    if not version.startswith(b"RFB 003."):
        raise ValueError(f"not an RFB server: {version!r}")
    sock.sendall(b"RFB 003.008\n")
    count = recv_exact(sock, 1)[0]
    if count == 0:
        length = struct.unpack(">I", recv_exact(sock, 4))[0]
        raise ValueError(recv_exact(sock, length).decode(errors="replace"))
    types = recv_exact(sock, count)
    if 1 not in types:
        raise ValueError(f"the server wants authentication (types {list(types)})")
    sock.sendall(bytes([1]))
    if struct.unpack(">I", recv_exact(sock, 4))[0] != 0:
        raise ValueError("the server refused security type None")
    sock.sendall(bytes([1]))  # ClientInit: shared
    width, height = struct.unpack(">HH", recv_exact(sock, 4))
    recv_exact(sock, 16)  # the server's pixel format: we set ours
    name_length = struct.unpack(">I", recv_exact(sock, 4))[0]
    recv_exact(sock, name_length)
    return width, height


def request_frame(sock, width, height):
    # SetPixelFormat: 32 bpp, depth 24, little endian, true colour,
    # maxima 255, shifts red 16 green 8 blue 0 (bytes B, G, R, x)
    sock.sendall(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1,
                             255, 255, 255, 16, 8, 0))
    sock.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: Raw
    sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))


def read_frame(sock, width, height):
    pixels = bytearray(width * height * 3)
    covered = 0
    while covered < width * height:
        kind = recv_exact(sock, 1)[0]
        if kind == 2:  # Bell
            continue
        if kind == 3:  # ServerCutText
            recv_exact(sock, 3)
            recv_exact(sock, struct.unpack(">I", recv_exact(sock, 4))[0])
            continue
        if kind != 0:
            raise ValueError(f"unexpected server message {kind}")
        recv_exact(sock, 1)
        rects = struct.unpack(">H", recv_exact(sock, 2))[0]
        for _ in range(rects):
            x, y, w, h, encoding = struct.unpack(">HHHHi", recv_exact(sock, 12))
            if encoding == -223:  # DesktopSize: the frame starts over
                width, height = w, h
                pixels = bytearray(width * height * 3)
                covered = 0
                request_frame(sock, width, height)
                continue
            if encoding != 0:
                raise ValueError(f"unexpected encoding {encoding}")
            if x + w > width or y + h > height:
                raise ValueError(f"rectangle {w}x{h}+{x}+{y} outside the frame")
            data = recv_exact(sock, w * h * 4)
            for row in range(h):
                line = data[row * w * 4:(row + 1) * w * 4]
                out = ((y + row) * width + x) * 3
                pixels[out:out + w * 3:3] = line[2::4]
                pixels[out + 1:out + w * 3:3] = line[1::4]
                pixels[out + 2:out + w * 3:3] = line[0::4]
            covered += w * h
    return width, height, bytes(pixels)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with connect(sys.argv[1]) as sock:
            width, height = handshake(sock)
            request_frame(sock, width, height)
            width, height, pixels = read_frame(sock, width, height)
    except (OSError, ValueError) as error:
        print(f"vnc-capture: {sys.argv[1]}: {error}", file=sys.stderr)
        return 1
    with open(sys.argv[2], "wb") as out:
        out.write(b"P6\n%d %d\n255\n" % (width, height) + pixels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
