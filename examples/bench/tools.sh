#!/bin/sh
# Load tool against load tool, and the service against the machine's ceiling (examples/README.md, "Benchmark:
# tools and ceilings"): one service (fraud model, cache off), in the same run
#  - the ceiling: wrk on GET /health/live (answered on the event loop, fixed body: no JSON, no model),
#  - /v1 and /v2 with wrk (the same body form and size the tool sends: named tensor, 32 float32 features),
#  - the same with jinfer bench --url (and OLD_JAR's), and the tool against HttpCeiling (fixed answers to every POST
#    on the event loop: the ceiling the tool can measure, which cannot GET /health/live),
#  - gRPC: jinfer bench --url grpc:// against the service and against GrpcCeiling (a grpc-java server answering
#    ModelInfer with a fixed response on the event loop: no model, no serving chain),
# at 1 and 16 clients. PIN=1 pins the service to core 0 and every load generator to core 1 (taskset), so the two
# do not share a core; without it both float over the two cores.
# Run from the repository root after mvn -B -pl examples,cli -am package -DskipTests, under the build lock:
# flock /tmp/jinfer-build.lock examples/bench/tools.sh          (D=5s per run by default; GRPC_ONLY=1 skips HTTP,
# HTTP_ONLY=1 skips gRPC; OLD_JAR=path/to/an/earlier/jinfer.jar also runs that build's jinfer bench over HTTP, alternated
# with this one's, ROUNDS times (default 1))
set -e
D=${D:-5s}
JAR=examples/target/rest-service.jar
B=examples/bench
OUT=${OUT:-/tmp/jinfer-tools}
mkdir -p $OUT
SVC=${PIN:+taskset -c 0}
LOAD=${PIN:+taskset -c 1}
$SVC java -XX:+UseG1GC -Xms512m -Xmx512m -cp $JAR dev.jinfer.examples.rest.RestService --port 18080 --grpc-port 18081 \
  --cache-size 0 --poll-ms 0 $SERVICE_ARGS > $OUT/service.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
head -1 $OUT/service.log
if [ -n "$PIN" ]; then echo "pinning: services on core 0, load generators on core 1"; else echo "pinning: none"; fi
# the bodies: 32 seeded standard-normal float32 features, printed with up to 9 significant digits like Java's Float.toString
python3 - $OUT <<'PY'
import json, random, struct, sys
random.seed(7)
xs = [struct.unpack('f', struct.pack('f', random.gauss(0, 1)))[0] for _ in range(32)]
data = '[' + ','.join(repr(float('%.9g' % x)) for x in xs) + ']'
open(sys.argv[1] + '/v1.json', 'w').write('{"inputs":{"features":{"dtype":"FLOAT32","shape":[1,32],"data":' + data + '}}}')
open(sys.argv[1] + '/v2.json', 'w').write('{"inputs":[{"name":"features","datatype":"FP32","shape":[1,32],"data":' + data + '}]}')
PY
S=${D%s}
BENCH="--warmup 2s --window ${S}s --max-windows 1 --stable-windows 1"
if [ -z "$GRPC_ONLY" ]; then
wrk() { $LOAD /usr/bin/wrk "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors' | tr -s ' ' | paste -sd' '; }
BODY=$OUT/v1.json $LOAD /usr/bin/wrk -t2 -c16 -d5s -s $B/named.lua http://127.0.0.1:18080 >/dev/null   # warm-up (JIT)
BODY=$OUT/v2.json WRK_PATH=/v2/models/fraud/infer $LOAD /usr/bin/wrk -t2 -c16 -d5s -s $B/named.lua http://127.0.0.1:18080 >/dev/null
for c in 1 16; do
  t=$([ $c = 1 ] && echo 1 || echo 2)
  echo "== ceiling: wrk GET /health/live, $c clients";  wrk -t$t -c$c -d$D --latency -s $B/live.lua http://127.0.0.1:18080
  echo "== wrk /v1, $c clients";  BODY=$OUT/v1.json wrk -t$t -c$c -d$D --latency -s $B/named.lua http://127.0.0.1:18080
  echo "== wrk /v2, $c clients";  BODY=$OUT/v2.json WRK_PATH=/v2/models/fraud/infer wrk -t$t -c$c -d$D --latency -s $B/named.lua http://127.0.0.1:18080
done
$SVC java -XX:+UseG1GC -Xms256m -Xmx256m -cp $JAR dev.jinfer.examples.rest.HttpCeiling 18083 > $OUT/http-ceiling.log 2>&1 &
HPID=$!
trap 'kill $PID $HPID 2>/dev/null' EXIT
for i in $(seq 100); do grep -q ceiling $OUT/http-ceiling.log && break; sleep 0.1; done
for r in $(seq ${ROUNDS:-1}); do
  for jar in cli/target/jinfer.jar $OLD_JAR; do
    echo "== round $r: jinfer bench ($jar) --url http://127.0.0.1:18083, 1 and 16 clients (the ceiling: HttpCeiling)"
    $LOAD java -jar $jar bench --url http://127.0.0.1:18083 --model-name fraud -c 1,16 $BENCH 2>&1 \
      | grep -E '^ +(1|16) |WARN|Running' || true
  done
  for p in v1 v2; do
    for jar in cli/target/jinfer.jar $OLD_JAR; do
      echo "== round $r: jinfer bench ($jar) --url --protocol $p, 1 and 16 clients"
      $LOAD java -jar $jar bench --url http://127.0.0.1:18080 --protocol $p --model-name fraud -c 1,16 $BENCH 2>&1 \
        | grep -E '^ +(1|16) |^conc|WARN|Running' || true
    done
  done
done
kill $HPID; wait $HPID 2>/dev/null || true
fi
if [ -z "$HTTP_ONLY" ]; then
$SVC java -XX:+UseG1GC -Xms256m -Xmx256m -cp $JAR dev.jinfer.examples.rest.GrpcCeiling 18082 > $OUT/ceiling.log 2>&1 &
CPID=$!
trap 'kill $PID $CPID 2>/dev/null' EXIT
for i in $(seq 100); do grep -q ceiling $OUT/ceiling.log && break; sleep 0.1; done
for u in grpc://127.0.0.1:18081 grpc://127.0.0.1:18082; do
  echo "== jinfer bench --url $u, 1 and 16 clients ($([ $u = grpc://127.0.0.1:18082 ] && echo 'the ceiling: GrpcCeiling' || echo 'the service'))"
  $LOAD java -jar cli/target/jinfer.jar bench --url $u --model-name fraud -c 1,16 $BENCH 2>&1 | grep -E '^ +(1|16) |WARN' || true
done
kill $CPID; wait $CPID 2>/dev/null || true
fi
kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true
