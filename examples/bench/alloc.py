#!/usr/bin/python3
"""Bytes allocated per request from a JFR recording: the sum over threads of the growth of
jdk.ThreadAllocationStatistics (emitted at the recording's start and end) divided by the requests.
With TOP=n (default 12), also the n heaviest allocation sites from jdk.ObjectAllocationSample (a sample's
weight estimates the bytes allocated since the previous sample of its thread): the allocated class and the
first frame outside java.*/jdk.*/sun.* (where the project's or a library's code asked for it)."""
import collections, json, os, subprocess, sys

def events(path, name):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "16", "--events", name, path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]

stats = events(sys.argv[1], "jdk.ThreadAllocationStatistics")
first, last = {}, {}
for e in sorted(stats, key=lambda e: e["values"]["startTime"]):
    v = e["values"]
    t = (v.get("thread") or {}).get("javaThreadId")
    first.setdefault(t, v["allocated"])
    last[t] = v["allocated"]
total = sum(last[t] - first[t] for t in first)
req = int(sys.argv[2])
print("allocated %.1f MB over %d requests: %.0f bytes/request (threads: %d)" % (total / 1e6, req, total / req, len(first)))

top = int(os.environ.get("TOP", "12"))
if top > 0:
    sites = collections.Counter()
    threads = collections.Counter()
    sampled = 0
    for e in events(sys.argv[1], "jdk.ObjectAllocationSample"):
        v = e["values"]
        w = v.get("weight") or 0
        sampled += w
        cls = (v.get("objectClass") or {}).get("name", "?").replace("/", ".")
        where = "?"
        for f in ((v.get("stackTrace") or {}).get("frames") or []):
            m = f.get("method") or {}
            owner = (m.get("type") or {}).get("name", "").replace("/", ".")
            if not owner.startswith(("java.", "jdk.", "sun.")):
                where = owner.rsplit(".", 1)[-1] + "." + m.get("name", "?")
                break
        sites[(cls, where)] += w
        threads[((v.get("eventThread") or {}).get("javaName") or "?").rstrip("0123456789")] += w
    if sampled:
        print("sampled %.1f MB; heaviest sites (bytes/request, class <- first non-JDK frame):" % (sampled / 1e6))
        for (cls, where), w in sites.most_common(top):
            print("  %6.0f  %5.1f%%  %s <- %s" % (w / req, 100.0 * w / sampled, cls, where))
        print("by thread (bytes/request): " + ", ".join("%s %.0f" % (t, w / req) for t, w in threads.most_common(8)))
