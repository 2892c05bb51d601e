#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "core/json.hpp"

namespace corey::core {

// One tensor of a safetensors file: a view into the file's read-only mapping.
struct SafetensorInfo {
  std::string name;
  std::string dtype_name;      // as in the header: "F32", "BF16", "I64", ...
  std::optional<DType> dtype;  // set for F32, F16, BF16 and F64, the dtypes corey computes with
  std::vector<std::int64_t> shape;
  const unsigned char* bytes = nullptr;  // may be unaligned
  std::size_t size_bytes = 0;

  std::int64_t numel() const;
};

// A memory-mapped .safetensors file (KERNELS.md §4.1). The header is validated on open: size ≤ 100 MB,
// JSON object without duplicate names, known dtypes, shapes that match the byte ranges, offsets inside the
// buffer, sorted ranges without overlaps or holes. Errors name the file (and the tensor): kind io (exit 3)
// when it cannot be opened or mapped, kind usage (exit 2) for any content problem.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<SafetensorInfo>& tensors() const { return tensors_; }  // in header order
  const Json& metadata() const { return metadata_; }                       // "__metadata__" or {}
  // The named tensor; throws corey::Error (usage) listing the available names when it is absent.
  const SafetensorInfo& tensor(const std::string& name) const;
  // Copies a float tensor into an aligned buffer of its own dtype (bytes); throws corey::Error (usage)
  // naming the tensor when its dtype is not F32/F16/BF16/F64.
  std::vector<double> copy_aligned(const SafetensorInfo& info) const;

 private:
  std::string path_;
  void* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  Json metadata_ = Json::object();
  std::vector<SafetensorInfo> tensors_;
};

}  // namespace corey::core
