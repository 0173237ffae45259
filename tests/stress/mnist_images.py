#!/usr/bin/env python3
"""Writes MNIST test digits as black-on-white 24-bit BMP files, enlarged, for the Predict and web stress runs; with
PER_IMAGE above 1, each image is a number of that many digits whose neighbours overlap by 8 of their 28 columns, so
that most touch (the reader's pair model reads those).

usage: mnist_images.py T10K_IMAGES_IDX OUT_DIR COUNT [PER_IMAGE]
"""
import os
import struct
import sys

OVERLAP = 8


def main(idx_path, out_dir, count, per_image=1, scale=4):
    with open(idx_path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803:
            sys.exit(f"{idx_path}: not an idx3 image file")
        os.makedirs(out_dir, exist_ok=True)
        for i in range(min(count, n // per_image)):
            digits = [f.read(rows * cols) for _ in range(per_image)]
            line_cols = cols + (per_image - 1) * (cols - OVERLAP)
            ink = [0] * (rows * line_cols)
            for k, pixels in enumerate(digits):
                left = k * (cols - OVERLAP)
                for y in range(rows):
                    for x in range(cols):
                        at = y * line_cols + left + x
                        ink[at] = max(ink[at], pixels[y * cols + x])
            width, height = line_cols * scale, rows * scale
            row_bytes = (width * 3 + 3) & ~3
            data = bytearray()
            for y in reversed(range(height)):  # BMP rows go bottom-up
                row = bytearray()
                for x in range(width):
                    v = 255 - ink[(y // scale) * line_cols + x // scale]
                    row += bytes((v, v, v))
                data += row + bytes(row_bytes - len(row))
            header = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
            info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(data), 2835, 2835, 0, 0)
            with open(os.path.join(out_dir, f"digit{i:03d}.bmp"), "wb") as out:
                out.write(header + info + data)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) == 5 else 1)
