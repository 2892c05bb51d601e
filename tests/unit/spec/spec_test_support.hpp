#pragma once
// Shared helpers for the spec tests: a small stand-in params schema (no tier exists in these tests) and a
// way to capture the corey::Error a call throws.
#include <functional>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "spec/param_schema.hpp"
#include "spec/spec.hpp"

namespace corey::spec::test {

inline std::string data_path(const std::string& relative) { return std::string(COREY_TEST_DATA_DIR) + "/" + relative; }

inline const ParamSchema& fake_kernel_schema() {
  static const ParamSchema schema = {
      {"workload", ParamType::string, "mamba370m", {"w1", "mamba370m", "shape"}, ""},
      {"batch", ParamType::integer, 1, {}, ""},
      {"d_inner", ParamType::integer, 2048, {}, ""},
      {"seq_len", ParamType::integer, 4096, {}, ""},
      {"d_state", ParamType::integer, 16, {}, ""},
      {"dtype", ParamType::string, "bf16", {"fp32", "fp16", "bf16"}, ""},
      {"chunk_mode", ParamType::string, "inkernel", {"single", "inkernel", "launch", "segmented", "reset"}, ""},
      {"impl", ParamType::string, "seq", {"seq", "blockscan", "cpu"}, ""},
      {"chunk", ParamType::integer, 512, {}, ""},
      {"policy", ParamType::string, "static", {"static", "corey", "oracle"}, ""},
      {"tau", ParamType::number, 0.52, {}, ""},
      {"rule", ParamType::map, Json{{"h_ref", "lnK"}, {"c_min", 32}, {"c_max", 512}, {"rounding", "round"}}, {}, ""},
      {"label", ParamType::string, "default", {}, ""},
      {"graph", ParamType::boolean, false, {}, ""},
  };
  return schema;
}

// kernel-sweep has the fake schema; every other experiment is "not implemented" (unchecked params).
inline SchemaLookup fake_schemas() {
  return [](std::string_view experiment) -> const ParamSchema* {
    return experiment == "kernel-sweep" ? &fake_kernel_schema() : nullptr;
  };
}

inline Spec load(const std::string& relative, const std::vector<std::string>& sets = {},
                 std::string_view experiment = "") {
  return load_spec(data_path(relative), sets, experiment, fake_schemas());
}

// Runs `call`, which must throw corey::Error; returns it (a test failure otherwise).
inline Error error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected a corey::Error");
  return Error(ErrorKind::usage, "unreachable");
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace corey::spec::test
