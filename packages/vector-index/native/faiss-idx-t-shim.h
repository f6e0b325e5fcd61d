// Forced-included (g++ -include) into faiss-node's sources when building against Debian's faiss 1.7.3.
// faiss-node 0.5.1 is written for faiss >= 1.7.4, where `idx_t` lives at namespace level
// (faiss/MetricType.h); 1.7.3 only has the member alias `faiss::Index::idx_t`. Both are int64_t, so a
// namespace alias with the same type is ABI-identical and leaves the library's own headers untouched.
#pragma once

#include <cstdint>

namespace faiss {
using idx_t = int64_t;
}
