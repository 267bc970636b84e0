# SPDX-License-Identifier: BSD-2-Clause
# An unmodified Python filter: reads a line, prints an answer, and waits for
# the next line on sys.stdin.readline(), which, unlike input(), never flushes
# stdout.  Block-buffered, the answer would never leave.
import sys

for line in iter(sys.stdin.readline, ""):
    print("py: " + line.rstrip("\n"))
