#!/usr/bin/env bash
# Cold start: a whole process, from exec to its first prediction on the fraud model, in one hyperfine run:
#   raw ORT (dist natives)  RawOnnxStartup with the distribution's ONNX Runtime jar and unpacked natives
#   raw ORT (stock jar)     RawOnnxStartup with Maven Central's onnxruntime jar (unpacks its natives to /tmp)
#   jinfer predict, no CDS  the CLI distribution's bin/jinfer, JINFER_CDS=off
#   jinfer predict, CDS     the same with the AppCDS archive written by JINFER_CDS=dump just before
#   ..., C1 + SerialGC      the same with JINFER_JAVA_OPTS for short runs: C1 only, the serial collector
#   java -jar jinfer.jar    the development layout (cli/target/jinfer.jar + target/lib, stock ORT jar)
#   Lambda init + 1st call  FraudHandler's static init (load + warmup) and one API Gateway event (LocalInvoke),
#                           from the REST service distribution's lib/, without and with a CDS archive
# Build first:  mvn -B -pl cli,examples,benchmarks -am package -DskipTests
# Run from the repository root, alone on the machine (here: under the build lock):
#   flock /tmp/jinfer-build.lock benchmarks/cold-start.sh [RUNS]
# Writes the table to benchmarks/target/cold-start.md and prints it.
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

# the CDS archives: one training run each
JINFER_CDS=dump "$cli"bin/jinfer $predict >/dev/null
java -XX:ArchiveClassesAtExit="$lambda_jsa" -Donnxruntime.native.path="$rest"lib/native/onnxruntime -cp "$lambda_cp" \
  dev.jinfer.examples.lambda.LocalInvoke "$event" >/dev/null 2>&1
ls "$cli"cds/*.jsa "$lambda_jsa" >/dev/null

mkdir -p benchmarks/target
hyperfine -N --warmup 2 --runs "$runs" --export-markdown benchmarks/target/cold-start.md \
  -n "raw ORT (dist natives)" "java -Donnxruntime.native.path=${cli}lib/native/onnxruntime -cp benchmarks/target/classes:$ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model" \
  -n "raw ORT (stock jar)" "java -cp benchmarks/target/classes:$stock_ort_jar dev.jinfer.benchmarks.RawOnnxStartup $model" \
  -n "jinfer predict, no CDS" "env JINFER_CDS=off ${cli}bin/jinfer $predict" \
  -n "jinfer predict, CDS" "${cli}bin/jinfer $predict" \
  -n "jinfer predict, CDS, C1 + SerialGC" "env JINFER_JAVA_OPTS=-XX:TieredStopAtLevel=1\ -XX:+UseSerialGC ${cli}bin/jinfer $predict" \
  -n "java -jar jinfer.jar predict" "java -jar cli/target/jinfer.jar $predict" \
  -n "jinfer --version, CDS" "${cli}bin/jinfer --version" \
  -n "Lambda init + 1st call" "java -Donnxruntime.native.path=${rest}lib/native/onnxruntime -cp $lambda_cp dev.jinfer.examples.lambda.LocalInvoke $event" \
  -n "Lambda init + 1st call, CDS" "java -XX:SharedArchiveFile=$lambda_jsa -Xlog:cds=off -Xlog:cds+dynamic=off -Donnxruntime.native.path=${rest}lib/native/onnxruntime -cp $lambda_cp dev.jinfer.examples.lambda.LocalInvoke $event"
echo
cat benchmarks/target/cold-start.md
echo
echo "sizes:"
du -sh "$cli_tgz" "$rest_tgz" "$cli" "$rest" | sed "s#$work/##"
