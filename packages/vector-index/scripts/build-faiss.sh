#!/usr/bin/env bash
# Builds faiss-node's native addon in place (node_modules/faiss-node/build/Release/faiss-node.node)
# against the system faiss (libfaiss-dev) and OpenBLAS (libopenblas-dev), fully offline.
#
# faiss-node's own install script downloads prebuilt binaries or clones faiss; neither is allowed
# here, so we drive cmake-js with our own CMakeLists.txt (native/) and a forced-include shim for
# the `faiss::idx_t` alias that faiss 1.7.3 lacks.
#
# Idempotent: exits early when the addon already exists and loads. Pass --force to rebuild.
set -euo pipefail

fail() {
  echo "build-faiss: ERROR: $*" >&2
  exit 1
}
log() { echo "build-faiss: $*"; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help)
      echo "usage: $0 [--force]"
      exit 0
      ;;
    *) fail "unknown argument '$arg' (expected --force)" ;;
  esac
done

pkg_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
native_dir="$pkg_dir/native"
shim="$native_dir/faiss-idx-t-shim.h"

command -v node >/dev/null || fail "node is not on PATH"

faiss_pkg_json="$(cd "$pkg_dir" && node -p "require.resolve('faiss-node/package.json')" 2>/dev/null)" ||
  fail "faiss-node is not installed (require.resolve('faiss-node/package.json') failed from $pkg_dir); run the workspace install first"
faiss_dir="$(dirname "$faiss_pkg_json")"
addon="$faiss_dir/build/Release/faiss-node.node"

# Loads faiss-node from the directory that resolves it, the way application code will.
loads() {
  (cd "$pkg_dir" && node -e "const f = require('faiss-node'); new f.IndexFlatIP(2);") >/dev/null 2>&1
}

if [[ $force -eq 0 && -f "$addon" ]] && loads; then
  log "faiss-node already built and loads ($addon); nothing to do (use --force to rebuild)"
  exit 0
fi

# --- prerequisites -------------------------------------------------------------------------------
for tool in cmake make g++; do
  command -v "$tool" >/dev/null || fail "'$tool' not found; install build tools (apt-get install cmake build-essential)"
done
faiss_cmake_dir=""
for d in /usr/lib/*/cmake/faiss /usr/lib/cmake/faiss /usr/local/lib/cmake/faiss /usr/share/faiss; do
  if [[ -f "$d/faiss-config.cmake" ]]; then
    faiss_cmake_dir="$d"
    break
  fi
done
[[ -n "$faiss_cmake_dir" ]] || fail "faiss CMake package not found; install it with: apt-get install libfaiss-dev libopenblas-dev"
[[ -f /usr/include/faiss/index_factory.h ]] || fail "faiss headers missing (/usr/include/faiss); apt-get install libfaiss-dev"
[[ -f "$shim" ]] || fail "idx_t shim header missing: $shim"
[[ -f "$faiss_dir/src/faiss.cc" ]] || fail "faiss-node sources missing: $faiss_dir/src/faiss.cc"

cmake_js="$(cd "$pkg_dir" && node -p "require.resolve('cmake-js/bin/cmake-js')" 2>/dev/null)" ||
  fail "cmake-js is not installed (root devDependency)"

# Prefer the node-addon-api faiss-node pins (nested), fall back to the hoisted one.
napi_dir="$(cd "$faiss_dir" && node -p "require('node-addon-api').include_dir" 2>/dev/null)" ||
  fail "node-addon-api not resolvable from $faiss_dir"
[[ "$napi_dir" = /* ]] || napi_dir="$faiss_dir/$napi_dir"
[[ -f "$napi_dir/napi.h" ]] || fail "napi.h not found in $napi_dir"

# cmake-js would download Node's headers unless told where a local copy lives; the running node's
# own prefix has them on Debian (/usr/include/node) and in official tarballs.
node_prefix="$(node -p "require('path').resolve(process.execPath, '..', '..')")"
nodedir="${npm_config_nodedir:-$node_prefix}"
[[ -f "$nodedir/include/node/node_api.h" ]] ||
  fail "Node headers not found at $nodedir/include/node (set npm_config_nodedir to a Node install with include/node, e.g. apt-get install libnode-dev)"

jobs="$(nproc 2>/dev/null || echo 2)"

log "building $addon"
log "  faiss-node: $faiss_dir"
log "  faiss cmake: $faiss_cmake_dir; node headers: $nodedir/include/node; node-addon-api: $napi_dir"
start=$SECONDS
# The build directory is left in place so a rebuild is incremental.
if ! npm_config_nodedir="$nodedir" node "$cmake_js" compile \
  --directory "$native_dir" \
  --out "$faiss_dir/build" \
  --prefer-make \
  --parallel "$jobs" \
  --CDFAISS_NODE_DIR="$faiss_dir" \
  --CDNODE_ADDON_API_DIR="$napi_dir" \
  --CDFAISS_IDX_T_SHIM="$shim"; then
  fail "cmake-js compile failed (see output above)"
fi
log "compiled in $((SECONDS - start)) s"

[[ -f "$addon" ]] || fail "build finished but $addon was not produced"
if ! (cd "$pkg_dir" && node -e "require('faiss-node')"); then
  fail "built $addon but require('faiss-node') fails (see error above)"
fi
loads || fail "faiss-node loads but cannot create an IndexFlatIP"
log "ok: require('faiss-node') works"
