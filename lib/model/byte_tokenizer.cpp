#include "core/error.hpp"
#include "model/tokenizer.hpp"

namespace corey::model {

std::vector<std::int32_t> ByteTokenizer::encode(std::string_view text) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size());
  for (char c : text) ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

std::string ByteTokenizer::decode(std::span<const std::int32_t> ids) const {
  std::string out;
  out.reserve(ids.size());
  for (std::int32_t id : ids) {
    if (id < 0 || id > 255) throw Error(ErrorKind::usage, "byte tokenizer: id " + std::to_string(id) + " is not a byte");
    out.push_back(static_cast<char>(id));
  }
  return out;
}

}  // namespace corey::model
