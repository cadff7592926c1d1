#!/usr/bin/env bash
# Cold start, one step at a time: several builds of the CLI distribution (or one build with different settings)
# against the raw ONNX Runtime program, all in one hyperfine run, so that each step's ratio to raw ORT is measured
# under the same machine load. benchmarks/README.md, "Cold start", has the figures and the protocol.
#
#   benchmarks/cold-start-steps.sh RUNS 'LABEL|DIST.tar.gz[|ENV=VALUE ...]' ...
#
# Each variant is `bin/jinfer predict` on the fraud model from that distribution (unpacked once per archive, its
# CDS archive written by one training run, JINFER_CDS=dump), with the optional environment settings, e.g.
#   'G1|cli/target/jinfer-0.1.0-SNAPSHOT-linux-x86_64.tar.gz|JINFER_JAVA_OPTS=-XX:+UseG1GC'
# The raw program (RawOnnxStartup with the first archive's ONNX Runtime jar and natives) runs with the JVM's
# defaults ("raw ORT", the goal's floor) and with the launcher's one-shot flags. Build the benchmarks module first
# (mvn -B -pl benchmarks -am package -DskipTests). Run from the repository root, alone, under the build lock:
#   flock /tmp/jinfer-build.lock benchmarks/cold-start-steps.sh 20 'before|/tmp/a.tar.gz' 'after|/tmp/b.tar.gz'
# Writes benchmarks/target/cold-start-steps.{md,json} and prints each variant's mean and median against raw ORT.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: cold-start-steps.sh RUNS LABEL|DIST.tar.gz[|ENV=VALUE ...] ...}
shift
[ $# -ge 1 ] || { echo "cold-start-steps: name at least one distribution" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "cold-start-steps: hyperfine not found (apt-get install hyperfine)" >&2; exit 2; }
[ -f benchmarks/target/classes/dev/jinfer/benchmarks/RawOnnxStartup.class ] || { echo "cold-start-steps: build benchmarks first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=fixtures/onnx/fraud.onnx
predict="predict $model -i features=fixtures/onnx/fraud_input.npy -d $work/out"
one_shot="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData"

declare -A unpacked=()
variants=()
first=
n=0
for spec in "$@"; do
  IFS='|' read -r label tgz envs <<<"$spec"
  [ -f "$tgz" ] || { echo "cold-start-steps: $tgz: no such archive" >&2; exit 2; }
  if [ -z "${unpacked[$tgz]:-}" ]; then
    n=$((n + 1))
    mkdir "$work/d$n"
    tar xzf "$tgz" -C "$work/d$n"
    unpacked[$tgz]=$(ls -d "$work/d$n"/jinfer-*/)
    JINFER_CDS=dump "${unpacked[$tgz]}"bin/jinfer $predict >/dev/null 2>&1
    ls "${unpacked[$tgz]}"cds/*.jsa >/dev/null
  fi
  dir=${unpacked[$tgz]}
  [ -n "$first" ] || first=$dir
  if [ -n "$envs" ]; then
    variants+=(-n "$label" "env $envs ${dir}bin/jinfer $predict")
  else
    variants+=(-n "$label" "${dir}bin/jinfer $predict")
  fi
done

ort_jar=$(ls "$first"lib/onnxruntime-*.jar)
jar cf "$work/raw.jar" -C benchmarks/target/classes dev/jinfer/benchmarks/RawOnnxStartup.class
raw="-Donnxruntime.native.path=${first}lib/native/onnxruntime -cp $work/raw.jar:$ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model"

mkdir -p benchmarks/target
uptime
hyperfine -N --warmup 2 --runs "$runs" --export-markdown benchmarks/target/cold-start-steps.md \
  --export-json benchmarks/target/cold-start-steps.json \
  -n "raw ORT" "java $raw" -n "raw ORT, one-shot flags" "java $one_shot $raw" "${variants[@]}"
uptime
echo
java -version 2>&1 | head -1
python3 - benchmarks/target/cold-start-steps.json <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
raw = results[0]
print("| variant | mean ms | sd | median ms | min ms | max ms | mean / raw ORT | median / raw ORT |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in results:
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |" % (r["command"], r["mean"] * 1e3, r["stddev"] * 1e3,
          r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3, r["mean"] / raw["mean"], r["median"] / raw["median"]))
PY
