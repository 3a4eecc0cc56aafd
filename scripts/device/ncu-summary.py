#!/usr/bin/env python3
"""Sums an Nsight Compute CSV (`ncu --csv --metrics gpu__time_duration.sum,dram__bytes_read.sum`)
per kernel: launches, total and mean time, and DRAM read rate, slowest first.
Usage: ncu-summary.py FILE.csv"""
import collections
import csv
import sys

lines = open(sys.argv[1]).read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith('"ID"'))
rows = list(csv.reader(lines[start:]))
hdr = rows[0]
ki, mi, vi, ii = (hdr.index(k) for k in ("Kernel Name", "Metric Name", "Metric Value", "ID"))
metrics, names = collections.defaultdict(dict), {}
for r in rows[1:]:
    if len(r) == len(hdr):
        metrics[r[ii]][r[mi]] = float(r[vi].replace(",", ""))
        names[r[ii]] = r[ki].split("(")[0]
agg = collections.defaultdict(lambda: [0, 0.0, 0.0])
for i, m in metrics.items():
    a = agg[names[i]]
    a[0] += 1
    a[1] += m.get("gpu__time_duration.sum", 0.0)
    a[2] += m.get("dram__bytes_read.sum", 0.0)
for name, (n, ns, b) in sorted(agg.items(), key=lambda x: -x[1][1]):
    print(f"{name:16s} {n:4d} launches {ns / 1e3:9.1f} us  mean {ns / n / 1e3:7.2f} us  {b / ns if ns else 0:7.1f} GB/s")
print(f"total {sum(a[1] for a in agg.values()) / 1e3:.1f} us")
