#!/bin/sh
# The service's default (--execution pool) against --execution event-loop against GrpcCeiling, one after another in one
# run (examples/README.md, "Benchmark: inference on the event loop"): fraud model, cache off; per service a warm-up at
# 16 clients (JIT), then gRPC and HTTP (/v1, /v2) through jinfer bench's event-driven clients at 1 and 16 clients, and
# wrk on /v1 and /v2 at 1 client (-t1 -c1) and 16 (-t2 -c16), D (default 10s) each; then GrpcCeiling (no-op ModelInfer)
# with the same gRPC command, and wrk on GET /health/live (answered by the event loop, no JSON, no model) as the HTTP
# ceiling. MODES="event-loop" runs one mode, NO_CEILINGS=1 skips the ceilings, SERVICE_ARGS adds service flags.
# Run from the repository root after mvn -B -pl examples,cli -am package -DskipTests, under the build lock:
# flock /tmp/jinfer-build.lock examples/bench/execution.sh
set -e
D=${D:-10s}
JAR=examples/target/rest-service.jar
B=examples/bench
OUT=${OUT:-/tmp/jinfer-execution}
mkdir -p $OUT
GRPC="--model-name fraud -c 1,16 --warmup 2s --window 5s --max-windows 1 --stable-windows 1"
wrk() { /usr/bin/wrk "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors' | tr -s ' ' | paste -sd' '; }
for mode in ${MODES:-pool event-loop}; do
  java -XX:+UseG1GC -Xms512m -Xmx512m -cp $JAR dev.jinfer.examples.rest.RestService --port 18080 --grpc-port 18081 \
    --cache-size 0 --poll-ms 0 --execution $mode $SERVICE_ARGS > $OUT/service-$mode.log 2>&1 &
  PID=$!
  trap 'kill $PID 2>/dev/null' EXIT
  for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
  echo "##### the service, --execution $mode"
  /usr/bin/wrk -t2 -c16 -d5s -s $B/v1.lua http://127.0.0.1:18080 >/dev/null   # warm-up (JIT)
  /usr/bin/wrk -t2 -c16 -d5s -s $B/v2.lua http://127.0.0.1:18080 >/dev/null
  java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18081 --model-name fraud -c 16 --warmup 5s --window 2s \
    --max-windows 1 --stable-windows 1 >/dev/null 2>&1
  echo "== gRPC: java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18081 $GRPC"
  java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18081 $GRPC 2>&1 | grep -E '^conc|^ +(1|16) |WARN' || true
  for p in v1 v2; do
    echo "== HTTP: java -jar cli/target/jinfer.jar bench --url http://127.0.0.1:18080 --protocol $p $GRPC"
    java -jar cli/target/jinfer.jar bench --url http://127.0.0.1:18080 --protocol $p $GRPC 2>&1 | grep -E '^ +(1|16) |WARN' || true
  done
  for lua in v1 v2; do
    echo "== wrk -t1 -c1 -d$D -s $B/$lua.lua --latency";  wrk -t1 -c1 -d$D -s $B/$lua.lua http://127.0.0.1:18080 --latency
    echo "== wrk -t2 -c16 -d$D -s $B/$lua.lua --latency"; wrk -t2 -c16 -d$D -s $B/$lua.lua http://127.0.0.1:18080 --latency
  done
  kill $PID; wait $PID 2>/dev/null || true
done
[ -n "$NO_CEILINGS" ] && exit 0
java -XX:+UseG1GC -Xms256m -Xmx256m -cp $JAR dev.jinfer.examples.rest.GrpcCeiling 18082 > $OUT/ceiling.log 2>&1 &
CPID=$!
trap 'kill $CPID 2>/dev/null' EXIT
for i in $(seq 100); do grep -q ceiling $OUT/ceiling.log && break; sleep 0.1; done
echo "##### GrpcCeiling (no-op ModelInfer)"
java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18082 --model-name fraud -c 16 --warmup 5s --window 2s \
  --max-windows 1 --stable-windows 1 >/dev/null 2>&1
echo "== gRPC: java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18082 $GRPC"
java -jar cli/target/jinfer.jar bench --url grpc://127.0.0.1:18082 $GRPC 2>&1 | grep -E '^conc|^ +(1|16) |WARN' || true
kill $CPID; wait $CPID 2>/dev/null || true
java -XX:+UseG1GC -Xms512m -Xmx512m -cp $JAR dev.jinfer.examples.rest.RestService --port 18080 --cache-size 0 --poll-ms 0 \
  > $OUT/service-live.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
echo "##### HTTP ceiling: GET /health/live on the event loop"
/usr/bin/wrk -t2 -c16 -d5s -s $B/live.lua http://127.0.0.1:18080 >/dev/null
echo "== wrk -t1 -c1 -d$D -s $B/live.lua --latency";  wrk -t1 -c1 -d$D -s $B/live.lua http://127.0.0.1:18080 --latency
echo "== wrk -t2 -c16 -d$D -s $B/live.lua --latency"; wrk -t2 -c16 -d$D -s $B/live.lua http://127.0.0.1:18080 --latency
kill $PID; wait $PID 2>/dev/null || true
