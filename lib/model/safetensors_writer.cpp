#include "model/safetensors_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::model {
namespace {

const char* header_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::f64: return "F64";
  }
  return "F32";
}

}  // namespace

std::size_t TensorSpec::size_bytes() const {
  std::size_t n = dtype_bytes(dtype);
  for (std::int64_t s : shape) n *= static_cast<std::size_t>(s);
  return n;
}

SafetensorsWriter::SafetensorsWriter(std::string path, std::vector<TensorSpec> tensors,
                                     std::map<std::string, std::string> metadata)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), tensors_(std::move(tensors)) {
  // nlohmann::ordered_json keeps insertion order: __metadata__ first, then the tensors in file order.
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  std::uint64_t offset = 0;
  for (const TensorSpec& t : tensors_) {
    if (header.contains(t.name)) throw Error(ErrorKind::usage, path_ + ": duplicate tensor name '" + t.name + "'");
    const std::uint64_t end = offset + t.size_bytes();
    header[t.name] = Json{{"dtype", header_dtype(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!file_) throw Error(ErrorKind::io, tmp_path_ + ": cannot open for writing: " + std::strerror(errno));
  unsigned char length[8];
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(n >> (8 * i));
  if (std::fwrite(length, 1, 8, file_) != 8 || std::fwrite(text.data(), 1, text.size(), file_) != text.size())
    throw Error(ErrorKind::io, tmp_path_ + ": write failed: " + std::strerror(errno));
}

SafetensorsWriter::~SafetensorsWriter() {
  if (file_) {
    std::fclose(file_);
    std::remove(tmp_path_.c_str());
  }
}

void SafetensorsWriter::write(const std::string& name, const void* data, std::size_t bytes) {
  if (!file_) throw Error(ErrorKind::usage, path_ + ": write after finish");
  if (next_ >= tensors_.size() || tensors_[next_].name != name)
    throw Error(ErrorKind::usage, path_ + ": tensor '" + name + "' written out of the declared order");
  if (bytes != tensors_[next_].size_bytes())
    throw Error(ErrorKind::usage, path_ + ": tensor '" + name + "' needs " +
                                      std::to_string(tensors_[next_].size_bytes()) + " bytes, got " +
                                      std::to_string(bytes));
  if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error(ErrorKind::io, tmp_path_ + ": write failed: " + std::strerror(errno));
  ++next_;
}

void SafetensorsWriter::write_f32(const std::string& name, const std::vector<float>& values) {
  if (next_ >= tensors_.size()) throw Error(ErrorKind::usage, path_ + ": tensor '" + name + "' was not declared");
  const DType dtype = tensors_[next_].dtype;
  std::vector<unsigned char> bytes(values.size() * dtype_bytes(dtype));
  for (std::size_t i = 0; i < values.size(); ++i) store_from_f32(bytes.data(), dtype, static_cast<std::int64_t>(i), values[i]);
  write(name, bytes.data(), bytes.size());
}

void SafetensorsWriter::finish() {
  if (next_ != tensors_.size())
    throw Error(ErrorKind::usage, path_ + ": finish() with " + std::to_string(tensors_.size() - next_) +
                                      " declared tensors unwritten");
  const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp_path_, path_, ec);
  if (!ok || ec) {
    std::remove(tmp_path_.c_str());
    throw Error(ErrorKind::io, path_ + ": cannot complete the file: " + (ec ? ec.message() : std::strerror(errno)));
  }
}

void write_safetensors(const std::string& path, const std::vector<TensorSpec>& tensors,
                       const std::vector<std::vector<unsigned char>>& data,
                       const std::map<std::string, std::string>& metadata) {
  SafetensorsWriter writer(path, tensors, metadata);
  for (std::size_t i = 0; i < tensors.size(); ++i) writer.write(tensors[i].name, data.at(i).data(), data.at(i).size());
  writer.finish();
}

}  // namespace corey::model
