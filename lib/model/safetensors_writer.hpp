#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/half.hpp"

namespace corey::model {

struct TensorSpec {
  std::string name;
  DType dtype = DType::f32;  // written as F32, F16, BF16 or F64
  std::vector<std::int64_t> shape;

  std::size_t size_bytes() const;
};

// Writes a .safetensors file (KERNELS.md §4.1) tensor by tensor, so a multi-GB checkpoint never has to be
// in memory at once. The header (tensors in the given order, contiguous, __metadata__ first, padded with
// spaces to a multiple of 8 bytes like the reference writer) is written on construction; then write() is
// called once per tensor in the same order; finish() checks that all were written and renames the
// temporary file over `path`. Errors are corey::Error (io for the file system, usage for misuse).
class SafetensorsWriter {
 public:
  SafetensorsWriter(std::string path, std::vector<TensorSpec> tensors, std::map<std::string, std::string> metadata);
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // The next tensor's bytes (little-endian, C order, exactly size_bytes() of it).
  void write(const std::string& name, const void* data, std::size_t bytes);
  // Converts fp32 values to the tensor's dtype (round to nearest even) and writes them.
  void write_f32(const std::string& name, const std::vector<float>& values);
  void finish();

 private:
  std::string path_;
  std::string tmp_path_;
  std::vector<TensorSpec> tensors_;
  std::size_t next_ = 0;
  std::FILE* file_ = nullptr;
};

// Writes a complete small file in one call (tests, fixtures): `data[i]` holds tensors[i]'s bytes.
void write_safetensors(const std::string& path, const std::vector<TensorSpec>& tensors,
                       const std::vector<std::vector<unsigned char>>& data,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace corey::model
