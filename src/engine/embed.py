#!/usr/bin/env python3
"""Embeds a data file in a C source as a string constant (berth must work
without installed data files): embed.py INPUT OUTPUT SYMBOL."""
import sys

src, out, sym = sys.argv[1:4]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* Generated from %s by embed.py; do not edit. */\n' % src.split('/')[-1])
    f.write('const char %s[] =\n' % sym)
    for i in range(0, len(data), 64):
        chunk = data[i:i + 64]
        f.write('  "' + ''.join('\\x%02x' % b for b in chunk) + '"\n')
    f.write(';\nconst unsigned long %s_len = %d;\n' % (sym, len(data)))
