#!/usr/bin/env bash
# Writes the REST service's AppCDS archive (dist/README.md) with a training run: starts the service with
# JINFER_CDS=dump on the models in /models, scores one request over HTTP, stops it with SIGTERM (the JVM
# writes the archive as it exits), and checks the archive is there. Run by examples/deploy/Dockerfile at
# image build; any installation can run it: cds-training-run.sh [INSTALLATION] [MODELS].
set -euo pipefail
home=${1:-$(cd "$(dirname "$0")" && pwd)}
models=${2:-/models}
log=$(mktemp)
JINFER_CDS=dump "$home/bin/rest-service" --port 0 --grpc-port 0 --models "$models" --poll-ms 0 >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$log" | head -1)
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; echo "cds-training-run: the service did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; kill $pid; echo "cds-training-run: no port in the service's log" >&2; exit 1; }
row=$(printf '0.1,%.0s' $(seq 31))0.1
body="{\"features\":[[$row]]}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/models/fraud/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
  "${#body}" "$body" >&3
status=$(head -n 1 <&3)
exec 3<&-
grep -q ' 200 ' <<<"$status" || { cat "$log" >&2; kill $pid; echo "cds-training-run: predict answered: $status" >&2; exit 1; }
kill -TERM $pid
wait $pid || true
cat "$log"
rm -f "$log"
ls "$home"/cds/rest-service-*.jsa >/dev/null
