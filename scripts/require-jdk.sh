# Sourced by the installers of Java-based services (graph/scripts/install-neo4j.sh,
# scripts/install-kafka.sh): exits with a clear message unless Maven and a JDK 17+ are on PATH.
# Expects a `log` function in the caller.
for tool in mvn java; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "error: '$tool' not found on PATH (install Maven and a JDK 17, e.g. apt-get install maven openjdk-17-jdk-headless)" >&2
    exit 1
  fi
done
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
  log "error: Java 17 or newer is required, found java.specification.version='${java_major:-unknown}'" >&2
  exit 1
fi
