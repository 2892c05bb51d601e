#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/sha256.hpp"
#include "spec/spec.hpp"

namespace corey::spec {

namespace {

void append_string(std::string& out, const std::string& text) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(hex_digits[byte >> 4]);
          out.push_back(hex_digits[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_float(std::string& out, double value) {
  if (!std::isfinite(value)) {
    throw_spec_error("a non-finite number (NaN or infinity) cannot be written as JSON or hashed");
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  out += text;
}

void append(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      append_float(out, value.get<double>());
      break;
    case Json::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      break;
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : value) {
        if (!first) out.push_back(',');
        first = false;
        append(out, item);
      }
      out.push_back(']');
      break;
    }
    case Json::value_t::object: {
      std::vector<const std::string*> keys;
      keys.reserve(value.size());
      for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a < *b; });
      out.push_back('{');
      bool first = true;
      for (const auto* key : keys) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, *key);
        out.push_back(':');
        append(out, value.at(*key));
      }
      out.push_back('}');
      break;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      throw_spec_error("internal: binary or discarded JSON value cannot be canonicalized");
  }
}

}  // namespace

std::string canonical_json(const Json& value) {
  std::string out;
  append(out, value);
  return out;
}

std::string point_id(std::string_view experiment, const Json& params) {
  Json identity = Json::object();
  identity["experiment"] = std::string(experiment);
  identity["params"] = params;
  return sha256_hex(canonical_json(identity)).substr(0, 12);
}

}  // namespace corey::spec
