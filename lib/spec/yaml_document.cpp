#include "spec/yaml_document.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "spec/paths.hpp"

namespace corey::spec {

namespace {

class Converter {
 public:
  Converter(std::string file, bool track_lines, SourcePos origin)
      : file_(std::move(file)), track_lines_(track_lines), origin_(std::move(origin)) {}

  YamlDocument convert(const YAML::Node& root) {
    YamlDocument doc;
    doc_ = &doc;
    doc.root = value(root, "", position(root.Mark()));
    return doc;
  }

 private:
  SourcePos position(const YAML::Mark& mark, int column_shift = 0) const {
    if (!track_lines_) return origin_;
    if (mark.is_null()) return SourcePos{file_, 1, 1};
    return SourcePos{file_, mark.line + 1, mark.column + 1 + column_shift};
  }

  [[noreturn]] void fail(const std::string& message, const SourcePos& where) const {
    throw_spec_error(message, where);
  }

  // `entry_pos` is where the entry holding this value starts (its key, or the list item).
  Json value(const YAML::Node& node, const std::string& pointer, const SourcePos& entry_pos) {
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        // An empty value has no mark of its own worth showing: point at its key.
        doc_->positions[pointer] = entry_pos;
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node, pointer);
      case YAML::NodeType::Sequence:
        return sequence(node, pointer, entry_pos);
      case YAML::NodeType::Map:
        return mapping(node, pointer, entry_pos);
    }
    return nullptr;
  }

  Json scalar(const YAML::Node& node, const std::string& pointer) {
    const std::string& tag = node.Tag();
    const bool quoted = tag == "!";
    const SourcePos where = position(node.Mark(), quoted ? 1 : 0);
    doc_->positions[pointer] = where;
    const std::string& text = node.Scalar();
    if (quoted || tag == "tag:yaml.org,2002:str") return text;
    if (tag != "?" && !tag.empty()) {
      fail("YAML tag '" + tag + "' is not supported; write the value plainly or quote it", where);
    }
    return plain_scalar(text, where);
  }

  Json plain_scalar(const std::string& text, const SourcePos& where) const {
    static const std::regex decimal_int(R"([-+]?[0-9]+)");
    static const std::regex octal_int(R"(0o[0-7]+)");
    static const std::regex hex_int(R"(0x[0-9a-fA-F]+)");
    static const std::regex decimal_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    static const std::regex special_float(R"([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    if (std::regex_match(text, decimal_int)) return integer(text, 10, where);
    if (std::regex_match(text, octal_int)) return integer(text.substr(2), 8, where);
    if (std::regex_match(text, hex_int)) return integer(text.substr(2), 16, where);
    if (std::regex_match(text, decimal_float)) {
      double parsed = 0.0;
      const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
      const auto result = std::from_chars(begin, text.data() + text.size(), parsed);
      if (result.ec != std::errc() || !std::isfinite(parsed)) {
        fail("number " + text + " is out of range", where);
      }
      return parsed;
    }
    if (std::regex_match(text, special_float)) {
      fail("'" + text + "' is not a finite number; JSON (and so corey's results) cannot hold it", where);
    }
    return text;
  }

  Json integer(const std::string& digits, int base, const SourcePos& where) const {
    std::int64_t parsed = 0;
    const char* begin = digits.data() + (digits.front() == '+' ? 1 : 0);
    const auto result = std::from_chars(begin, digits.data() + digits.size(), parsed, base);
    if (result.ec != std::errc()) {
      fail("integer " + digits + " does not fit in 64 bits", where);
    }
    return parsed;
  }

  Json sequence(const YAML::Node& node, const std::string& pointer, const SourcePos& entry_pos) {
    doc_->positions[pointer] = node.Style() == YAML::EmitterStyle::Flow ? position(node.Mark()) : entry_pos;
    Json out = Json::array();
    std::size_t index = 0;
    for (const auto& item : node) {
      const std::string child = pointer_join(pointer, index++);
      out.push_back(value(item, child, position(item.Mark())));
    }
    return out;
  }

  Json mapping(const YAML::Node& node, const std::string& pointer, const SourcePos& entry_pos) {
    doc_->positions[pointer] = node.Style() == YAML::EmitterStyle::Flow ? position(node.Mark()) : entry_pos;
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies, not references: the iterator's `->` yields a temporary pair.
      const YAML::Node key = it->first;
      const YAML::Node item = it->second;
      const SourcePos key_pos = position(key.Mark());
      if (!key.IsScalar()) fail("map keys must be plain names, not lists or maps", key_pos);
      const std::string& name = key.Scalar();
      if (name == "<<" && key.Tag() != "!") {
        fail("YAML merge keys (<<) are not supported; use `extends` to build on another spec", key_pos);
      }
      if (out.contains(name)) {
        const SourcePos& first = doc_->key_positions[pointer_join(pointer, name)];
        fail("duplicate key '" + name + "' (first given at line " + std::to_string(first.line) + ")", key_pos);
      }
      const std::string child = pointer_join(pointer, name);
      doc_->key_positions[child] = key_pos;
      out[name] = value(item, child, key_pos);
    }
    return out;
  }

  std::string file_;
  bool track_lines_;
  SourcePos origin_;
  YamlDocument* doc_ = nullptr;
};

// yaml-cpp's messages are terse; the usual causes, in words a user can act on.
std::string syntax_hint(const std::string& message) {
  if (message == "illegal map value") {
    return " (check this line's indentation, or quote a value that contains ': ')";
  }
  if (message == "end of sequence flow not found") return " (a '[' list is not closed with ']')";
  if (message == "end of map flow not found") return " (a '{' map is not closed with '}')";
  if (message == "end of map not found" || message == "end of sequence not found") {
    return " (check the indentation: items of one map or list must line up)";
  }
  if (message == "end of string not found") return " (a quoted string is not closed)";
  return "";
}

YAML::Node parse_or_throw(const std::string& text, const std::string& file, bool track_lines,
                          const SourcePos& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourcePos where = origin;
    if (track_lines && !e.mark.is_null()) where = SourcePos{file, e.mark.line + 1, e.mark.column + 1};
    throw_spec_error("YAML syntax error: " + e.msg + syntax_hint(e.msg), where);
  }
}

}  // namespace

YamlDocument load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error("cannot read spec '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  const SourcePos origin{path, 1, 1};
  const YAML::Node root = parse_or_throw(text.str(), path, true, origin);
  try {
    return Converter(path, true, origin).convert(root);
  } catch (const YAML::Exception& e) {
    throw_spec_error("YAML error: " + e.msg, SourcePos{path, e.mark.line + 1, e.mark.column + 1});
  }
}

YamlDocument parse_yaml_text(std::string_view text, const SourcePos& origin) {
  const YAML::Node root = parse_or_throw(std::string(text), origin.file, false, origin);
  try {
    return Converter(origin.file, false, origin).convert(root);
  } catch (const YAML::Exception& e) {
    throw_spec_error("YAML error: " + e.msg, origin);
  }
}

}  // namespace corey::spec
