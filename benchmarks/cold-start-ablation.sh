#!/usr/bin/env bash
# What each cold-start cut of issue 20 buys, one hyperfine run: the CLI distribution's `jinfer predict` on the
# fraud model with its CDS archive, as shipped, and with one cut undone at a time, next to the raw ORT floor.
#   OLD_TGZ    optional: a distribution built from an earlier commit (e.g. without -XDstringConcat=inline), run
#              with this tree's launcher (dist/bin/launcher) and its own CDS archive
# Build first:  mvn -B -pl cli,benchmarks -am package -DskipTests
#   flock /tmp/jinfer-build.lock benchmarks/cold-start-ablation.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cli_tgz=$(ls cli/target/jinfer-*-linux-x86_64.tar.gz | grep -v -e '-tensorflow-linux' -e '-pytorch-linux' | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$cli_tgz" -C "$work"
cli=$(ls -d "$work"/jinfer-*/)
model=fixtures/onnx/fraud.onnx
predict="predict $model -i features=fixtures/onnx/fraud_input.npy -d $work/out"
jar cf "$work/raw.jar" -C benchmarks/target/classes dev/jinfer/benchmarks/RawOnnxStartup.class
raw="-Donnxruntime.native.path=${cli}lib/native/onnxruntime -cp $work/raw.jar:$(ls "$cli"lib/onnxruntime-*.jar) dev.jinfer.benchmarks.RawOnnxStartup $model"
JINFER_CDS=dump "$cli"bin/jinfer $predict >/dev/null 2>&1
variants=(
  -n "raw ORT" "java $raw"
  -n "jinfer predict, CDS (as shipped)" "${cli}bin/jinfer $predict"
  -n "undo C1 only: -XX:TieredStopAtLevel=4" "env JINFER_JAVA_OPTS=-XX:TieredStopAtLevel=4 ${cli}bin/jinfer $predict"
  -n "undo SerialGC: -XX:+UseG1GC" "env JINFER_JAVA_OPTS=-XX:+UseG1GC ${cli}bin/jinfer $predict"
  -n "undo the short class path (every jar; flags kept)" "env JINFER_SHORT_RUN=off JINFER_JAVA_OPTS=-XX:TieredStopAtLevel=1\ -XX:+UseSerialGC\ -XX:-UsePerfData ${cli}bin/jinfer $predict"
  -n "undo slf4j.provider (ServiceLoader lookup)" "env JINFER_JAVA_OPTS=-Dslf4j.provider= ${cli}bin/jinfer $predict"
  -n "undo one session: --property onnx.sessions=2" "${cli}bin/jinfer $predict --property onnx.sessions=2"
  -n "undo the fast path: through picocli" "${cli}bin/jinfer ${predict/-i /--input=}"
)
if [ -n "${OLD_TGZ:-}" ]; then
  mkdir "$work/old"
  tar xzf "$OLD_TGZ" -C "$work/old"
  old=$(ls -d "$work"/old/jinfer-*/)
  cp dist/bin/launcher "$old"bin/jinfer
  cp dist/one-shot/jinfer.classpath "$old"lib/
  JINFER_CDS=dump "$old"bin/jinfer $predict >/dev/null 2>&1
  variants+=(-n "OLD_TGZ, this launcher ($(basename "$OLD_TGZ"))" "${old}bin/jinfer $predict")
fi
mkdir -p benchmarks/target
hyperfine -N --warmup 2 --runs "$runs" --export-markdown benchmarks/target/cold-start-ablation.md "${variants[@]}"
