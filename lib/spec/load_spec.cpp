#include <algorithm>
#include <filesystem>
#include <regex>

#include "spec/document_rules.hpp"
#include "spec/paths.hpp"
#include "spec/report_entries.hpp"
#include "spec/spec.hpp"
#include "spec/suggest.hpp"
#include "spec/sweep.hpp"
#include "spec/value_types.hpp"
#include "spec/yaml_document.hpp"

namespace corey::spec {

namespace {

namespace fs = std::filesystem;

using PositionMap = std::map<std::string, SourcePos>;

bool in_subtree(const std::string& key, const std::string& pointer) {
  return key == pointer || (key.size() > pointer.size() && key.compare(0, pointer.size(), pointer) == 0 &&
                            key[pointer.size()] == '/');
}

void erase_subtree(PositionMap& positions, const std::string& pointer) {
  for (auto it = positions.lower_bound(pointer); it != positions.end() && in_subtree(it->first, pointer);) {
    it = positions.erase(it);
  }
}

// Copies the positions under `from` in `source` to the same relative pointers under `to` in `target`.
void copy_subtree(const PositionMap& source, const std::string& from, PositionMap& target, const std::string& to) {
  for (auto it = source.lower_bound(from); it != source.end() && in_subtree(it->first, from); ++it) {
    target[to + it->first.substr(from.size())] = it->second;
  }
}

void replace_subtree(YamlDocument& target, const YamlDocument& source, const std::string& from,
                     const std::string& to) {
  erase_subtree(target.positions, to);
  erase_subtree(target.key_positions, to);
  copy_subtree(source.positions, from, target.positions, to);
  copy_subtree(source.key_positions, from, target.key_positions, to);
}

// `extends` semantics: maps merge recursively, anything else (lists, scalars) replaces.
void merge_map(Json& target, const Json& source, const std::string& pointer, YamlDocument& target_doc,
               const YamlDocument& source_doc) {
  for (auto it = source.begin(); it != source.end(); ++it) {
    const std::string child = pointer_join(pointer, it.key());
    const auto existing = target.find(it.key());
    if (existing != target.end() && existing->is_object() && it.value().is_object()) {
      merge_map(*existing, it.value(), child, target_doc, source_doc);
      if (const auto pos = source_doc.positions.find(child); pos != source_doc.positions.end()) {
        target_doc.positions[child] = pos->second;
      }
      if (const auto pos = source_doc.key_positions.find(child); pos != source_doc.key_positions.end()) {
        target_doc.key_positions[child] = pos->second;
      }
    } else {
      target[it.key()] = it.value();
      replace_subtree(target_doc, source_doc, child, child);
    }
  }
}

const KeyRule& top_rule(const std::string& name) {
  const auto& rules = top_level_rules();
  return *std::find_if(rules.begin(), rules.end(), [&](const KeyRule& r) { return r.name == name; });
}

void check_schema_id(const Json& value, const SourcePos& where) {
  if (!value.is_string()) throw_spec_error("schema: expected string, found " + describe_value(value), where);
  const std::string id = value.get<std::string>();
  static const std::regex pattern(R"(corey\.spec/([0-9]+)(\.[0-9]+)*)");
  std::smatch match;
  if (!std::regex_match(id, match, pattern)) {
    throw_spec_error("schema: '" + id + "' is not a corey spec schema; expected '" + std::string(schema_id) + "'",
                     where);
  }
  if (match[1].str() != "1") {
    throw_spec_error("schema: '" + id + "' has major version " + match[1].str() + ", but this corey reads '" +
                         std::string(schema_id) + "'",
                     where);
  }
}

// Empty sections (`params:` with nothing under it) read as empty maps or lists rather than null.
void normalize_empty_sections(YamlDocument& doc) {
  for (const auto& rule : top_level_rules()) {
    const auto it = doc.root.find(rule.name);
    if (it == doc.root.end() || !it->is_null()) continue;
    if (rule.type == ParamType::map) *it = Json::object();
    if (rule.type == ParamType::list) *it = Json::array();
  }
}

struct ChainLink {
  std::string key;      // canonical path, to detect cycles
  std::string display;  // the path as the user would recognise it
};

YamlDocument load_with_extends(const std::string& path, std::vector<ChainLink> chain) {
  YamlDocument doc = load_yaml_file(path);
  if (doc.root.is_null()) {
    throw_spec_error("the spec is empty; a spec is a YAML map with at least 'schema: corey.spec/1' and 'name:'",
                     SourcePos{path, 1, 1});
  }
  if (!doc.root.is_object()) {
    throw_spec_error("a spec is a YAML map (schema:, name:, params:, ...), but this file holds " +
                         describe_value(doc.root),
                     doc.positions[""]);
  }
  normalize_empty_sections(doc);
  const PositionIndex where{&doc.positions, &doc.key_positions, SourcePos{path, 1, 1}};
  if (const auto it = doc.root.find("schema"); it != doc.root.end()) check_schema_id(*it, where.value("/schema"));
  const auto extends = doc.root.find("extends");
  if (extends == doc.root.end()) return doc;

  if (extends->is_string()) {
    throw_spec_error("extends: expected a list of spec files, found " + describe_value(*extends) + "; write extends: [" +
                         extends->get<std::string>() + "]",
                     where.value("/extends"));
  }
  Json extends_value = *extends;
  std::vector<KeyRule> rules{top_rule("extends")};
  Json wrapper = Json::object();
  wrapper["extends"] = extends_value;
  check_section(wrapper, rules, "", "", where);

  YamlDocument merged;
  merged.root = Json::object();
  for (std::size_t i = 0; i < extends_value.size(); ++i) {
    const std::string entry = extends_value[i].get<std::string>();
    const SourcePos entry_pos = where.value(pointer_join("/extends", i));
    fs::path base(entry);
    if (base.is_relative()) base = fs::path(path).parent_path() / base;
    base = base.lexically_normal();
    std::error_code error;
    if (!fs::is_regular_file(base, error)) {
      throw_spec_error("extends: cannot find '" + entry + "' (looked for '" + base.string() + "')", entry_pos);
    }
    const std::string key = fs::weakly_canonical(base, error).string();
    const auto seen = std::find_if(chain.begin(), chain.end(), [&](const ChainLink& l) { return l.key == key; });
    if (seen != chain.end()) {
      std::string cycle;
      for (auto link = seen; link != chain.end(); ++link) cycle += link->display + " -> ";
      throw_spec_error("extends cycle: " + cycle + base.string(), entry_pos);
    }
    std::vector<ChainLink> next = chain;
    next.push_back(ChainLink{key, base.string()});
    const YamlDocument parent = load_with_extends(base.string(), std::move(next));
    merge_map(merged.root, parent.root, "", merged, parent);
  }
  doc.root.erase("extends");
  erase_subtree(doc.positions, "/extends");
  erase_subtree(doc.key_positions, "/extends");
  merge_map(merged.root, doc.root, "", merged, doc);
  merged.positions[""] = doc.positions[""];
  return merged;
}

// One `--set key.path=value`: returns the JSON pointer it set.
std::string apply_override(YamlDocument& doc, const std::string& argument) {
  const SourcePos origin{"--set " + argument, 0, 0};
  const std::size_t equals = argument.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw_spec_error("expected key.path=value (for example params.seq_len=8192)", origin);
  }
  const std::string key = argument.substr(0, equals);
  for (const auto& part : split_dotted(key)) {
    if (part.empty()) throw_spec_error("'" + key + "' has an empty part between dots", origin);
  }
  const auto parts = split_dotted(key);
  if (parts[0] == "extends") throw_spec_error("extends cannot be changed from the command line", origin);
  const YamlDocument value = parse_yaml_text(argument.substr(equals + 1), origin);

  Json* node = &doc.root;
  std::string pointer;
  std::size_t i = 0;
  while (true) {
    // A key that itself contains dots (`sweep.product.rule.h_ref`) is matched whole before descending.
    std::string rest = parts[i];
    for (std::size_t j = i + 1; j < parts.size(); ++j) rest += "." + parts[j];
    if (i + 1 == parts.size() || node->contains(rest)) {
      pointer = pointer_join(pointer, rest);
      (*node)[rest] = value.root;
      break;
    }
    pointer = pointer_join(pointer, parts[i]);
    auto it = node->find(parts[i]);
    if (it == node->end() || it->is_null()) {
      (*node)[parts[i]] = Json::object();
      it = node->find(parts[i]);
      doc.positions[pointer] = origin;
      doc.key_positions[pointer] = origin;
    }
    if (!it->is_object()) {
      throw_spec_error("'" + pointer_to_display(pointer) + "' is " + describe_value(*it) + ", not a map, so '" + key +
                           "' cannot be set inside it",
                       origin);
    }
    node = &*it;
    ++i;
  }
  YamlDocument relocated = value;
  relocated.positions.clear();
  relocated.key_positions.clear();
  copy_subtree(value.positions, "", relocated.positions, pointer);
  copy_subtree(value.key_positions, "", relocated.key_positions, pointer);
  relocated.key_positions[pointer] = origin;
  replace_subtree(doc, relocated, pointer, pointer);
  return pointer;
}

// Puts `experiment` after `name` (or first) so the resolved document reads naturally.
void insert_experiment(Json& root, const std::string& experiment) {
  Json rebuilt = Json::object();
  bool placed = false;
  for (auto it = root.begin(); it != root.end(); ++it) {
    rebuilt[it.key()] = it.value();
    if (it.key() == "name") {
      rebuilt["experiment"] = experiment;
      placed = true;
    }
  }
  if (!placed) rebuilt["experiment"] = experiment;
  root = std::move(rebuilt);
}

void interpolate_strings(Json& value, const std::string& pointer, const std::map<std::string, std::string>& vars,
                         const PositionIndex& where) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.find("${") != std::string::npos) value = interpolate(text, vars, where.value(pointer));
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) interpolate_strings(value[i], pointer_join(pointer, i), vars, where);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      interpolate_strings(it.value(), pointer_join(pointer, it.key()), vars, where);
    }
  }
}

void check_params(Json& params, const ParamSchema& schema, const std::string& experiment,
                  const std::map<std::string, std::string>& set_texts, const PositionIndex& where) {
  std::vector<std::string> names;
  for (const auto& info : schema) names.push_back(info.name);
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string pointer = pointer_join("/params", it.key());
    const auto info = std::find_if(schema.begin(), schema.end(), [&](const ParamInfo& p) { return p.name == it.key(); });
    if (info == schema.end()) {
      throw_spec_error("unknown parameter '" + it.key() + "' for experiment '" + experiment + "'" +
                           suggestion(it.key(), names),
                       where.key(pointer));
    }
    Json& value = it.value();
    // `--set params.label=123` means the text 123 when the parameter is a string.
    if (const auto text = set_texts.find(pointer);
        text != set_texts.end() && info->type == ParamType::string && (value.is_number() || value.is_boolean())) {
      value = text->second;
    }
    check_param(value, *info, "params." + it.key(), where.value(pointer));
  }
  for (const auto& info : schema) {
    if (params.contains(info.name) || info.default_value.is_null()) continue;
    Json value = info.default_value;
    if (info.type == ParamType::number && value.is_number_integer()) value = value.get<double>();
    params[info.name] = std::move(value);
  }
}

void check_cross_fields(const Json& root, const PositionIndex& where) {
  const Json* samples = find_dotted(root, "measure.samples");
  if (samples != nullptr && samples->contains("min") && samples->contains("max") &&
      (*samples)["min"].get<std::int64_t>() > (*samples)["max"].get<std::int64_t>()) {
    throw_spec_error("measure.samples: min (" + (*samples)["min"].dump() + ") is larger than max (" +
                         (*samples)["max"].dump() + ")",
                     where.value("/measure/samples"));
  }
}

}  // namespace

Spec load_spec(const std::string& path, const std::vector<std::string>& set_overrides,
               std::string_view experiment_from_cli, const SchemaLookup& schemas) {
  std::error_code error;
  YamlDocument doc = load_with_extends(
      path, {ChainLink{fs::weakly_canonical(fs::path(path), error).string(), fs::path(path).lexically_normal().string()}});
  const SourcePos file_pos{path, 1, 1};
  const PositionIndex where{&doc.positions, &doc.key_positions, file_pos};

  std::map<std::string, std::string> set_texts;
  for (const auto& argument : set_overrides) {
    const std::string pointer = apply_override(doc, argument);
    set_texts[pointer] = argument.substr(argument.find('=') + 1);
  }

  for (const char* required : {"schema", "name"}) {
    if (!doc.root.contains(required)) {
      throw_spec_error(std::string("missing required key '") + required + "'" +
                           (std::string(required) == "schema" ? " (write schema: corey.spec/1)"
                                                              : " (the spec's name, used in output paths)"),
                       where.value(""));
    }
  }
  check_schema_id(doc.root["schema"], where.value("/schema"));
  const Json& name_value = doc.root["name"];
  if (!name_value.is_string()) {
    throw_spec_error("name: expected string, found " + describe_value(name_value), where.value("/name"));
  }
  const std::string name = name_value.get<std::string>();
  static const std::regex name_pattern(R"([A-Za-z0-9][A-Za-z0-9._-]*)");
  if (!std::regex_match(name, name_pattern)) {
    throw_spec_error("name: '" + name +
                         "' must start with a letter or digit and hold only letters, digits, '.', '_' and '-' "
                         "(it becomes part of output paths)",
                     where.value("/name"));
  }
  interpolate_strings(doc.root, "", {{"name", name}}, where);
  check_section(doc.root, top_level_rules(), "", "", where);
  check_cross_fields(doc.root, where);
  if (const auto it = doc.root.find("report"); it != doc.root.end()) check_report_entries(*it, where);

  const std::string cli(experiment_from_cli);
  if (const auto it = doc.root.find("experiment"); it != doc.root.end()) {
    const auto declared = it->get<std::string>();
    if (!cli.empty() && declared != cli) {
      throw_spec_error("this spec is for experiment '" + declared + "' but was run as 'corey " + cli +
                           "'; run 'corey " + declared + " --spec " + path + "' or change experiment:",
                       where.value("/experiment"));
    }
  } else if (cli.empty()) {
    throw_spec_error("missing key 'experiment': name it in the spec (e.g. experiment: kernel-sweep) or run the "
                     "spec through its subcommand",
                     where.value(""));
  } else {
    insert_experiment(doc.root, cli);
    doc.positions["/experiment"] = SourcePos{"corey " + cli, 0, 0};
  }

  Spec spec;
  spec.path = path;
  spec.name = name;
  spec.experiment = doc.root["experiment"].get<std::string>();
  spec.overrides = set_overrides;
  if (const ParamSchema* schema = schemas ? schemas(spec.experiment) : nullptr; schema != nullptr) {
    spec.param_schema = *schema;
    if (!doc.root.contains("params")) doc.root["params"] = Json::object();
    check_params(doc.root["params"], *schema, spec.experiment, set_texts, where);
  }

  const auto section = [&](const char* key, Json fallback) {
    const auto it = doc.root.find(key);
    return it == doc.root.end() ? fallback : *it;
  };
  spec.params = section("params", Json::object());
  spec.sweep = section("sweep", Json::object());
  spec.measure = section("measure", Json::object());
  spec.verify = section("verify", Json::object());
  spec.stats = section("stats", Json::object());
  spec.order = section("order", Json::object());
  spec.output = section("output", Json::object());
  spec.report = section("report", Json::array());
  spec.devices = section("devices", Json::array());
  spec.resolved = std::move(doc.root);
  spec.positions = std::move(doc.positions);
  spec.key_positions = std::move(doc.key_positions);
  parse_sweep(spec);
  return spec;
}

}  // namespace corey::spec
