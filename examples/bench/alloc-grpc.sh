#!/bin/sh
# Allocation per gRPC ModelInfer request (examples/README.md, "Benchmark"): the service with --grpc-port 18081 and
# --cache-size 0, a 5 s warm-up with GrpcLoad (16 clients), JFR profile around GrpcLoad 16 clients 10 s, then alloc.py.
# Run from the repository root after a package, under the build lock: flock /tmp/jinfer-build.lock examples/bench/alloc-grpc.sh
OUT=/tmp/jinfer-bench; mkdir -p $OUT
CP=examples/target/rest-service.jar
java -XX:+UseG1GC -Xms512m -Xmx512m -cp $CP dev.jinfer.examples.rest.RestService --port 18080 --grpc-port 18081 --cache-size 0 --poll-ms 0 > $OUT/alloc-grpc-service.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf 127.0.0.1:18080/health/ready >/dev/null && break; sleep 0.2; done
java -cp $CP dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 5 fraud 0 >/dev/null 2>&1
jcmd $PID JFR.start name=alloc settings=profile filename=$OUT/alloc-grpc.jfr >/dev/null
java -cp $CP dev.jinfer.examples.rest.GrpcLoad 127.0.0.1 18081 16 10 fraud 0 > $OUT/alloc-grpc-load.txt 2>&1
jcmd $PID JFR.stop name=alloc >/dev/null
cat $OUT/alloc-grpc-load.txt
TOP=${TOP:-0} python3 examples/bench/alloc.py $OUT/alloc-grpc.jfr $(sed -n "s/.* requests=\([0-9]*\) .*/\1/p" $OUT/alloc-grpc-load.txt)
kill $PID
