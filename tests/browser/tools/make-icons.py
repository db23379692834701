#!/usr/bin/env python3
"""Writes the web app's PNG icons (edge/web/icons/) with nothing but the standard
library: the same drawing as icon.svg, rasterized with signed distance fields
(anti-aliased edges), encoded as PNG by hand with zlib.

    python3 tests/browser/tools/make-icons.py
"""
import math
import os
import struct
import zlib

TOP = (0x81, 0x8C, 0xF8)  # gradient start (top left)
BOTTOM = (0x4F, 0x46, 0xE5)  # gradient end (bottom right)
DOT = (0x63, 0x66, 0xF1)


def sd_round_rect(x, y, x0, y0, x1, y1, r):
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    qx, qy = abs(x - cx) - hx, abs(y - cy) - hy
    outside = math.hypot(max(qx, 0), max(qy, 0))
    return outside + min(max(qx, qy), 0) - r


def sd_circle(x, y, cx, cy, r):
    return math.hypot(x - cx, y - cy) - r


def sd_triangle(x, y, pts):
    # Distance to the closest edge, negative inside (works for convex polygons).
    d = float("inf")
    inside = True
    n = len(pts)
    for i in range(n):
        ax, ay = pts[i]
        bx, by = pts[(i + 1) % n]
        ex, ey = bx - ax, by - ay
        wx, wy = x - ax, y - ay
        t = max(0.0, min(1.0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
        d = min(d, math.hypot(wx - ex * t, wy - ey * t))
        if ex * wy - ey * wx < 0:
            inside = False
    return -d if inside else d


TAIL = [(150, 310), (230, 344), (132, 404)]
DOTS = [(192, 236), (256, 236), (320, 236)]


def shade(x, y, maskable):
    """RGBA of one point in the 512-unit design space."""
    # Coverage from a signed distance in design units, `px` design units a pixel.
    def cov(d):
        return max(0.0, min(1.0, 0.5 - d / shade.px))

    if maskable:
        bg = 1.0  # full bleed: the platform masks it
    else:
        bg = cov(sd_round_rect(x, y, 0, 0, 512, 512, 112))
    if bg == 0:
        return (0, 0, 0, 0)
    t = max(0.0, min(1.0, (x + y) / 1024))
    r, g, b = (TOP[i] + (BOTTOM[i] - TOP[i]) * t for i in range(3))
    bubble = cov(min(sd_round_rect(x, y, 112, 128, 400, 344, 72), sd_triangle(x, y, TAIL)))
    r, g, b = (c + (255 - c) * bubble for c in (r, g, b))
    dot = max(cov(sd_circle(x, y, cx, cy, 22)) for cx, cy in DOTS)
    r, g, b = (c + (DOT[i] - c) * dot for i, c in enumerate((r, g, b)))
    return (round(r), round(g), round(b), round(255 * bg))


def render(size, maskable=False):
    # The maskable icon keeps the drawing inside the 80% safe zone.
    scale = 512 / size / (0.8 if maskable else 1.0)
    offset = 256 - 256 * (1 / 0.8) if maskable else 0.0
    shade.px = scale
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            x = offset + (px + 0.5) * scale
            y = offset + (py + 0.5) * scale
            row.extend(shade(x, y, maskable))
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, raw):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "..", "..", "edge", "web", "icons")
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False), ("icon-maskable-512.png", 512, True)]:
        path = os.path.normpath(os.path.join(out, name))
        with open(path, "wb") as f:
            f.write(png(size, render(size, maskable)))
        print(path)


if __name__ == "__main__":
    main()
