#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Summarise test/bench/run.sh's results.tsv: median and min-max of each
variant, its ratio to the floor of its section, and what happened to it.
Writes OUT/table.md, OUT/chart.dat and (with gnuplot) OUT/benchmarks.svg;
a full run also writes docs/benchmarks.md and docs/benchmarks.svg.

Exits 1 if a variant that should work failed, corrupted its data or
deadlocked: that is what the smoke test in make test checks, never a time.

    report.py RESULTS OUT QUICK
"""
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections import OrderedDict

results, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

runs = OrderedDict()
with open(results) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        runs.setdefault(row["section"], OrderedDict()).setdefault(row["variant"], []).append(row)


def summarise(rows):
    values = [float(r["value"]) for r in rows if r["value"] != "-"]
    statuses = sorted({r["status"].split(":")[0] for r in rows})
    note = "; ".join(sorted({r["status"] for r in rows if r["status"] != "ok"}))
    return values, statuses, note


lines, chart, problems = [], [], []
for section, variants in sorted(runs.items()):
    floor = None
    unit = next((r["unit"] for rows in variants.values() for r in rows if r["unit"] != "-"), "")
    higher_is_better = unit.endswith("/s")
    lines.append("")
    lines.append("### %s (%s, %s)" % (section, unit, "higher is better" if higher_is_better else "lower is better"))
    lines.append("")
    lines.append("| variant | median | min-max | vs floor | runs | result |")
    lines.append("|---------|-------:|--------:|---------:|-----:|--------|")
    for variant, rows in variants.items():
        values, statuses, note = summarise(rows)
        if variant.startswith(("floor:", "plain")) and values:
            floor = statistics.median(values)
        if values:
            median = statistics.median(values)
            ratio = "%.2fx" % (median / floor) if floor else "-"
            spread = "%g-%g" % (min(values), max(values))
            shown = "%g" % median
            if floor and not variant.startswith(("floor:", "plain")):
                label = section if section.startswith("inetd") else section.split(" ")[0]
                chart.append((label + " " + variant, median / floor))
        else:
            ratio = spread = shown = "-"
        result = note if note else "ok, verified"
        if statuses == ["deadlock"]:
            result = "deadlock (not timed)"
        elif statuses == ["capped"]:
            done = sorted(int(r["status"].split()[1]) for r in rows)
            result = "stalls: every run capped (after %d-%d turns), verified; mean a turn" % (done[0], done[-1])
        lines.append("| %s | %s | %s | %s | %d | %s |" % (variant, shown, spread, ratio, len(rows), result))
        expected_deadlock = "no stdbuf" in variant
        for status in statuses:
            if status in ("failed", "corrupt") or (status == "deadlock" and not expected_deadlock):
                problems.append("%s / %s: %s" % (section, variant, note or status))
    if section == "startup":
        values = {v: statistics.median(summarise(r)[0]) for v, r in variants.items() if summarise(r)[0]}
        if len(values) == 2:
            plain, shim = list(values.values())
            lines.append("")
            lines.append("The shim adds **%.0f us** a run (connect, converse, exit path) over a plain run." % (shim - plain))

table = "\n".join(lines) + "\n"
with open(os.path.join(out, "table.md"), "w") as f:
    f.write(table)
with open(os.path.join(out, "chart.dat"), "w") as f:
    for label, ratio in chart:
        colour = 0xCC6677 if "sockredir" in label else 0x4477AA
        f.write('"%s" %.3f %d\n' % (label.replace('"', "'"), ratio, colour))

svg = os.path.join(out, "benchmarks.svg")
if shutil.which("gnuplot") and chart:
    subprocess.run(["gnuplot", "-e", "data='%s'; out='%s'" % (os.path.join(out, "chart.dat"), svg),
                    os.path.join(root, "test/bench/chart.gp")], check=False)


def version(command):
    try:
        text = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (text.stdout + text.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not installed"


if not quick:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    head = open(os.path.join(root, "test/bench/head.md")).read()
    tail = open(os.path.join(root, "test/bench/choose.md")).read()
    machine = "\n".join([
        "- machine: %d cores, %s, Linux %s, Debian %s" % (os.cpu_count(), cpu, platform.release(), debian),
        "- compiler: %s" % version(["cc", "--version"]),
    ])
    versions = []
    for name, command in (("socat", ["sh", "-c", "socat -V | sed -n 2p"]),
                          ("ncat", ["ncat", "--version"]),
                          ("ucspi-tcp", ["sh", "-c", "dpkg-query -W -f '${Version}' ucspi-tcp"]),
                          ("coreutils stdbuf", ["stdbuf", "--version"]),
                          ("gnuplot", ["gnuplot", "--version"])):
        versions.append("- %s: %s" % (name, version(command)))
    with open(os.path.join(root, "docs/benchmarks.md"), "w") as f:
        f.write(head)
        run_date = os.path.join(out, "run-date")
        when = open(run_date).read().strip() if os.path.exists(run_date) else "?"
        f.write("\n## The machine and the tools\n\nRun on %s.\n\n" % when + machine + "\n" + "\n".join(versions) + "\n")
        f.write("\n## Results\n\nMedians of each variant's runs; \"vs floor\" is the median's ratio to "
                "the floor of the same section, measured in the same run.\n")
        f.write(table)
        f.write("\n![Ratio to the floor, by section and variant](benchmarks.svg)\n\n")
        f.write(tail)
    if os.path.exists(svg):
        shutil.copy(svg, os.path.join(root, "docs/benchmarks.svg"))

print(table)
if problems:
    print("bench: FAILED variants:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("bench: every variant completed and verified (or deadlocked where expected)")
