"""Small PNG files made in Python (zlib + struct), for uploads to a test wiki."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-colour RGB PNG; different colours give different files (the wiki refuses duplicates by hash)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_pngs(folder: Path, names: list[str], seed: int = 0) -> Path:
    """One distinct PNG per name in a fresh `folder` (importImages.php uploads a folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_bytes(png(40, 30, ((seed * 37 + i * 53) % 256, (i * 91) % 256, (seed * 11) % 256)))
    return folder
