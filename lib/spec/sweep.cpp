#include "spec/sweep.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "spec/paths.hpp"
#include "spec/suggest.hpp"
#include "spec/value_types.hpp"

namespace corey::spec {

namespace {

// Far beyond any useful study; a bigger sweep is a typo (a range step of 1 instead of 1024, ...).
constexpr std::size_t max_points = 10'000'000;

const char* const generator_help = "a list of values, {pow2: [a, b]}, {range: [a, b, step]} or {geom: [a, b, n]}";

// Decimal places of the shortest round-trip form of x (so range steps like 0.1 produce 0.3, not
// 0.30000000000000004).
int decimal_places(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed);
  const std::string text(buffer, result.ptr);
  const auto dot = text.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

std::vector<Json> generator_arguments(const Json& args, const std::string& kind, std::size_t min_count,
                                      std::size_t max_count, const std::string& label, const SourcePos& where) {
  if (!args.is_array() || args.size() < min_count || args.size() > max_count) {
    const std::string shape = kind == "pow2" ? "[a, b]" : (kind == "range" ? "[a, b] or [a, b, step]" : "[a, b, n]");
    throw_spec_error(label + ": {" + kind + ": ...} takes " + shape + ", found " + args.dump(), where);
  }
  for (const auto& arg : args) {
    if (!arg.is_number()) {
      throw_spec_error(label + ": {" + kind + ": ...} takes numbers, found " + describe_value(arg), where);
    }
  }
  return std::vector<Json>(args.begin(), args.end());
}

std::vector<Json> pow2_values(const Json& args, const std::string& label, const SourcePos& where) {
  const auto a = generator_arguments(args, "pow2", 2, 2, label, where);
  if (!a[0].is_number_integer() || !a[1].is_number_integer()) {
    throw_spec_error(label + ": {pow2: [a, b]} takes integer exponents, found " + args.dump(), where);
  }
  const auto lo = a[0].get<std::int64_t>();
  const auto hi = a[1].get<std::int64_t>();
  if (lo < 0 || hi > 62 || lo > hi) {
    throw_spec_error(label + ": {pow2: [a, b]} needs 0 <= a <= b <= 62, found " + args.dump(), where);
  }
  std::vector<Json> values;
  for (auto k = lo; k <= hi; ++k) values.emplace_back(std::int64_t{1} << k);
  return values;
}

std::vector<Json> range_values(const Json& args, const std::string& label, const SourcePos& where) {
  const auto a = generator_arguments(args, "range", 2, 3, label, where);
  const bool integers = std::all_of(a.begin(), a.end(), [](const Json& x) { return x.is_number_integer(); });
  const double start = a[0].get<double>();
  const double stop = a[1].get<double>();
  const double step = a.size() == 3 ? a[2].get<double>() : 1.0;
  if (step == 0 || (stop - start) / step < 0) {
    throw_spec_error(label + ": {range: [a, b, step]} needs a step that goes from a towards b, found " +
                         args.dump(),
                     where);
  }
  const double span = std::floor((stop - start) / step + 1e-9);
  if (span + 1 > static_cast<double>(max_points)) {
    throw_spec_error(label + ": {range: " + args.dump() + "} has more than 10,000,000 values", where);
  }
  const auto count = static_cast<std::int64_t>(span) + 1;
  std::vector<Json> values;
  if (integers) {
    const auto first = a[0].get<std::int64_t>();
    const std::int64_t int_step = a.size() == 3 ? a[2].get<std::int64_t>() : 1;
    for (std::int64_t i = 0; i < count; ++i) values.emplace_back(first + i * int_step);
    return values;
  }
  const int places = std::max(decimal_places(start), decimal_places(step));
  const double scale = std::pow(10.0, places);
  for (std::int64_t i = 0; i < count; ++i) {
    double x = start + static_cast<double>(i) * step;
    if (places <= 15) x = std::round(x * scale) / scale;
    values.emplace_back(x);
  }
  return values;
}

std::vector<Json> geom_values(const Json& args, const std::string& label, const SourcePos& where) {
  const auto a = generator_arguments(args, "geom", 3, 3, label, where);
  if (!a[2].is_number_integer() || a[2].get<std::int64_t>() < 1) {
    throw_spec_error(label + ": {geom: [a, b, n]} needs a whole number of values n >= 1, found " + a[2].dump(),
                     where);
  }
  const auto n = a[2].get<std::int64_t>();
  if (n > static_cast<std::int64_t>(max_points)) {
    throw_spec_error(label + ": {geom: " + args.dump() + "} has more than 10,000,000 values", where);
  }
  const double start = a[0].get<double>();
  const double stop = a[1].get<double>();
  if (start == 0 || stop == 0 || (start < 0) != (stop < 0)) {
    throw_spec_error(label + ": {geom: [a, b, n]} needs a and b non-zero with the same sign, found " + args.dump(),
                     where);
  }
  const bool integers = a[0].is_number_integer() && a[1].is_number_integer();
  std::vector<Json> values;
  for (std::int64_t i = 0; i < n; ++i) {
    double x = i == 0 ? start : (i == n - 1 ? stop : start * std::pow(stop / start, double(i) / double(n - 1)));
    if (!integers) {
      values.emplace_back(x);
      continue;
    }
    const auto rounded = static_cast<std::int64_t>(std::llround(x));
    if (!values.empty() && values.back().get<std::int64_t>() == rounded) {
      throw_spec_error(label + ": {geom: " + args.dump() + "} rounds two values to the integer " +
                           std::to_string(rounded) + "; use fewer values or float bounds",
                       where);
    }
    values.emplace_back(rounded);
  }
  return values;
}

class SweepParser {
 public:
  explicit SweepParser(const Spec& spec) : spec_(spec) {
    if (spec.param_schema) {
      for (const auto& info : *spec.param_schema) param_names_.push_back(info.name);
    }
  }

  SweepDefinition run() {
    SweepDefinition definition;
    const Json& sweep = spec_.sweep;
    if (const auto it = sweep.find("product"); it != sweep.end()) parse_product(*it, definition);
    if (const auto it = sweep.find("zip"); it != sweep.end()) parse_zip(*it, definition);
    check_size(definition);
    if (const auto it = sweep.find("include"); it != sweep.end()) parse_include(*it, definition);
    if (const auto it = sweep.find("where"); it != sweep.end()) {
      for (std::size_t i = 0; i < it->size(); ++i) {
        const std::string pointer = pointer_join("/sweep/where", i);
        definition.where.push_back(Expression::parse((*it)[i].get<std::string>(), spec_.where(pointer)));
      }
    }
    if (const auto it = sweep.find("sample"); it != sweep.end()) {
      const auto count = it->value("random", std::int64_t{0});
      if (count > 0 && !it->contains("seed")) {
        throw_spec_error("sweep.sample: a random sample needs a seed (sample: {random: " + std::to_string(count) +
                             ", seed: 1}) so the same spec draws the same points",
                         spec_.where("/sweep/sample"));
      }
      if (count > 0) {
        definition.sample = SweepSample{static_cast<std::uint64_t>(count),
                                        static_cast<std::uint64_t>(it->value("seed", std::int64_t{0}))};
      }
    }
    return definition;
  }

 private:
  // Checks a param path against the schema and types the value of a top-level param.
  void check_param(const std::string& path, Json& value, const std::string& key_pointer,
                   const std::string& value_pointer, const std::string& context) {
    if (!spec_.param_schema) return;
    const auto parts = split_dotted(path);
    const auto& schema = *spec_.param_schema;
    const auto info = std::find_if(schema.begin(), schema.end(), [&](const ParamInfo& p) { return p.name == parts[0]; });
    if (info == schema.end()) {
      throw_spec_error("unknown parameter '" + parts[0] + "' in " + context + " for experiment '" +
                           spec_.experiment + "'" + suggestion(parts[0], param_names_),
                       key_position(key_pointer));
    }
    if (parts.size() == 1) {
      check_value(value, info->type, info->choices, pointer_to_display(value_pointer), spec_.where(value_pointer));
    } else if (info->type != ParamType::map && info->type != ParamType::any) {
      throw_spec_error("'" + path + "' addresses inside parameter '" + parts[0] + "', which is a " +
                           type_name(info->type) + ", not a map",
                       key_position(key_pointer));
    }
  }

  SourcePos key_position(const std::string& pointer) const {
    if (const auto it = spec_.key_positions.find(pointer); it != spec_.key_positions.end()) return it->second;
    return spec_.where(pointer);
  }

  static void check_path(const std::string& path, const SourcePos& where) {
    for (const auto& part : split_dotted(path)) {
      if (part.empty()) throw_spec_error("'" + path + "' is not a parameter name (empty part between dots)", where);
    }
  }

  // The values of one dimension, each typed as `path`.
  std::vector<Json> values_of(const Json& spec_value, const std::string& path, const std::string& pointer,
                              const std::string& context) {
    const std::string label = pointer_to_display(pointer);
    const SourcePos where = spec_.where(pointer);
    std::vector<Json> values;
    if (spec_value.is_array()) {
      values.assign(spec_value.begin(), spec_value.end());
      for (std::size_t i = 0; i < values.size(); ++i) {
        check_param(path, values[i], pointer, pointer_join(pointer, i), context);
      }
    } else {
      values = sweep_values(spec_value, label, where);
      for (auto& value : values) check_param(path, value, pointer, pointer, context);
    }
    if (values.empty()) throw_spec_error(label + ": the dimension has no values", where);
    return values;
  }

  void parse_product(const Json& product, SweepDefinition& definition) {
    for (auto it = product.begin(); it != product.end(); ++it) {
      const std::string pointer = pointer_join("/sweep/product", it.key());
      check_path(it.key(), key_position(pointer));
      SweepAxis axis;
      axis.name = it.key();
      axis.pointer = pointer;
      axis.members = {it.key()};
      for (auto& value : values_of(it.value(), it.key(), pointer, "sweep.product")) axis.rows.push_back({value});
      definition.axes.push_back(std::move(axis));
    }
  }

  void parse_zip(const Json& zip, SweepDefinition& definition) {
    for (auto it = zip.begin(); it != zip.end(); ++it) {
      const std::string pointer = pointer_join("/sweep/zip", it.key());
      if (!it.value().is_object() || it.value().empty()) {
        throw_spec_error("sweep.zip." + it.key() + ": expected a map of member parameters to equally long lists, found " +
                             describe_value(it.value()),
                         spec_.where(pointer));
      }
      if (spec_.sweep.contains("product") && spec_.sweep["product"].contains(it.key())) {
        throw_spec_error("zip dimension '" + it.key() + "' has the name of a product dimension", key_position(pointer));
      }
      SweepAxis axis;
      axis.name = it.key();
      axis.pointer = pointer;
      axis.is_zip = true;
      std::vector<std::vector<Json>> columns;
      std::string first_member;
      for (auto member = it.value().begin(); member != it.value().end(); ++member) {
        const std::string member_pointer = pointer_join(pointer, member.key());
        check_path(member.key(), key_position(member_pointer));
        columns.push_back(values_of(member.value(), member.key(), member_pointer, "sweep.zip." + it.key()));
        if (columns.size() == 1) {
          first_member = member.key();
        } else if (columns.back().size() != columns.front().size()) {
          throw_spec_error("zip '" + it.key() + "': member '" + member.key() + "' has " +
                               std::to_string(columns.back().size()) + " values but '" + first_member + "' has " +
                               std::to_string(columns.front().size()) + "; zipped members must have equal lengths",
                           spec_.where(member_pointer));
        }
        axis.members.push_back(member.key());
      }
      for (std::size_t row = 0; row < columns.front().size(); ++row) {
        std::vector<Json> values;
        for (const auto& column : columns) values.push_back(column[row]);
        axis.rows.push_back(std::move(values));
      }
      definition.axes.push_back(std::move(axis));
    }
  }

  void check_size(const SweepDefinition& definition) const {
    double total = 1;
    for (const auto& axis : definition.axes) total *= static_cast<double>(axis.rows.size());
    if (total > static_cast<double>(max_points)) {
      throw_spec_error("the sweep expands to " + Json(total).dump() +
                           " points; more than 10,000,000 is almost certainly a mistake",
                       spec_.where("/sweep"));
    }
  }

  void parse_include(const Json& include, SweepDefinition& definition) {
    for (std::size_t i = 0; i < include.size(); ++i) {
      const std::string pointer = pointer_join("/sweep/include", i);
      SweepInclude entry;
      entry.pointer = pointer;
      for (auto it = include[i].begin(); it != include[i].end(); ++it) {
        const std::string key_pointer = pointer_join(pointer, it.key());
        const auto zip = std::find_if(definition.axes.begin(), definition.axes.end(),
                                      [&](const SweepAxis& a) { return a.is_zip && a.name == it.key(); });
        if (zip != definition.axes.end()) {
          add_zip_row(*zip, it.value(), key_pointer, entry);
          continue;
        }
        check_path(it.key(), key_position(key_pointer));
        Json value = it.value();
        check_param(it.key(), value, key_pointer, key_pointer, "sweep.include");
        entry.assignments.emplace_back(it.key(), std::move(value));
      }
      definition.includes.push_back(std::move(entry));
    }
  }

  // `shape: 1` takes row 1 of zip `shape`; `shape: {d_inner: 2048, name: x}` names member values directly.
  void add_zip_row(const SweepAxis& zip, const Json& value, const std::string& pointer, SweepInclude& entry) {
    const SourcePos where = spec_.where(pointer);
    if (value.is_number_integer()) {
      const auto row = value.get<std::int64_t>();
      if (row < 0 || row >= static_cast<std::int64_t>(zip.rows.size())) {
        throw_spec_error("zip '" + zip.name + "' has rows 0.." + std::to_string(zip.rows.size() - 1) +
                             ", so row " + std::to_string(row) + " does not exist",
                         where);
      }
      for (std::size_t m = 0; m < zip.members.size(); ++m) {
        entry.assignments.emplace_back(zip.members[m], zip.rows[static_cast<std::size_t>(row)][m]);
      }
      return;
    }
    if (value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (std::find(zip.members.begin(), zip.members.end(), it.key()) == zip.members.end()) {
          throw_spec_error("zip '" + zip.name + "' has no member '" + it.key() + "'" +
                               suggestion(it.key(), zip.members),
                           key_position(pointer_join(pointer, it.key())));
        }
        Json member_value = it.value();
        check_param(it.key(), member_value, pointer_join(pointer, it.key()), pointer_join(pointer, it.key()),
                    "sweep.include");
        entry.assignments.emplace_back(it.key(), std::move(member_value));
      }
      return;
    }
    throw_spec_error("include: zip '" + zip.name + "' is given by a row index (0.." +
                         std::to_string(zip.rows.size() - 1) + ") or a map of member values, found " +
                         describe_value(value),
                     where);
  }

  const Spec& spec_;
  std::vector<std::string> param_names_;
};

}  // namespace

std::vector<Json> sweep_values(const Json& spec_value, const std::string& label, const SourcePos& where) {
  if (spec_value.is_array()) return std::vector<Json>(spec_value.begin(), spec_value.end());
  if (spec_value.is_object() && spec_value.size() == 1) {
    const auto first = spec_value.begin();
    const std::string& kind = first.key();
    const Json& args = first.value();
    if (kind == "pow2") return pow2_values(args, label, where);
    if (kind == "range") return range_values(args, label, where);
    if (kind == "geom") return geom_values(args, label, where);
    throw_spec_error(label + ": unknown generator '" + kind + "'" +
                         suggestion(kind, {"pow2", "range", "geom"}),
                     where);
  }
  std::string hint;
  if (!spec_value.is_object()) hint = " (write [" + spec_value.dump() + "] for a single value)";
  throw_spec_error(label + ": expected " + generator_help + ", found " + describe_value(spec_value) + hint, where);
}

SweepDefinition parse_sweep(const Spec& spec) { return SweepParser(spec).run(); }

}  // namespace corey::spec
