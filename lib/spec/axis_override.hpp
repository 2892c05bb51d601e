#pragma once
#include <string>
#include <string_view>

namespace corey::spec {

// Translates one NVBench-style `--axis` argument into the `--set` argument that replaces that sweep
// dimension (HARNESS.md §1.2, §2.5), so both paths share the loader's typing, positions and hashing:
//   chunk=[128,256]        -> sweep.product.chunk=[128,256]
//   chunk=[32:256:32]      -> sweep.product.chunk={range: [32, 256, 32]}   (inclusive; step defaults to 1)
//   chunk[pow2]=[5:12]     -> sweep.product.chunk={pow2: [5, 12]}
//   chunk[pow2]=[5,7,9]    -> sweep.product.chunk=[32, 128, 512]           (exponents listed, or a:b:step)
// Throws corey::Error (spec) naming "--axis <argument>" on malformed input.
std::string axis_override(std::string_view argument);

}  // namespace corey::spec
