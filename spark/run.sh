#!/usr/bin/env bash
# Runs a main class of the spark module's test sources (the example job, the benchmark) with Spark's
# Java 17 flags. Usage, from the repository root: spark/run.sh <main class> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q -B -pl spark -am test-compile dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
flags=$(sed -n 's:.*<spark.test.jvm.options>\(.*\)</spark.test.jvm.options>.*:\1:p' spark/pom.xml)
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xmx3g} $flags -Dlog4j2.configurationFile=spark/src/test/resources/log4j2-test.properties \
    -cp "spark/target/test-classes:spark/target/classes:$(cat spark/target/classpath.txt)" "$@"
