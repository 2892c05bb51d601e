#include "core/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "core/error.hpp"

namespace corey::core {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's cap

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::usage, path + ": invalid safetensors file: " + what);
}

std::size_t element_bytes(std::string_view dtype) {
  static const std::pair<std::string_view, std::size_t> table[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  for (const auto& [name, bytes] : table) {
    if (name == dtype) return bytes;
  }
  return 0;
}

std::optional<DType> float_dtype(std::string_view dtype) {
  if (dtype == "F32") return DType::f32;
  if (dtype == "F16") return DType::f16;
  if (dtype == "BF16") return DType::bf16;
  if (dtype == "F64") return DType::f64;
  return std::nullopt;
}

}  // namespace

std::int64_t SafetensorInfo::numel() const {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::io, path + ": cannot open file for reading: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(ErrorKind::io, path + ": cannot stat file");
  }
  map_bytes_ = static_cast<std::size_t>(st.st_size);
  if (map_bytes_ > 0) {
    map_ = ::mmap(nullptr, map_bytes_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map_ == MAP_FAILED) {
      map_ = nullptr;
      ::close(fd);
      throw Error(ErrorKind::io, path + ": cannot map file: " + std::strerror(errno));
    }
  }
  ::close(fd);
  try {
    const auto* base = static_cast<const unsigned char*>(map_);
    if (map_bytes_ < 8) bad(path, "shorter than the 8-byte header length");
    std::uint64_t header_bytes = 0;
    for (int i = 0; i < 8; ++i) header_bytes |= static_cast<std::uint64_t>(base[i]) << (8 * i);
    if (header_bytes > kMaxHeaderBytes)
      bad(path, "header length " + std::to_string(header_bytes) + " exceeds the 100 MB limit");
    if (8 + header_bytes > map_bytes_)
      bad(path,
          "truncated: header of " + std::to_string(header_bytes) + " bytes, file of " + std::to_string(map_bytes_));
    const std::string_view text(reinterpret_cast<const char*>(base + 8), header_bytes);
    // Duplicate names are invalid; nlohmann keeps the last silently, so they are caught while parsing.
    std::set<std::string> names;
    std::string duplicate;
    Json header = Json::parse(
        text,
        [&](int depth, Json::parse_event_t event, Json& value) {
          if (depth == 1 && event == Json::parse_event_t::key && !names.insert(value.get<std::string>()).second)
            duplicate = value.get<std::string>();
          return true;
        },
        false);
    if (header.is_discarded()) bad(path, "header is not valid JSON");
    if (!duplicate.empty()) bad(path, "duplicate tensor name '" + duplicate + "'");
    if (!header.is_object()) bad(path, "header is not a JSON object");
    const std::uint64_t buffer_bytes = map_bytes_ - 8 - header_bytes;
    const unsigned char* buffer = base + 8 + header_bytes;
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      const Json& entry = it.value();
      if (name == "__metadata__") {
        if (!entry.is_object()) bad(path, "__metadata__ is not an object");
        for (const auto& [k, v] : entry.items()) {
          if (!v.is_string()) bad(path, "__metadata__ value '" + k + "' is not a string");
        }
        metadata_ = entry;
        continue;
      }
      const std::string where = "tensor '" + name + "': ";
      if (!entry.is_object()) bad(path, where + "entry is not an object");
      if (!entry.contains("dtype") || !entry["dtype"].is_string()) bad(path, where + "missing string 'dtype'");
      if (!entry.contains("shape") || !entry["shape"].is_array()) bad(path, where + "missing 'shape' array");
      if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
        bad(path, where + "'data_offsets' must be [begin, end]");
      SafetensorInfo info;
      info.name = name;
      info.dtype_name = entry["dtype"].get<std::string>();
      const std::size_t elem = element_bytes(info.dtype_name);
      if (elem == 0) bad(path, where + "unknown dtype '" + info.dtype_name + "'");
      info.dtype = float_dtype(info.dtype_name);
      for (const Json& dim : entry["shape"]) {
        if (!dim.is_number_unsigned()) bad(path, where + "shape entries must be non-negative integers");
        info.shape.push_back(dim.get<std::int64_t>());
      }
      const Json& offsets = entry["data_offsets"];
      if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
        bad(path, where + "data_offsets must be non-negative integers");
      const auto begin = offsets[0].get<std::uint64_t>();
      const auto end = offsets[1].get<std::uint64_t>();
      if (begin > end) bad(path, where + "data_offsets begin > end");
      if (end > buffer_bytes)
        bad(path, where + "data_offsets end " + std::to_string(end) + " is past the " + std::to_string(buffer_bytes) +
                      "-byte buffer (truncated file?)");
      // Overflow-checked: a huge shape must not wrap around to the size of a small (or empty) span.
      std::uint64_t shape_bytes = elem;
      for (std::int64_t dim : info.shape) {
        if (__builtin_mul_overflow(shape_bytes, static_cast<std::uint64_t>(dim), &shape_bytes))
          bad(path, where + "shape " + entry["shape"].dump() + " is too large");
      }
      if (shape_bytes != end - begin)
        bad(path, where + "shape needs " + std::to_string(shape_bytes) + " bytes but data_offsets span " +
                      std::to_string(end - begin));
      info.bytes = buffer + begin;
      info.size_bytes = static_cast<std::size_t>(end - begin);
      tensors_.push_back(std::move(info));
    }
    std::vector<const SafetensorInfo*> by_offset;
    for (const auto& t : tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const SafetensorInfo* a, const SafetensorInfo* b) { return a->bytes < b->bytes; });
    const unsigned char* expected = buffer;
    for (const SafetensorInfo* t : by_offset) {
      if (t->bytes < expected) bad(path, "tensor '" + t->name + "' overlaps the previous tensor's bytes");
      if (t->bytes > expected) bad(path, "hole in the data buffer before tensor '" + t->name + "'");
      expected = t->bytes + t->size_bytes;
    }
    if (expected != buffer + buffer_bytes) bad(path, "trailing bytes after the last tensor");
  } catch (...) {
    if (map_) ::munmap(map_, map_bytes_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_bytes_);
}

const SafetensorInfo& SafetensorsFile::tensor(const std::string& name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return t;
  }
  std::string names;
  for (const auto& t : tensors_) names += (names.empty() ? "" : ", ") + t.name;
  throw Error(ErrorKind::usage, path_ + ": no tensor named '" + name + "' (available: " + names + ")");
}

std::vector<double> SafetensorsFile::copy_aligned(const SafetensorInfo& info) const {
  if (!info.dtype)
    throw Error(ErrorKind::usage,
                path_ + ": tensor '" + info.name + "' has dtype " + info.dtype_name + " (need F32, F16, BF16 or F64)");
  std::vector<double> storage((info.size_bytes + sizeof(double) - 1) / sizeof(double));
  if (info.size_bytes > 0) std::memcpy(storage.data(), info.bytes, info.size_bytes);
  return storage;
}

}  // namespace corey::core
