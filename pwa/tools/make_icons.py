"""Draws Fieldgoal's app icons (a target on the theme colour) as PNGs with only the standard library.

Run from anywhere: `python pwa/tools/make_icons.py`. Writes pwa/icons/icon-192.png, icon-512.png (rounded,
transparent corners) and icon-maskable-512.png (full bleed, the target inside the 80 % safe zone).
"""

import struct
import zlib
from pathlib import Path

THEME = (15, 118, 110)  # #0f766e, the manifest's theme_color
WHITE = (255, 255, 255)
GOLD = (250, 204, 21)
OUT = Path(__file__).resolve().parents[1] / "icons"


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


def colour_at(x: float, y: float, size: int, maskable: bool) -> tuple[int, int, int, int]:
    """The colour of one sample point: rings of a target, a gold centre."""
    c = size / 2
    if not maskable:  # rounded square with a transparent outside
        r = size * 0.18
        dx = max(abs(x - c) - (c - r), 0)
        dy = max(abs(y - c) - (c - r), 0)
        if dx * dx + dy * dy > r * r:
            return (0, 0, 0, 0)
    scale = 0.62 if maskable else 0.78  # maskable content stays inside the central 80 % circle
    d = ((x - c) ** 2 + (y - c) ** 2) ** 0.5 / (c * scale)
    if d < 0.2:
        return (*GOLD, 255)
    if d < 0.36 or 0.52 <= d < 0.68 or 0.84 <= d < 1.0:
        return (*WHITE, 255)
    return (*THEME, 255)


def draw(size: int, maskable: bool) -> bytes:
    n = 3  # 3x3 supersampling for smooth edges
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    r, g, b, a = colour_at(px + (sx + 0.5) / n, py + (sy + 0.5) / n, size, maskable)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3] / (n * n)
            if acc[3]:
                row += bytes(
                    (round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha))
                )
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return png(size, size, rows)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    (OUT / "icon-192.png").write_bytes(draw(192, maskable=False))
    (OUT / "icon-512.png").write_bytes(draw(512, maskable=False))
    (OUT / "icon-maskable-512.png").write_bytes(draw(512, maskable=True))
    print("wrote", *sorted(p.name for p in OUT.glob("*.png")))
