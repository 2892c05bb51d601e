#include <cstdlib>

#include "spec/spec.hpp"

namespace corey::spec {

namespace {
// Left for the runner, which knows them only once the run starts.
bool is_runtime_variable(std::string_view name) { return name == "run_id" || name == "spec_hash"; }
}  // namespace

std::string interpolate(std::string_view text, const std::map<std::string, std::string>& vars,
                        const std::optional<SourcePos>& where) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, open - pos));
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      throw_spec_error("unterminated '${' in '" + std::string(text) + "'", where);
    }
    const std::string_view body = text.substr(open + 2, close - open - 2);
    pos = close + 1;
    if (body.substr(0, 4) == "env:") {
      const std::size_t comma = body.find(',');
      const std::string variable(body.substr(4, comma == std::string_view::npos ? body.npos : comma - 4));
      if (variable.empty()) throw_spec_error("'${env:}' names no environment variable", where);
      const char* value = std::getenv(variable.c_str());
      if (value != nullptr && *value != '\0') {
        out += value;
      } else if (comma != std::string_view::npos) {
        out.append(body.substr(comma + 1));
      } else {
        throw_spec_error("environment variable " + variable + " is not set and '${env:" + variable +
                             "}' has no default (write '${env:" + variable + ",default}')",
                         where);
      }
      continue;
    }
    const std::string name(body);
    if (const auto it = vars.find(name); it != vars.end()) {
      out += it->second;
    } else if (is_runtime_variable(name)) {
      out.append(text.substr(open, close + 1 - open));
    } else {
      std::string available;
      for (const auto& [known, value] : vars) available += "${" + known + "}, ";
      throw_spec_error("unknown interpolation '${" + name + "}'; available: " + available +
                           "${run_id}, ${spec_hash}, ${env:VAR,default}",
                       where);
    }
  }
}

}  // namespace corey::spec
