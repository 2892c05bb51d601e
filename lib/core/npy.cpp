#include "core/npy.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.hpp"

namespace corey::core {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::usage, path + ": not a readable .npy array: " + what);
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The value text of `key` in numpy's header dict ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }").
std::string dict_value(const std::string& path, const std::string& header, const std::string& key) {
  const std::string quoted = "'" + key + "'";
  const auto at = header.find(quoted);
  if (at == std::string::npos) bad(path, "header has no '" + key + "' entry");
  auto pos = header.find(':', at + quoted.size());
  if (pos == std::string::npos) bad(path, "malformed header");
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  if (pos >= header.size()) bad(path, "malformed header");
  if (header[pos] == '(') {
    const auto end = header.find(')', pos);
    if (end == std::string::npos) bad(path, "malformed shape in header");
    return header.substr(pos, end - pos + 1);
  }
  if (header[pos] == '\'') {
    const auto end = header.find('\'', pos + 1);
    if (end == std::string::npos) bad(path, "malformed header");
    return header.substr(pos + 1, end - pos - 1);
  }
  const auto end = header.find_first_of(",}", pos);
  return header.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::vector<std::int64_t> parse_shape(const std::string& path, const std::string& text) {
  std::vector<std::int64_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream stream(inner);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const std::string digits = item.substr(first, item.find_last_not_of(' ') - first + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 15)
      bad(path, "bad shape " + text);
    shape.push_back(std::stoll(digits));
  }
  return shape;
}

}  // namespace

std::int64_t NpyArray::numel() const {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, path + ": cannot open file for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorKind::io, path + ": read error");
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) bad(path, "missing the \\x93NUMPY magic string");
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t offset = 0;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) bad(path, "truncated header");
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    bad(path, "unsupported format version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) bad(path, "truncated header");
  const std::string header = bytes.substr(offset, header_len);
  offset += header_len;

  const std::string descr = dict_value(path, header, "descr");
  NpyArray array;
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
    bad(path, "dtype '" + descr + "' is not supported (need little-endian float16, float32 or float64)");
  const std::string kind = descr.substr(1);
  if (kind == "f2") {
    array.dtype = DType::f16;
  } else if (kind == "f4") {
    array.dtype = DType::f32;
  } else if (kind == "f8") {
    array.dtype = DType::f64;
  } else {
    bad(path, "dtype '" + descr + "' is not supported (need float16, float32 or float64)");
  }
  const std::string fortran = dict_value(path, header, "fortran_order");
  if (fortran.find("True") != std::string::npos)
    bad(path, "Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
  const std::string shape_text = dict_value(path, header, "shape");
  if (shape_text.empty() || shape_text.front() != '(') bad(path, "bad shape " + shape_text);
  array.shape = parse_shape(path, shape_text);

  // Overflow-checked: a huge shape in a corrupt header must not wrap around to a small byte count.
  std::size_t need = dtype_bytes(array.dtype);
  for (std::int64_t dim : array.shape) {
    if (dim < 0 || __builtin_mul_overflow(need, static_cast<std::size_t>(dim), &need))
      bad(path, "shape " + shape_str(array.shape) + " is too large");
  }
  const std::size_t have = bytes.size() - offset;
  if (have < need)
    bad(path, "truncated: shape " + shape_str(array.shape) + " of " + std::string(to_string(array.dtype)) + " needs " +
                  std::to_string(need) + " data bytes, the file has " + std::to_string(have));
  if (have > need)
    bad(path, "shape " + shape_str(array.shape) + " needs " + std::to_string(need) + " data bytes but the file has " +
                  std::to_string(have));
  array.storage.resize((need + sizeof(double) - 1) / sizeof(double));
  if (need > 0) std::memcpy(array.storage.data(), bytes.data() + offset, need);
  return array;
}

void write_npy(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data) {
  const char* descr = dtype == DType::f16 ? "<f2" : dtype == DType::f32 ? "<f4" : dtype == DType::f64 ? "<f8" : nullptr;
  if (descr == nullptr) throw_usage_error(path + ": .npy has no " + std::string(to_string(dtype)) + " dtype");
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_str(shape) + ", }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  std::int64_t numel = 1;
  for (std::int64_t s : shape) numel *= s;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::io, path + ": cannot open file for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data),
            static_cast<std::streamsize>(numel * static_cast<std::int64_t>(dtype_bytes(dtype))));
  if (!out) throw Error(ErrorKind::io, path + ": write error");
}

}  // namespace corey::core
