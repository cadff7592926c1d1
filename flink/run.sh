#!/usr/bin/env bash
# Runs a main class of the flink module's test sources (the example job, the benchmark) with Flink's
# Java 17 flags. Usage, from the repository root: flink/run.sh <main class> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q -B -pl flink -am test-compile dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
flags=$(sed -n 's:.*<flink.test.jvm.options>\(.*\)</flink.test.jvm.options>.*:\1:p' flink/pom.xml)
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xmx3g} $flags -Dlog4j2.configurationFile=flink/src/test/resources/log4j2-test.properties \
    -cp "flink/target/test-classes:flink/target/classes:$(cat flink/target/classpath.txt)" "$@"
