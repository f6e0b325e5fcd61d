#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh machine.
#   bash scripts/setup.sh             npm dependencies only: enough for the main command on embedded defaults
#   bash scripts/setup.sh --services  also Redis, the FAISS build and Neo4j: what the tests and real backends need
# Debian packages are installed with apt-get (as root, or through sudo); Neo4j comes from Maven Central;
# faiss-node is compiled from its npm source against Debian's libfaiss. Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

services=0
for arg in "$@"; do
  case "$arg" in
    --services) services=1 ;;
    *) echo "setup: unknown argument '$arg' (expected --services)" >&2; exit 2 ;;
  esac
done

log() { echo "setup: $*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm packages: onnxruntime-node's install step would download CUDA binaries; the CPU ones ship in the
# package, so it is skipped (also denied in package.json allowScripts).
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.recs-install-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi

[ "$services" = 1 ] || exit 0

# redis-tools: redis-cli, which the Redis Cluster tests use to join their nodes (a dependency of
# redis-server on Debian, listed so a machine where it was removed gets it back).
apt_packages=(redis-server redis-tools libfaiss-dev libopenblas-dev cmake g++ make)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

bash packages/vector-index/scripts/build-faiss.sh
bash graph/scripts/install-neo4j.sh
bash scripts/install-kafka.sh
log "done"
