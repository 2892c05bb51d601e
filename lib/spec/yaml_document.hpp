#pragma once
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::spec {

// A YAML document converted to JSON, with the source position of every value and map key by JSON pointer
// (see Spec::positions for the conventions).
struct YamlDocument {
  Json root;
  std::map<std::string, SourcePos> positions;
  std::map<std::string, SourcePos> key_positions;
};

// Reads and converts a spec file. Scalars follow the YAML 1.2 core schema (quoted = string; plain
// null/~/empty, true/false, decimal/0x/0o integers and decimal floats are typed; anything else is a string).
// Rejects YAML merge keys, duplicate keys, non-string keys, tags other than !!str, and .inf/.nan (JSON has
// no such numbers). Throws corey::Error: io when the file cannot be read, spec (with file:line:column)
// otherwise.
YamlDocument load_yaml_file(const std::string& path);

// Converts YAML text from the command line (a `--set` value); every position is `origin`.
YamlDocument parse_yaml_text(std::string_view text, const SourcePos& origin);

}  // namespace corey::spec
