#!/bin/sh
# The REST service's wire benchmark (examples/README.md, "Benchmark"): fraud model, cache off, one run of
# /v1 and /v2 over HTTP (wrk), gRPC (GrpcLoad) at 1 and 16 clients, each with the CPU the load generator and
# the service used, allocation per request (JFR's per-thread allocation counters around a 16-client /v1 run),
# an overload burst of 1,000 connections, then the same four forms through one tool (jinfer bench --url, and
# in-process with and without a batcher: the ceiling on these two cores).
# Run from the repository root after: mvn -B -pl examples,cli -am package -DskipTests
# Hold the build lock: flock /tmp/jinfer-build.lock examples/bench/run.sh
# Variables: D (10s) per run; SERVICE_ARGS, extra service flags (e.g. "--batch-max-size 0");
# JAVA_OPTS, extra service JVM options (e.g. "-Xlog:gc:file=/tmp/gc.log"); QUICK=1 skips the allocation step,
# the overload burst and the one-tool runs (for comparing service settings).
set -e
D=${D:-10s}
JAR=examples/target/rest-service.jar
B=examples/bench
OUT=${OUT:-/tmp/jinfer-bench}
TCK=$(getconf CLK_TCK)
mkdir -p $OUT
java -XX:+UseG1GC -Xms512m -Xmx512m $JAVA_OPTS -cp ${PATCH:+$PATCH:}$JAR dev.jinfer.examples.rest.RestService --port 18080 --grpc-port 18081 \
  --cache-size 0 --poll-ms 0 $SERVICE_ARGS > $OUT/service.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
head -2 $OUT/service.log
# CPU seconds (user + system) the service has used so far
cpu() { awk -v t=$TCK '{printf "%.2f", ($14 + $15) / t}' /proc/$PID/stat; }
# the machine's busy and stolen CPU seconds so far (/proc/stat: user nice system idle iowait irq softirq steal)
machine() { awk -v t=$TCK '/^cpu /{printf "%.2f %.2f", ($2 + $3 + $4 + $7 + $8) / t, $9 / t}' /proc/stat; }
# runs a load generator; prints its own CPU, the service's and everything else's over the run
measured() {
  s0=$(cpu); m0=$(machine)
  /usr/bin/time -f "%U %S %e" -o $OUT/time.txt "$@" > $OUT/run.txt
  s1=$(cpu); m1=$(machine)
  grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|gRPC ModelInfer|client CPU' $OUT/run.txt || true
  echo "$s0 $s1 $m0 $m1" | awk -v f=$OUT/time.txt '{s = $2 - $1; busy = $5 - $3; steal = $6 - $4; getline l < f; split(l, t, " ");
    c = t[1] + t[2]; w = t[3];
    printf "   CPU over %.1f s of %d cores: load generator %.1f s (%.0f%%), service %.1f s (%.0f%%), other processes %.1f s, stolen %.1f s\n",
      w, 2, c, 100 * c / (w * 2), s, 100 * s / (w * 2), busy - s - c, steal}'
}
wrk -t2 -c16 -d5s -s $B/v1.lua http://127.0.0.1:18080 >/dev/null   # warm-up (JIT)
wrk -t2 -c16 -d5s -s $B/v2.lua http://127.0.0.1:18080 >/dev/null
java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 3 fraud 2 >/dev/null
for api in v1 v2; do
  echo "== /$api 1 client";   measured wrk -t1 -c1 -d$D --latency -s $B/$api.lua http://127.0.0.1:18080
  echo "== /$api 16 clients"; measured wrk -t2 -c16 -d$D --latency -s $B/$api.lua http://127.0.0.1:18080
done
echo "== gRPC 1 client";   measured java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 1 ${D%s} fraud 2
echo "== gRPC 16 clients"; measured java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 ${D%s} fraud 2
if [ -n "$QUICK" ]; then
  kill $PID; wait $PID 2>/dev/null || true
  exit 0
fi
echo "== allocation per /v1 request, 16 clients"
jcmd $PID JFR.start name=alloc settings=profile filename=$OUT/alloc.jfr >/dev/null
wrk -t2 -c16 -d$D -s $B/v1.lua http://127.0.0.1:18080 > $OUT/alloc-wrk.txt
jcmd $PID JFR.stop name=alloc >/dev/null
grep 'requests in' $OUT/alloc-wrk.txt
python3 $B/alloc.py $OUT/alloc.jfr $(grep 'requests in' $OUT/alloc-wrk.txt | awk '{print $1}')
echo "== overload: 1,000 connections for 10 s"
RSS0=$(ps -o rss= -p $PID)
wrk -t2 -c1000 -d10s --latency --timeout 5s -s $B/status.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|^ +(50|90|99)%|status|Socket errors|Non-2xx'
RSS1=$(ps -o rss= -p $PID)
echo "RSS before ${RSS0} kB, after ${RSS1} kB"
echo "== 1 client right after the burst (1 s)"
wrk -t1 -c1 -d1s --latency -s $B/v1.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|^ +(50|99)%'
BENCH="--warmup 2s --window 2s --max-windows 4 --stable-windows 2"
for form in "http://127.0.0.1:18080" "http://127.0.0.1:18080 --protocol v2" "grpc://127.0.0.1:18081"; do
  echo "== one tool: jinfer bench --url $form, 1 and 16 clients"
  java -jar cli/target/jinfer.jar bench --url $form --model-name fraud -c 1,16 $BENCH 2>&1 | grep -v "^\[" || true
done
kill $PID; wait $PID 2>/dev/null || true
echo "== in-process, the same model through a batcher (jinfer bench, the service's default batching), 1 and 16 clients"
java -jar cli/target/jinfer.jar bench fixtures/onnx/fraud.onnx -c 1,16 --batching --max-batch 32 --adaptive-target 5ms --workers 2 $BENCH 2>&1 | grep -v "^\[" || true
echo "== in-process, no batcher (the engine alone: the ceiling), 1 and 16 clients"
java -jar cli/target/jinfer.jar bench fixtures/onnx/fraud.onnx -c 1,16 $BENCH 2>&1 | grep -v "^\[" || true
