#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "bench/tensor_analysis.hpp"
#include "catch.hpp"
#include "expect_error.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

using namespace corey;
using namespace corey::bench;

using corey::testing::expect_error;

namespace {
const std::string kDir = std::string(COREY_TEST_DATA_DIR) + "/analyze/";


// The estimator entry of `analysis` with this estimator, units and stride.
const Json& entry(const Json& analysis, const std::string& estimator, const std::string& units, int stride) {
  for (const Json& e : analysis["estimators"]) {
    if (e["estimator"] == estimator && e["units"] == units && e["stride"] == stride) return e;
  }
  FAIL("no estimator " << estimator << " " << units << " stride " << stride);
  throw;
}
}  // namespace

TEST_CASE("analyze reports numpy's estimator values for npy and safetensors tensors", "[analyze]") {
  std::ifstream in(kDir + "analyze_reference.json");
  REQUIRE(in.good());
  const Json ref = Json::parse(in);
  for (const auto& [key, expected] : ref.items()) {
    CAPTURE(key);
    const auto colon = key.find(':');
    AnalyzeOptions options;
    options.stride = 8;
    std::string file = key;
    if (colon != std::string::npos) {
      file = key.substr(0, colon);
      options.tensor = key.substr(colon + 1);
    }
    const Json a = analyze_tensor_file(kDir + file, options);
    auto close = [](const Json& got, const Json& want) {
      CHECK(std::abs(got.get<double>() - want.get<double>()) <= 1e-12 + 1e-12 * std::abs(want.get<double>()));
    };
    close(entry(a, "hist", "nats", 1)["value"], expected["hist_k256_s1_nats"]);
    close(entry(a, "hist", "bits", 1)["value"], expected["hist_k256_s1_bits"]);
    close(entry(a, "hist", "nats", 8)["value"], expected["hist_k256_s8_nats"]);
    close(entry(a, "ebits", "bits", 1)["value"], expected["ebits_k256_bits"]);
    close(entry(a, "token_hist", "nats", 1)["value"], expected["token_hist_k256_s1_nats"]);
    close(entry(a, "token_hist", "nats", 8)["value"], expected["token_hist_k256_s8_nats"]);
    close(entry(a, "cheap_proxy", "nats", 1)["value"], expected["cheap_proxy_k256_nats"]);
    close(entry(a, "variance_proxy", "nats", 1)["value"], expected["variance_proxy_k256_nats"]);
    close(entry(a, "kurtosis_proxy", "nats", 1)["value"], expected["kurtosis_proxy_k256_nats"]);
    // Every estimator carries units, bins, range and stride.
    for (const Json& e : a["estimators"]) {
      CHECK(e.contains("units"));
      CHECK(e["bins"] == 256);
      CHECK(e.contains("range"));
    }
    // The rules use the E-routed histogram in nats; the chunk is one of the rule's powers of two.
    for (const Json& r : a["rules"]) {
      CHECK(r["entropy"].get<double>() == entry(a, "hist", "nats", 1)["value"].get<double>());
      const auto chunk = r["chunk"].get<std::int64_t>();
      CHECK((chunk & (chunk - 1)) == 0);
    }
  }
}

TEST_CASE("analyze's custom rule and learned table", "[analyze]") {
  AnalyzeOptions options;
  options.h_ref = 8.0;
  options.chunk_min = 32;
  options.chunk_max = 512;
  options.learned_table = std::string(COREY_SOURCE_DIR) + "/experiments/examples/learned_table.json";
  options.layer_idx = 2;
  const Json a = analyze_tensor_file(kDir + "u_f32.npy", options);
  const Json& custom = a["rules"][5];
  CHECK(custom["name"] == "custom");
  CHECK(custom["h_ref"] == 8.0);
  // L = 64 <= max_seq_len 64: the paper example's first rule.
  CHECK(a["learned_table"]["policy_rule"] == "short_prompts");
  CHECK(a["learned_table"]["chunk"] == 128);
  CHECK(a["learned_table"]["seq_len"] == 64);
}

TEST_CASE("analyze errors name the file, tensor or rule index", "[analyze]") {
  const AnalyzeOptions none;
  expect_error([&] { analyze_tensor_file(kDir + "truncated.npy", none); }, ErrorKind::usage,
               {"truncated.npy", "truncated"});
  expect_error([&] { analyze_tensor_file(kDir + "int32.npy", none); }, ErrorKind::usage, {"int32.npy", "dtype"});
  expect_error([&] { analyze_tensor_file(kDir + "nan.npy", none); }, ErrorKind::usage, {"nan.npy", "NaN"});
  expect_error([&] { analyze_tensor_file(kDir + "inf.npy", none); }, ErrorKind::usage, {"inf.npy", "Inf"});
  expect_error([&] { analyze_tensor_file(kDir + "st_shape_mismatch.safetensors", none); }, ErrorKind::usage,
               {"st_shape_mismatch.safetensors", "tensor 'a'"});
  expect_error([&] { analyze_tensor_file(kDir + "st_truncated.safetensors", none); }, ErrorKind::usage,
               {"st_truncated.safetensors"});
  AnalyzeOptions st_nan;
  st_nan.tensor = "u";
  expect_error([&] { analyze_tensor_file(kDir + "st_nan.safetensors", st_nan); }, ErrorKind::usage,
               {"st_nan.safetensors:u", "NaN"});
  expect_error([&] { analyze_tensor_file(kDir + "tensors.safetensors", none); }, ErrorKind::usage,
               {"tensors.safetensors", "--tensor", "u_half"});
  AnalyzeOptions ids;
  ids.tensor = "ids";
  expect_error([&] { analyze_tensor_file(kDir + "tensors.safetensors", ids); }, ErrorKind::usage, {"'ids'", "I64"});
  AnalyzeOptions bad_table;
  bad_table.learned_table = kDir + "table_bad_chunk.json";
  expect_error([&] { analyze_tensor_file(kDir + "u_f32.npy", bad_table); }, ErrorKind::usage,
               {"table_bad_chunk.json", "rule 1"});
  expect_error([&] { analyze_tensor_file(kDir + "missing.npy", none); }, ErrorKind::io, {"missing.npy"});
  expect_error([&] { analyze_tensor_file(kDir + "table_bad_chunk.json", none); }, ErrorKind::usage,
               {"unknown file type"});
}
