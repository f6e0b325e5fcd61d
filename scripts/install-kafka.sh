#!/usr/bin/env bash
# Installs a Kafka broker for the tests and local runs: copies Apache Kafka's runtime jars (the broker,
# KRaft mode, no ZooKeeper process) from Maven Central into var/kafka/lib/ (git-ignored), like
# graph/scripts/install-neo4j.sh does for Neo4j. Idempotent: does nothing when the jars of this version
# are present. Needs mvn and a JDK 17+ on PATH. packages/testkit/src/kafka.ts starts the broker from here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION=3.9.1
SLF4J_VERSION=1.7.36
KAFKA_DIR="$ROOT/var/kafka"
LIB_DIR="$KAFKA_DIR/lib"
LIB_STAMP="$LIB_DIR/.installed-$KAFKA_VERSION"

log() { echo "[install-kafka] $*"; }

source "$ROOT/scripts/require-jdk.sh"

if [[ -f "$LIB_STAMP" ]]; then
  log "up to date (Kafka $KAFKA_VERSION, $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in ${LIB_DIR#"$ROOT"/})"
  exit 0
fi

started=$SECONDS
# Another version (or a half-finished copy) must not stay on the classpath.
rm -rf "$LIB_DIR"
mkdir -p "$KAFKA_DIR"
# The pom is generated here (packaging pom: nothing to build, only the dependency set to copy).
# slf4j-reload4j gives the broker a logger (without it, it runs silently on a no-op one).
cat >"$KAFKA_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.recs</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId>
    <artifactId>maven-dependency-plugin</artifactId>
    <version>3.8.1</version>
    <configuration>
      <outputDirectory>$LIB_DIR</outputDirectory>
      <includeScope>runtime</includeScope>
    </configuration>
  </plugin></plugins></build>
</project>
POM
log "running: mvn -q -B dependency:copy-dependencies (a first run downloads ~46 MB of Kafka jars into the local Maven repository)"
# Maven 3.8 prints ANSI resets even in batch mode; strip them so logs stay readable.
(cd "$KAFKA_DIR" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies) 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'
if ! ls "$LIB_DIR"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1; then
  log "error: kafka_2.13-$KAFKA_VERSION.jar is missing from $LIB_DIR after the copy" >&2
  exit 1
fi
touch "$LIB_STAMP"
log "done in $((SECONDS - started))s: Kafka $KAFKA_VERSION, $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in ${LIB_DIR#"$ROOT"/}"
