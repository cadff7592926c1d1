#!/bin/sh
# The REST service's soak (examples/README.md, "Soak"): the service on a repository holding the fraud model, with
# its chain of cache, breaker and adaptive batching (--batch-max-size 32: batching is off by default), under an open-loop load of RATE requests/s for MINUTES
# minutes from wrk (10 connections, each pausing between requests; rows drawn from a pool of 20,000, so the
# cache of 10,000 both hits and evicts), while a new model version is published every SWAP_S seconds and the old one deleted (the service
# polls its repository every second, so it hot-swaps under load). Every 10 s it prints one CSV line:
#   s, process RSS (VmRSS) MB, heap used MB, G1 old generation used MB, non-heap committed MB (code cache,
#   metaspace), direct buffers MB, predict requests answered 200 / otherwise, versions swapped, and the RSS split
#   from /proc/PID/smaps: resident MB of the Java heap's range, other anonymous memory (native: JIT code,
#   metaspace, ONNX Runtime, malloc arenas, thread stacks), file-backed (libraries, jars).
# JVM_FLAGS replaces the heap flags (default -Xms256m -Xmx512m), e.g. JVM_FLAGS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch"
# makes the whole heap resident from the start, so RSS growth is growth outside it.
# With NMT=1 the service runs with -XX:NativeMemoryTracking=summary: a baseline is taken at WARMUP_S and the
# JVM's own growth since then is written to $OUT/nmt-diff.txt (RSS growth beyond it is native memory outside
# the JVM: ONNX Runtime, glibc's allocator).
# and at the end the RSS growth after warm-up (the first WARMUP_S seconds).
# Run from the repository root after: mvn -B -pl examples,cli -am package -DskipTests
# It measures memory, not speed; it still uses ~half a core, so do not run a timing benchmark beside it.
set -e
MINUTES=${MINUTES:-30}
RATE=${RATE:-1000}
SWAP_S=${SWAP_S:-30}
WARMUP_S=${WARMUP_S:-120}
PORT=${PORT:-18090}
JAR=examples/target/rest-service.jar
OUT=${OUT:-/tmp/jinfer-soak}
rm -rf "$OUT"; mkdir -p "$OUT/models/fraud/1"
cp fixtures/onnx/fraud.onnx "$OUT/models/fraud/1/model.onnx"
java -XX:+UseG1GC ${JVM_FLAGS:--Xms256m -Xmx512m} ${NMT:+-XX:NativeMemoryTracking=summary} -cp "$JAR" dev.jinfer.examples.rest.RestService --port "$PORT" \
  --models "$OUT/models" --poll-ms 1000 --batch-max-size 32 > "$OUT/service.log" 2>&1 &
PID=$!
LOAD=
trap 'kill $PID $LOAD 2>/dev/null' EXIT
for i in $(seq 600); do curl -sf "127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
SECONDS_TOTAL=$((MINUTES * 60))
DELAY_MS=$((10 * 1000 / RATE)) wrk -t1 -c10 -d"${MINUTES}m" --latency --timeout 5s -s examples/bench/soak.lua \
  "http://127.0.0.1:$PORT" > "$OUT/wrk.txt" 2>&1 &
LOAD=$!
metric() { # sum of a metric's samples whose labels contain $2
  curl -sf "127.0.0.1:$PORT/metrics" | awk -v m="$1" -v l="$2" \
    'index($0, m) == 1 && index($0, l) > 0 { s += $NF } END { printf "%.1f", s / 1048576 }'
}
requests() { # predict answers: status 200, other statuses
  curl -sf "127.0.0.1:$PORT/metrics" | awk '/^http_server_requests_seconds_count\{/ && /predict"/ {
    if (index($0, "status=\"200\"")) ok += $NF; else bad += $NF } END { printf "%d,%d", ok, bad }'
}
HEAP=$(jcmd $PID GC.heap_info | sed -n 's/.*\[0x\([0-9a-f]*\), 0x\([0-9a-f]*\)).*/\1 \2/p' | head -1)
rss_split() { # resident MB inside the Java heap's address range, anonymous outside it, file-backed (libraries, jars)
  awk -v range="$HEAP" 'function pad(a) { a = sprintf("%16s", a); gsub(/ /, "0", a); return a }
    BEGIN { split(range, r, " "); lo = pad(r[1]); hi = pad(r[2]) }
    /^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); k = (pad(a[1]) >= lo && pad(a[2]) <= hi) ? "h" : (NF >= 6 && $6 ~ /^\//) ? "f" : "a" }
    /^Rss:/ { s[k] += $2 } END { printf "%.1f,%.1f,%.1f", s["h"] / 1024, s["a"] / 1024, s["f"] / 1024 }' /proc/$PID/smaps
}
echo "s,rss_mb,heap_used_mb,old_gen_mb,nonheap_mb,direct_mb,ok,not_ok,swaps,heap_rss_mb,anon_rss_mb,file_rss_mb" | tee "$OUT/soak.csv"
start=$(date +%s); version=1; last_swap=$start
while :; do
  now=$(date +%s); s=$((now - start))
  rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$PID/status)
  echo "$s,$rss,$(metric jvm_memory_used_bytes 'area="heap"'),$(metric jvm_memory_used_bytes 'Old Gen'),$(metric jvm_memory_committed_bytes 'area="nonheap"'),$(metric jvm_buffer_memory_used_bytes 'direct'),$(requests),$((version - 1)),$(rss_split)" \
    | tee -a "$OUT/soak.csv"
  if [ -n "${NMT:-}" ] && [ -z "${baseline:-}" ] && [ "$s" -ge "$WARMUP_S" ]; then
    jcmd $PID VM.native_memory baseline > /dev/null; baseline=$s
  fi
  kill -0 $LOAD 2>/dev/null || break   # wrk ends after MINUTES
  [ "$s" -ge $((SECONDS_TOTAL + 30)) ] && break
  if [ $((now - last_swap)) -ge "$SWAP_S" ]; then
    next=$((version + 1))
    mkdir -p "$OUT/models/fraud/$next.tmp" && cp fixtures/onnx/fraud.onnx "$OUT/models/fraud/$next.tmp/model.onnx"
    mv "$OUT/models/fraud/$next.tmp" "$OUT/models/fraud/$next"
    for i in $(seq 100); do
      curl -sf "127.0.0.1:$PORT/v2/models/fraud/versions/$next/ready" >/dev/null && break; sleep 0.1
    done
    rm -rf "$OUT/models/fraud/$version"; version=$next; last_swap=$now
  fi
  sleep $((10 - ($(date +%s) - now)))
done
[ -n "${baseline:-}" ] && jcmd $PID VM.native_memory summary.diff > "$OUT/nmt-diff.txt"
kill $LOAD 2>/dev/null || true; wait $LOAD 2>/dev/null || true
grep -E "^soak|Requests/sec" "$OUT/wrk.txt"
awk -F, -v w="$WARMUP_S" 'NR > 1 && $1 ~ /^[0-9]+$/ && $1 >= w { if (!n++) first = $2; last = $2; if ($2 > max) max = $2 }
  END { if (n) printf "RSS after %d s warm-up: %.1f -> %.1f MB (%+.1f%%), max %.1f MB (%+.1f%%), %d samples\n",
        w, first, last, 100 * (last - first) / first, max, 100 * (max - first) / first, n }' "$OUT/soak.csv"
awk -F, -v w="$WARMUP_S" 'NR > 1 && $1 ~ /^[0-9]+$/ && $1 >= w { if (!n++) { h = $10; a = $11; f = $12 } lh = $10; la = $11; lf = $12 }
  END { if (n) printf "RSS split after warm-up: Java heap %.1f -> %.1f MB, other anonymous %.1f -> %.1f MB, file-backed %.1f -> %.1f MB\n",
        h, lh, a, la, f, lf }' "$OUT/soak.csv"
