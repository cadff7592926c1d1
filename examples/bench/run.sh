#!/bin/sh
# The REST service's wire benchmark (examples/README.md, "Benchmark"): fraud model, cache off, one run of
# /v1 and /v2 over HTTP (wrk), gRPC (GrpcLoad) at 1 and 16 clients, allocation per request (JFR's per-thread
# allocation counters around a 16-client /v1 run), then an overload burst of 1,000 connections.
# Run from the repository root after: mvn -B -pl examples,cli -am package -DskipTests
# Hold the build lock: flock /tmp/jinfer-build.lock examples/bench/run.sh
set -e
D=${D:-10s}
JAR=examples/target/rest-service.jar
B=examples/bench
OUT=${OUT:-/tmp/jinfer-bench}
mkdir -p $OUT
java -XX:+UseG1GC -Xms512m -Xmx512m -cp ${PATCH:+$PATCH:}$JAR dev.jinfer.examples.rest.RestService --port 18080 --grpc-port 18081 --cache-size 0 --poll-ms 0 > $OUT/service.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
wrk -t2 -c16 -d5s -s $B/v1.lua http://127.0.0.1:18080 >/dev/null   # warm-up (JIT)
wrk -t2 -c16 -d5s -s $B/v2.lua http://127.0.0.1:18080 >/dev/null
java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 3 fraud 2 >/dev/null
for api in v1 v2; do
  echo "== /$api 1 client";   wrk -t1 -c1 -d$D --latency -s $B/$api.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|^ +(50|90|99)%'
  echo "== /$api 16 clients"; wrk -t2 -c16 -d$D --latency -s $B/$api.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx'
done
echo "== gRPC 1 client";   java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 1 ${D%s} fraud 2
echo "== gRPC 16 clients"; java -cp $JAR dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 ${D%s} fraud 2
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
kill $PID; wait $PID 2>/dev/null || true
echo "== in-process, the same model through a batcher (jinfer bench), 1 and 16 clients"
java -jar cli/target/jinfer.jar bench fixtures/onnx/fraud.onnx -c 1,16 --batching --warmup 2s --window 2s --max-windows 4 \
  --stable-windows 2 2>&1 | tail -8
