#!/usr/bin/env bash
# Cold start: a whole process, from exec to its first prediction on the fraud model, in one hyperfine run:
#   raw ORT                 RawOnnxStartup (jinfer predict's ONNX Runtime settings) with the distribution's ORT
#                           jar and unpacked natives, the JVM's defaults: the floor of the goal (<= 1.2x, <= 300 ms)
#   raw ORT, one-shot flags the same with the launcher's one-shot JVM options (C1, SerialGC, -UsePerfData)
#   raw ORT (stock jar)     RawOnnxStartup with Maven Central's onnxruntime jar (unpacks its natives to /tmp)
#   jinfer predict, ...     the CLI distribution's bin/jinfer: no CDS; CDS (the default launch); CDS with
#                           JINFER_SHORT_RUN=off (the JVM's defaults and every jar); CDS through picocli
#                           (--input=NAME=FILE is not a plain command line, so the fast path declines it)
#   before                  with BEFORE_TGZ=<an older jinfer-*-linux-x86_64.tar.gz>: that distribution, CDS
#   java -jar jinfer.jar    the development layout (cli/target/jinfer.jar + target/lib, stock ORT jar)
#   Lambda init + 1st call  FraudHandler's static init (load + warmup) and one API Gateway event (LocalInvoke),
#                           from the REST service distribution's lib/: no CDS, CDS, CDS + C1 + SLF4J's provider
#                           named (what JAVA_TOOL_OPTIONS can give a Lambda function)
#   Java 25                 when a JDK 25+ is found (JDK25=<its home>, else /usr/lib/jvm/*25*): raw ORT, and
#                           raw ORT with the one-shot flags and an AOT cache of its own (the strictest floor), and
#                           jinfer predict with the launcher's AOT cache (JINFER_CDS=dump writes one on 25+)
# Build first:  mvn -B -pl cli,examples,benchmarks -am package -DskipTests
# Run from the repository root, alone on the machine (here: under the build lock):
#   flock /tmp/jinfer-build.lock benchmarks/cold-start.sh [RUNS]
# Writes hyperfine's table to benchmarks/target/cold-start.md, the JSON beside it, and prints each variant's mean
# against raw ORT.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
command -v hyperfine >/dev/null || { echo "cold-start: hyperfine not found (apt-get install hyperfine)" >&2; exit 2; }

base_archive() { # the base archive of a module, not an add-on
  local found
  found=$(ls "$1"/target/"$2"-*-linux-x86_64.tar.gz 2>/dev/null | grep -v -e '-tensorflow-linux' -e '-pytorch-linux' | head -1)
  [ -n "$found" ] || { echo "cold-start: no $1/target/$2-<version>-linux-x86_64.tar.gz; build first (see the header)" >&2; exit 2; }
  printf '%s\n' "$found"
}
cli_tgz=$(base_archive cli jinfer)
rest_tgz=$(base_archive examples rest-service)
[ -f benchmarks/target/classes/dev/jinfer/benchmarks/RawOnnxStartup.class ] || { echo "cold-start: build benchmarks first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$cli_tgz" -C "$work"
tar xzf "$rest_tgz" -C "$work"
cli=$(ls -d "$work"/jinfer-*/)
rest=$(ls -d "$work"/rest-service-*/)
ort_jar=$(ls "$cli"lib/onnxruntime-*.jar)
stock_ort_jar=$(ls examples/target/lib/onnxruntime-*.jar)
model=fixtures/onnx/fraud.onnx
event=examples/src/test/resources/lambda/apigw-one-transaction.json
predict="predict $model -i features=fixtures/onnx/fraud_input.npy -d $work/out"
lambda_cp="$rest"'lib/*'
lambda_jsa=$work/lambda.jsa
one_shot="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData"
# the raw program in a jar of its own (an AOT cache refuses a directory on the class path)
jar cf "$work/raw.jar" -C benchmarks/target/classes dev/jinfer/benchmarks/RawOnnxStartup.class
raw="-Donnxruntime.native.path=${cli}lib/native/onnxruntime -cp $work/raw.jar:$ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model"

# the CDS archives: one training run each
JINFER_CDS=dump "$cli"bin/jinfer $predict >/dev/null 2>&1
java -XX:ArchiveClassesAtExit="$lambda_jsa" -Donnxruntime.native.path="$rest"lib/native/onnxruntime -cp "$lambda_cp" \
  dev.jinfer.examples.lambda.LocalInvoke "$event" >/dev/null 2>&1
ls "$cli"cds/*.jsa "$lambda_jsa" >/dev/null

variants=(
  -n "raw ORT" "java $raw"
  -n "raw ORT, one-shot flags" "java $one_shot $raw"
  -n "raw ORT (stock jar)" "java -cp $work/raw.jar:$stock_ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model"
  -n "jinfer predict, no CDS" "env JINFER_CDS=off ${cli}bin/jinfer $predict"
  -n "jinfer predict, CDS" "${cli}bin/jinfer $predict"
  -n "jinfer predict, CDS, JINFER_SHORT_RUN=off" "env JINFER_SHORT_RUN=off ${cli}bin/jinfer $predict"
  -n "jinfer predict, CDS, through picocli" "${cli}bin/jinfer ${predict/-i /--input=}"
)
if [ -n "${BEFORE_TGZ:-}" ]; then
  mkdir "$work/before"
  tar xzf "$BEFORE_TGZ" -C "$work/before"
  before=$(ls -d "$work"/before/jinfer-*/)
  JINFER_CDS=dump "$before"bin/jinfer $predict >/dev/null 2>&1
  variants+=(-n "before: jinfer predict, CDS ($(basename "$BEFORE_TGZ"))" "${before}bin/jinfer $predict")
fi
variants+=(
  -n "java -jar jinfer.jar predict" "java -jar cli/target/jinfer.jar $predict"
  -n "jinfer --version, CDS" "${cli}bin/jinfer --version"
  -n "Lambda init + 1st call" "java -Donnxruntime.native.path=${rest}lib/native/onnxruntime -cp $lambda_cp dev.jinfer.examples.lambda.LocalInvoke $event"
  -n "Lambda init + 1st call, CDS" "java -XX:SharedArchiveFile=$lambda_jsa -Xlog:cds=off -Xlog:cds+dynamic=off -Donnxruntime.native.path=${rest}lib/native/onnxruntime -cp $lambda_cp dev.jinfer.examples.lambda.LocalInvoke $event"
  -n "Lambda init + 1st call, CDS, C1, slf4j.provider" "java -XX:TieredStopAtLevel=1 -Dslf4j.provider=org.slf4j.simple.SimpleServiceProvider -Dslf4j.internal.verbosity=WARN -XX:SharedArchiveFile=$lambda_jsa -Xlog:cds=off -Xlog:cds+dynamic=off -Donnxruntime.native.path=${rest}lib/native/onnxruntime -cp $lambda_cp dev.jinfer.examples.lambda.LocalInvoke $event"
)
jdk25=${JDK25:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1 || true)}
if [ -n "$jdk25" ] && [ -x "$jdk25/bin/java" ]; then
  JAVA=$jdk25/bin/java JINFER_CDS=dump "$cli"bin/jinfer $predict >/dev/null 2>&1
  ls "$cli"cds/*.aot >/dev/null
  "$jdk25"/bin/java -XX:AOTCacheOutput="$work/raw25.aot" -Xlog:aot=off -Xlog:cds=off --enable-native-access=ALL-UNNAMED \
    $one_shot $raw >/dev/null 2>&1
  variants+=(
    -n "Java 25: raw ORT" "$jdk25/bin/java --enable-native-access=ALL-UNNAMED $raw"
    -n "Java 25: raw ORT, one-shot flags, its own AOT cache" "$jdk25/bin/java -XX:AOTCache=$work/raw25.aot -Xlog:aot=off -Xlog:cds=off --enable-native-access=ALL-UNNAMED $one_shot $raw"
    -n "Java 25: jinfer predict, AOT cache" "env JAVA=$jdk25/bin/java ${cli}bin/jinfer $predict"
  )
fi

mkdir -p benchmarks/target
hyperfine -N --warmup 2 --runs "$runs" --export-markdown benchmarks/target/cold-start.md \
  --export-json benchmarks/target/cold-start.json "${variants[@]}"
echo
java -version 2>&1 | head -1
python3 - benchmarks/target/cold-start.json <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
raw = {r["command"]: r["mean"] for r in results}
base17 = raw["raw ORT"]
base25 = raw.get("Java 25: raw ORT")
print("| variant | mean ms | sd | min ms | max ms | / raw ORT (Java 17) | / raw ORT (same JDK) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in results:
    same = base25 if r["command"].startswith("Java 25") else base17
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |" % (r["command"], r["mean"] * 1e3, r["stddev"] * 1e3,
          r["min"] * 1e3, r["max"] * 1e3, r["mean"] / base17, r["mean"] / same))
PY
echo
echo "sizes:"
du -sh "$cli_tgz" "$rest_tgz" "$cli" "$rest" | sed "s#$work/##"
