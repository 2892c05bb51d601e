#include "spec/paths.hpp"

namespace corey::spec {

std::string pointer_escape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string pointer_join(const std::string& parent, std::string_view token) {
  return parent + "/" + pointer_escape(token);
}

std::string pointer_join(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

std::vector<std::string> split_dotted(std::string_view dotted) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    parts.emplace_back(dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string dotted_to_pointer(const std::string& parent, std::string_view dotted) {
  std::string pointer = parent;
  for (const auto& part : split_dotted(dotted)) pointer = pointer_join(pointer, part);
  return pointer;
}

std::string pointer_to_display(const std::string& pointer) {
  if (pointer.empty()) return "(document)";
  std::string out;
  std::size_t start = 1;
  while (start <= pointer.size()) {
    std::size_t slash = pointer.find('/', start);
    if (slash == std::string::npos) slash = pointer.size();
    std::string token;
    for (std::size_t i = start; i < slash; ++i) {
      if (pointer[i] == '~' && i + 1 < slash) {
        token.push_back(pointer[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        token.push_back(pointer[i]);
      }
    }
    const bool is_index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    if (is_index && !out.empty()) {
      out += "[" + token + "]";
    } else {
      if (!out.empty()) out.push_back('.');
      out += token;
    }
    start = slash + 1;
  }
  return out;
}

const Json* find_dotted(const Json& root, std::string_view dotted) {
  const Json* node = &root;
  for (const auto& part : split_dotted(dotted)) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

bool set_dotted(Json& root, std::string_view dotted, Json value) {
  const auto parts = split_dotted(dotted);
  Json* node = &root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node->is_object()) return false;
    auto it = node->find(parts[i]);
    if (it == node->end()) {
      (*node)[parts[i]] = Json::object();
      it = node->find(parts[i]);
    }
    node = &*it;
  }
  if (!node->is_object()) return false;
  (*node)[parts.back()] = std::move(value);
  return true;
}

}  // namespace corey::spec
