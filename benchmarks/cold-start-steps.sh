#!/usr/bin/env bash
# Cold start, one step at a time: several builds of the CLI distribution (or one build with different settings)
# against the raw ONNX Runtime program, all in one hyperfine run, so that each step's ratio to raw ORT is measured
# under the same machine load. benchmarks/README.md, "Cold start", has the figures and the protocol.
#
#   benchmarks/cold-start-steps.sh RUNS 'LABEL|DIST.tar.gz[|VAR=VALUE]' ...
#
# Each variant is `bin/jinfer predict` on the fraud model from that distribution (unpacked once per archive, its
# CDS archive written by one training run, JINFER_CDS=dump), with the optional environment variable (one; its
# value may hold spaces, not single quotes), e.g.
#   'G1|cli/target/jinfer-0.1.0-SNAPSHOT-linux-x86_64.tar.gz|JINFER_JAVA_OPTS=-XX:+UseG1GC'
# The raw program (RawOnnxStartup with the first archive's ONNX Runtime jar and natives) runs with the JVM's
# defaults ("raw ORT", the goal's floor) and with the launcher's one-shot flags. Build the benchmarks module first
# (mvn -B -pl benchmarks -am package -DskipTests). Run from the repository root, alone, under the build lock:
#   flock /tmp/jinfer-build.lock benchmarks/cold-start-steps.sh 20 'before|/tmp/a.tar.gz' 'after|/tmp/b.tar.gz'
# RUNS is the runs per variant, taken in rounds of 3 (see below). Writes benchmarks/target/cold-start-steps-round-*.json
# and prints each variant's median and its ratio to raw ORT, pooled and per round.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: cold-start-steps.sh RUNS LABEL|DIST.tar.gz[|VAR=VALUE] ...}
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
    variants+=(-n "$label" "env '$envs' ${dir}bin/jinfer $predict")
  else
    variants+=(-n "$label" "${dir}bin/jinfer $predict")
  fi
done

ort_jar=$(ls "$first"lib/onnxruntime-*.jar)
jar cf "$work/raw.jar" -C benchmarks/target/classes dev/jinfer/benchmarks/RawOnnxStartup.class
raw="-Donnxruntime.native.path=${first}lib/native/onnxruntime -cp $work/raw.jar:$ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model"

mkdir -p benchmarks/target
# Rounds, not blocks: every round runs every variant `per_round` times (hyperfine, the order rotated from round to
# round), so that load drifting on a shared machine hits all variants alike; each variant's ratio is taken per
# round (its median over the round's median of raw ORT), and the medians of all rounds' samples are reported too.
rounds=$(((runs + 2) / 3))
per_round=3
uptime
count=$((${#variants[@]} / 3 + 2))
all=(-n "raw ORT" "java $raw" -n "raw ORT, one-shot flags" "java $one_shot $raw" "${variants[@]}")
hyperfine -N --runs 1 "${all[@]}" >/dev/null 2>&1 # warm the page cache
rm -f benchmarks/target/cold-start-steps-round-*.json
for ((r = 0; r < rounds; r++)); do
  order=()
  for ((i = 0; i < count; i++)); do
    j=$(((i + r) % count))
    order+=("${all[@]:$((j * 3)):3}")
  done
  hyperfine -N --runs "$per_round" --style none --export-json "benchmarks/target/cold-start-steps-round-$r.json" "${order[@]}" >/dev/null
done
uptime
echo
java -version 2>&1 | head -1
python3 - "$rounds" "$per_round" benchmarks/target/cold-start-steps-round-*.json <<'PY'
import json, statistics, sys
rounds, per_round, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
samples, ratios, cpu, names = {}, {}, {}, []
for f in files:
    loaded = json.load(open(f))["results"]
    for r in loaded:
        cpu.setdefault(r["command"], []).append((r["user"] + r["system"]) * 1e3)
    results = {r["command"]: r["times"] for r in loaded}
    raw = statistics.median(results["raw ORT"])
    for name, times in results.items():
        if name not in names:
            names.append(name)
        samples.setdefault(name, []).extend(times)
        ratios.setdefault(name, []).append(statistics.median(times) / raw)
names.sort(key=lambda n: (n != "raw ORT", n != "raw ORT, one-shot flags"))
raw_median = statistics.median(samples["raw ORT"])
print("%d rounds x %d runs per variant, order rotated per round" % (rounds, per_round))
print()
print("| variant | median ms | p25-p75 ms | min ms | median / raw ORT (all samples) | per-round ratio: median (min-max) | rounds <= 1.2x | CPU ms (user+sys) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in names:
    t = sorted(x * 1e3 for x in samples[n])
    q = statistics.quantiles(t, n=4)
    rr = ratios[n]
    print("| %s | %.1f | %.1f-%.1f | %.1f | %.2f | %.2f (%.2f-%.2f) | %d/%d | %.0f |" % (n, statistics.median(t), q[0], q[2],
          t[0], statistics.median(t) / (raw_median * 1e3), statistics.median(rr), min(rr), max(rr),
          sum(1 for x in rr if x <= 1.2), len(rr), statistics.median(cpu[n])))
PY
