#!/usr/bin/python3
"""Bytes allocated per request from a JFR recording: the sum over threads of the growth of
jdk.ThreadAllocationStatistics (emitted at the recording's start and end) divided by the requests."""
import json, subprocess, sys

out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ThreadAllocationStatistics", sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout
events = json.loads(out)["recording"]["events"]
first, last = {}, {}
for e in sorted(events, key=lambda e: e["values"]["startTime"]):
    v = e["values"]
    t = (v.get("thread") or {}).get("javaThreadId")
    first.setdefault(t, v["allocated"])
    last[t] = v["allocated"]
total = sum(last[t] - first[t] for t in first)
req = int(sys.argv[2])
print("allocated %.1f MB over %d requests: %.0f bytes/request (threads: %d)" % (total / 1e6, req, total / req, len(first)))
