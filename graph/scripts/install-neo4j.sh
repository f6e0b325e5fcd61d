#!/usr/bin/env bash
# Installs the embedded Neo4j launcher: copies Neo4j's runtime jars from Maven into graph/launcher/lib/
# and compiles the launcher into graph/launcher/target/classes. Idempotent: does nothing when both are
# present and newer than pom.xml and the Java sources. Needs mvn and a JDK 17+ on PATH.
set -euo pipefail

LAUNCHER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../launcher" && pwd)"
POM="$LAUNCHER_DIR/pom.xml"
LIB_DIR="$LAUNCHER_DIR/lib"
LIB_STAMP="$LIB_DIR/.installed"
CLASS_FILE="$LAUNCHER_DIR/target/classes/org/recs/graph/Neo4jLauncher.class"
SRC_DIR="$LAUNCHER_DIR/src/main/java"

log() { echo "[install-neo4j] $*"; }

source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/require-jdk.sh"

need_lib=0
if [[ ! -f "$LIB_STAMP" ]]; then
  need_lib=1
  log "runtime jars missing in $LIB_DIR"
elif [[ "$POM" -nt "$LIB_STAMP" ]]; then
  need_lib=1
  log "pom.xml changed since the jars were copied"
fi

need_compile=0
if [[ ! -f "$CLASS_FILE" ]]; then
  need_compile=1
  log "launcher class missing: $CLASS_FILE"
elif [[ "$POM" -nt "$CLASS_FILE" ]] || [[ -n "$(find "$SRC_DIR" -name '*.java' -newer "$CLASS_FILE" -print -quit)" ]]; then
  need_compile=1
  log "pom.xml or launcher sources changed since the last compile"
fi

if [[ "$need_lib" -eq 0 && "$need_compile" -eq 0 ]]; then
  log "up to date ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars in lib/, launcher compiled)"
  exit 0
fi

started=$SECONDS
goals=()
if [[ "$need_lib" -eq 1 ]]; then
  # A pom change may drop jars; start from an empty lib/ so no stale version stays on the classpath.
  rm -rf "$LIB_DIR"
  goals+=(dependency:copy-dependencies)
fi
if [[ "$need_compile" -eq 1 ]]; then
  goals+=(compile)
fi
log "running: mvn -q -B ${goals[*]}"
if [[ "$need_lib" -eq 1 ]]; then
  log "(a first run downloads ~125 MB of Neo4j jars into the local Maven repository)"
fi
# Maven 3.8 prints ANSI resets even in batch mode; strip them so logs stay readable.
(cd "$LAUNCHER_DIR" && mvn -q -B -Dstyle.color=never "${goals[@]}") 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'

if [[ "$need_lib" -eq 1 ]]; then
  touch "$LIB_STAMP"
fi
touch "$CLASS_FILE"
log "done in $((SECONDS - started))s: $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in lib/, class at ${CLASS_FILE#"$LAUNCHER_DIR"/}"
