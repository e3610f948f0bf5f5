#!/usr/bin/env python3
"""Writes a C header holding a file's bytes: embed.py NAME INPUT OUTPUT."""
import sys

name, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as out:
    out.write(f"/* Generated from {src.rsplit('/', 1)[-1]} by embed.py. */\n")
    out.write(f"static const unsigned char {name}[] = {{\n")
    for i in range(0, len(data), 12):
        out.write("\t" + ", ".join(f"0x{b:02x}" for b in data[i:i + 12])
                  + ",\n")
    out.write("};\n")
