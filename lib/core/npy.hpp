#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/half.hpp"

namespace corey::core {

// A floating-point array read from a .npy file: C order, little-endian, owned and suitably aligned.
struct NpyArray {
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::vector<double> storage;  // raw element bytes live here (double gives 8-byte alignment)

  std::int64_t numel() const;
  const void* data() const { return storage.data(); }
  void* data() { return storage.data(); }
};

// Reads a .npy file (format versions 1–3) holding float16, float32 or float64 in C order. Throws
// corey::Error naming the file: kind io (exit 3) when it cannot be opened or read, kind usage (exit 2) for a
// bad magic string or header, another dtype, Fortran order, big-endian data, or a data size that does not
// match the shape (truncated or trailing bytes).
NpyArray read_npy(const std::string& path);

// Writes a C-order little-endian .npy file (format 1.0, header padded to 64 bytes as numpy does).
// `data` holds numel(shape) elements of `dtype`. Throws corey::Error (io).
void write_npy(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data);

}  // namespace corey::core
