#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "model/checkpoint.hpp"
#include "model/config.hpp"
#include "model/safetensors_writer.hpp"
#include "model/synthetic_checkpoint.hpp"

using namespace corey;
using namespace corey::model;
namespace fs = std::filesystem;

namespace {

const std::string kDataDir = std::string(COREY_TEST_DATA_DIR) + "/model/";

template <class Fn>
void expect_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    FAIL("expected an error");
  } catch (const Error& e) {
    for (const auto& f : fragments) {
      CAPTURE(e.what(), f);
      CHECK(std::string(e.what()).find(f) != std::string::npos);
    }
  }
}

// A scratch copy of the np_tied fixture whose model.safetensors a test may replace.
struct ScratchCheckpoint {
  fs::path dir;
  explicit ScratchCheckpoint(const std::string& name) {
    dir = fs::temp_directory_path() / ("corey_test_model_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(kDataDir + "np_tied/config.json", dir / "config.json");
    fs::copy_file(kDataDir + "np_tied/model.safetensors", dir / "model.safetensors");
  }
  ~ScratchCheckpoint() { fs::remove_all(dir); }
  std::string weights() const { return (dir / "model.safetensors").string(); }
  std::string bytes() const { return read_file(weights()); }
  void write(const std::string& content) const { std::ofstream(weights(), std::ios::binary) << content; }
  // The file split into its header JSON and its data buffer.
  std::pair<Json, std::string> split() const {
    const std::string b = bytes();
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
    return {Json::parse(b.substr(8, n)), b.substr(8 + n)};
  }
  void join(const Json& header, const std::string& buffer) const {
    const std::string text = header.dump();
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
    write(out + text + buffer);
  }
};

}  // namespace

TEST_CASE("config.json: HF keys, mamba_ssm keys and derived defaults", "[checkpoint]") {
  // mamba-130m-hf's config.json values (KERNELS.md §4.3).
  const Json hf = Json::parse(R"({"hidden_size": 768, "num_hidden_layers": 24, "intermediate_size": 1536,
    "state_size": 16, "conv_kernel": 4, "expand": 2, "time_step_rank": 48, "vocab_size": 50280,
    "layer_norm_epsilon": 1e-5, "use_bias": false, "use_conv_bias": true, "hidden_act": "silu",
    "residual_in_fp32": true, "d_model": 768, "n_layer": 24, "pad_vocab_size_multiple": 8, "ssm_cfg": {}})");
  const MambaConfig c = config_from_json(hf, "hf.json");
  CHECK(c.d_model == 768);
  CHECK(c.n_layer == 24);
  CHECK(c.d_inner == 1536);
  CHECK(c.dt_rank == 48);
  CHECK(c.vocab_size == 50280);
  CHECK(c.tie_embeddings);
  CHECK(c.parameter_count() == 129135360);  // 129.1 M (KERNELS.md §3.2)

  const Json ssm = Json::parse(R"({"d_model": 1024, "n_layer": 48, "vocab_size": 50277, "ssm_cfg": {},
    "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true, "pad_vocab_size_multiple": 8})");
  const MambaConfig s = config_from_json(ssm, "ssm.json");
  CHECK(s.d_inner == 2048);
  CHECK(s.dt_rank == 64);
  CHECK(s.d_state == 16);
  CHECK(s.d_conv == 4);
  CHECK(s.vocab_size == 50280);
  CHECK(s.norm_eps == 1e-5);
  CHECK(s.parameter_count() / 100000 == 3715);  // 371.5 M

  const Json derived = Json::parse(R"({"hidden_size": 40, "num_hidden_layers": 1, "vocab_size": 100,
    "time_step_rank": "auto", "expand": 3})");
  const MambaConfig d = config_from_json(derived, "d.json");
  CHECK(d.d_inner == 120);
  CHECK(d.dt_rank == 3);
  CHECK(d.vocab_size == 100);  // HF family: stored as is

  expect_error([] { config_from_json(Json::parse(R"({"num_hidden_layers": 2, "vocab_size": 8})"), "x.json"); },
               {"x.json", "hidden_size"});
  expect_error([] { config_from_json(Json::parse(R"({"hidden_size": 8, "num_hidden_layers": 0, "vocab_size": 8})"), "x.json"); },
               {"x.json", "num_hidden_layers", "positive"});
  expect_error([] { config_from_json(Json::parse(R"({"hidden_size": 8, "num_hidden_layers": 1, "vocab_size": 8, "use_bias": true})"), "x.json"); },
               {"use_bias"});
  expect_error([] { config_from_json(Json::parse(R"({"hidden_size": 8, "num_hidden_layers": 1, "vocab_size": 8, "hidden_act": "gelu"})"), "x.json"); },
               {"hidden_act", "gelu"});
}

TEST_CASE("known sizes match the published parameter counts", "[checkpoint]") {
  // KERNELS.md §3.2: 129.1 M, 371.5 M, 1.37 B, 2.77 B.
  CHECK(config_like("mamba-130m").parameter_count() / 100000 == 1291);
  CHECK(config_like("mamba-370m").parameter_count() / 100000 == 3715);
  CHECK(config_like("mamba-1.4b").parameter_count() / 10000000 == 137);
  CHECK(config_like("mamba-2.8b").parameter_count() / 10000000 == 276);
  CHECK(config_like("mamba-2.8b").dt_rank == 160);
  expect_error([] { config_like("mamba-7b"); }, {"mamba-7b", "mamba-130m"});
}

TEST_CASE("sharded, mixed-dtype, untied and singular-name checkpoints load", "[checkpoint]") {
  const Checkpoint ck(kDataDir + "np_untied");
  CHECK(ck.config().vocab_size == 256);
  CHECK(ck.config().d_state == 8);
  CHECK(ck.config().d_conv == 3);
  CHECK(ck.has("lm_head.weight"));
  CHECK(ck.tensor("backbone.layers.0.mixer.in_proj.weight").info->dtype == DType::bf16);
  CHECK(ck.tensor("lm_head.weight").info->dtype == DType::f16);
  const MambaWeights w = load_weights(ck);
  CHECK(w.lm_head.size() == 256 * 32);
  CHECK(w.layers.size() == 3);
  CHECK(w.layers[2].A_log[7] == Approx(std::log(8.0f)));
  const MambaWeights tied = load_weights(kDataDir + "np_tied");
  CHECK(tied.lm_head.empty());
  CHECK(&tied.head() == &tied.embeddings);
}

TEST_CASE("the safetensors writer round-trips through the core reader", "[checkpoint]") {
  const fs::path path = fs::temp_directory_path() / ("corey_writer_" + std::to_string(::getpid()) + ".safetensors");
  {
    SafetensorsWriter writer(path.string(),
                             {{"a", DType::f32, {2, 3}}, {"b", DType::bf16, {3}}, {"c", DType::f16, {0}}, {"d", DType::f32, {}}},
                             {{"seed", "7"}});
    writer.write_f32("a", {1, 2, 3, 4, 5, 6});
    writer.write_f32("b", {1.0f, -2.5f, 1.00390625f});  // the last rounds to even in bf16: 1.0
    CHECK_THROWS_AS(writer.write_f32("d", {1.0f}), Error);  // out of order
    writer.write_f32("c", {});
    writer.write_f32("d", {42.0f});
    writer.finish();
  }
  const core::SafetensorsFile file(path.string());
  CHECK(file.metadata()["seed"] == "7");
  REQUIRE(file.tensors().size() == 4);
  CHECK(file.tensor("a").shape == std::vector<std::int64_t>{2, 3});
  CHECK(file.tensor("b").dtype_name == "BF16");
  const std::vector<double> b_storage = file.copy_aligned(file.tensor("b"));
  const auto* bits = reinterpret_cast<const std::uint16_t*>(b_storage.data());
  CHECK(bits[0] == 0x3F80);
  CHECK(bits[1] == 0xC020);
  CHECK(bits[2] == 0x3F80);
  CHECK(file.tensor("d").shape.empty());
  // 8 + header is a multiple of 8 (the reference writer's padding).
  const std::string raw = read_file(path.string());
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(raw[i])) << (8 * i);
  CHECK(n % 8 == 0);
  fs::remove(path);
}

TEST_CASE("bad checkpoints give errors naming the file and the tensor", "[checkpoint]") {
  SECTION("truncated file") {
    ScratchCheckpoint s("trunc");
    const std::string b = s.bytes();
    s.write(b.substr(0, b.size() - 100));
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "truncated", "tensor 'backbone."});
  }
  SECTION("overlapping offsets") {
    ScratchCheckpoint s("overlap");
    auto [header, buffer] = s.split();
    header["backbone.norm_f.weight"]["data_offsets"] = {0, 48 * 4};
    s.join(header, buffer);
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "overlaps"});
  }
  SECTION("oversized header") {
    ScratchCheckpoint s("oversized");
    std::string b = s.bytes();
    const std::uint64_t huge = 200'000'000;
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((huge >> (8 * i)) & 0xFF);
    s.write(b);
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "100 MB"});
  }
  SECTION("missing tensor") {
    ScratchCheckpoint s("missing");
    auto [header, buffer] = s.split();
    header.erase("backbone.layers.1.mixer.D");
    // Keep the buffer contiguous: the removed tensor becomes an unnamed hole otherwise, so shift later ones.
    const auto removed = Json::parse(s.split().first.dump())["backbone.layers.1.mixer.D"]["data_offsets"];
    const std::uint64_t begin = removed[0], end = removed[1];
    for (auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      std::uint64_t b0 = entry["data_offsets"][0], b1 = entry["data_offsets"][1];
      if (b0 >= end) entry["data_offsets"] = {b0 - (end - begin), b1 - (end - begin)};
    }
    s.join(header, buffer.substr(0, begin) + buffer.substr(end));
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "missing tensor", "backbone.layers.1.mixer.D"});
  }
  SECTION("shape that contradicts the config") {
    ScratchCheckpoint s("shape");
    Json cfg = Json::parse(read_file((s.dir / "config.json").string()));
    cfg["state_size"] = 8;
    write_file_atomic((s.dir / "config.json").string(), cfg.dump());
    expect_error([&] { Checkpoint ck(s.dir.string()); },
                 {s.weights(), "backbone.layers.0.mixer.x_proj.weight", "[35, 96]", "[19, 96]"});
  }
  SECTION("unsupported dtype") {
    ScratchCheckpoint s("dtype");
    auto [header, buffer] = s.split();
    header["backbone.layers.0.mixer.A_log"]["dtype"] = "I32";
    s.join(header, buffer);
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "backbone.layers.0.mixer.A_log", "I32"});
  }
  SECTION("untied config without lm_head") {
    ScratchCheckpoint s("untied");
    Json cfg = Json::parse(read_file((s.dir / "config.json").string()));
    cfg["tie_word_embeddings"] = false;
    write_file_atomic((s.dir / "config.json").string(), cfg.dump());
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.weights(), "lm_head.weight"});
  }
  SECTION("no weights at all") {
    ScratchCheckpoint s("none");
    fs::remove(s.weights());
    expect_error([&] { Checkpoint ck(s.dir.string()); }, {s.dir.string(), "model.safetensors"});
  }
}

TEST_CASE("synthetic checkpoints have the HF layout and initialisation statistics", "[checkpoint]") {
  const fs::path dir = fs::temp_directory_path() / ("corey_synth_" + std::to_string(::getpid()));
  MambaConfig c;
  c.d_model = 64;
  c.n_layer = 2;
  c.d_inner = 128;
  c.dt_rank = 4;
  c.vocab_size = 512;
  write_synthetic_checkpoint(dir.string(), c, 1234, DType::f32, "custom");
  const Checkpoint ck(dir.string());
  CHECK(ck.config().d_inner == 128);
  const auto& st = *ck.tensor("backbone.embeddings.weight").file;
  CHECK(st.metadata()["seed"] == "1234");
  CHECK(st.metadata()["format"] == "pt");
  const MambaWeights w = load_weights(ck);
  double sum = 0.0, sum2 = 0.0;
  for (float v : w.embeddings) sum += v, sum2 += static_cast<double>(v) * v;
  const double n = static_cast<double>(w.embeddings.size());
  CHECK(std::abs(sum / n) < 0.001);
  CHECK(std::sqrt(sum2 / n) == Approx(0.02).epsilon(0.02));
  const LayerWeights& l = w.layers[1];
  for (std::int64_t d = 0; d < 128; ++d) {
    CHECK(l.D_skip[static_cast<std::size_t>(d)] == 1.0f);
    CHECK(l.conv_b[static_cast<std::size_t>(d)] == 0.0f);
    const double dt = std::log1p(std::exp(static_cast<double>(l.dt_proj_b[static_cast<std::size_t>(d)])));
    CHECK(dt >= 1e-3 * (1 - 1e-5));
    CHECK(dt <= 1e-1 * (1 + 1e-5));
    for (std::int64_t k = 0; k < 16; ++k) CHECK(l.A_log[static_cast<std::size_t>(d * 16 + k)] == static_cast<float>(std::log(k + 1.0)));
  }
  CHECK(l.norm == std::vector<float>(64, 1.0f));
  fs::remove_all(dir);
  // The same seed gives the same bytes.
  write_synthetic_checkpoint(dir.string(), c, 1234, DType::bf16, "custom");
  const std::string a = read_file((dir / "model.safetensors").string());
  write_synthetic_checkpoint(dir.string(), c, 1234, DType::bf16, "custom");
  CHECK(a == read_file((dir / "model.safetensors").string()));
  fs::remove_all(dir);
}
