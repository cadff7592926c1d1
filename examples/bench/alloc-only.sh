#!/bin/sh
# Allocation per /v1 request alone (examples/README.md, "Benchmark"): the service with --cache-size 0, a 5 s
# warm-up, JFR's profile settings around wrk -t2 -c16 -d10s, then alloc.py (TOP=n for the heaviest sites).
# Run from the repository root after mvn -B -pl examples -am package -DskipTests, under the build lock:
# flock /tmp/jinfer-build.lock examples/bench/alloc-only.sh   (LUA=examples/bench/v2.lua for /v2 infer)
LUA=${LUA:-examples/bench/v1.lua}
OUT=${OUT:-/tmp/jinfer-bench}
mkdir -p $OUT
java -XX:+UseG1GC -Xms512m -Xmx512m -cp examples/target/rest-service.jar dev.jinfer.examples.rest.RestService --port 18080 --cache-size 0 --poll-ms 0 > $OUT/alloc-only-service.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
wrk -t2 -c16 -d5s -s $LUA http://127.0.0.1:18080 >/dev/null
jcmd $PID JFR.start name=alloc settings=profile filename=$OUT/alloc-only.jfr >/dev/null
wrk -t2 -c16 -d10s -s $LUA http://127.0.0.1:18080 > $OUT/alloc-only-wrk.txt
jcmd $PID JFR.stop name=alloc >/dev/null
grep 'requests in' $OUT/alloc-only-wrk.txt
TOP=${TOP:-0} python3 examples/bench/alloc.py $OUT/alloc-only.jfr $(grep 'requests in' $OUT/alloc-only-wrk.txt | awk '{print $1}')
kill $PID
