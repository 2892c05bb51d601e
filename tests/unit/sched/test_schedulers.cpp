#include <cmath>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "sched/scheduler_factory.hpp"

using namespace corey;
using namespace corey::sched;

namespace {
const std::string kData = std::string(COREY_TEST_DATA_DIR);
const double kLn256 = std::log(256.0);

SchedulerConfig routed(std::int64_t c_min, std::int64_t c_max) {
  SchedulerConfig c;
  c.c_min = c_min;
  c.c_max = c_max;
  return c;
}

template <class Fn>
void expect_usage_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    for (const auto& f : fragments) {
      CAPTURE(e.what(), f);
      CHECK(std::string(e.what()).find(f) != std::string::npos);
    }
  }
}
}  // namespace

TEST_CASE("each row declares the statistic it needs", "[sched]") {
  SchedulerConfig config = routed(128, 2048);
  config.table = LearnedTable::load(std::string(COREY_SOURCE_DIR) + "/experiments/examples/learned_table.json");
  for (const char* none : {"static_chunk_512", "no_entropy_mid", "random_seed_0"})
    CHECK_FALSE(make_scheduler(none, config)->statistic().has_value());
  auto hist = make_scheduler("hist", config)->statistic();
  REQUIRE(hist);
  CHECK(hist->estimator == entropy::Estimator::hist);
  CHECK(hist->stride == 1);
  CHECK(hist->bins == 256);
  CHECK(hist->units == entropy::Units::nats);
  CHECK(make_scheduler("sampled_hist_s8", config)->statistic()->stride == 8);
  CHECK(make_scheduler("token_hist_s8", config)->statistic()->estimator == entropy::Estimator::token_hist);
  CHECK(make_scheduler("kurtosis_proxy", config)->statistic()->estimator == entropy::Estimator::kurtosis_proxy);
  CHECK(make_scheduler("guarded_sampled_hist_s8", config)->statistic()->stride == 8);
  CHECK(make_scheduler("guarded_variance_proxy", config)->name() == "guarded_variance_proxy");
  // The authors' learned_table path still computes the strided histogram.
  CHECK(make_scheduler("learned_table", config)->statistic()->stride == 8);
  expect_usage_error([&] { make_scheduler("hist_s8", config); }, {"unknown scheduler row 'hist_s8'"});
  expect_usage_error([&] { make_scheduler("learned_table", routed(128, 512)); }, {"needs a learned_table"});
}

TEST_CASE("static and no_entropy rows match PAPER.md §2.4", "[sched]") {
  CHECK(make_scheduler("static_chunk_1024", routed(128, 2048))->decide({}).chunk == 1024);
  CHECK(make_scheduler("no_entropy_mid", routed(128, 2048))->decide({}).chunk == 1024);
  CHECK(make_scheduler("no_entropy_mid", routed(128, 1024))->decide({}).chunk == 512);
  CHECK(make_scheduler("no_entropy_mid", routed(128, 512))->decide({}).chunk == 256);
}

TEST_CASE("rule rows use the statistic as H with H_ref = ln K", "[sched]") {
  auto hist = make_scheduler("hist", routed(128, 2048));
  // Thresholds of the 128–2048, ln 256, round row of PAPER.md §2.3: 0.153 | 0.676 | 1.722 | 3.813.
  CHECK(hist->decide({0, 976, 0.1}).chunk == 128);
  CHECK(hist->decide({0, 976, 0.7}).chunk == 512);
  CHECK(hist->decide({0, 976, 3.9}).chunk == 2048);
  CHECK(hist->decide({0, 976, std::nullopt}).chunk == 128);  // absent statistic: H = 0
  const Decision d = hist->decide({0, 976, 2.0});
  CHECK(d.chunk == 1024);
  CHECK(d.entropy == 2.0);
}

TEST_CASE("the guard keeps only chunks at least two buckets from the fallback", "[sched]") {
  // PAPER.md §2.4: with 128–2048 and F = 512 only 128 and 2048 pass; 256 and 1024 collapse to 512.
  auto guarded = make_scheduler("guarded_hist", routed(128, 2048));
  const std::pair<double, std::int64_t> cases[] = {{0.1, 128}, {0.5, 512}, {1.0, 512}, {2.0, 512}, {4.0, 2048}};
  for (const auto& [h, want] : cases) {
    const Decision d = guarded->decide({0, 976, h});
    CAPTURE(h);
    CHECK(d.chunk == want);
    CHECK(d.guarded_fallback == (want == 512));
  }
  CHECK(guarded->decide({0, 976, 1.0}).raw_chunk == 512);
  CHECK(guarded->decide({0, 976, 2.0}).raw_chunk == 1024);
  // With 128–512 only 128 passes.
  auto narrow = make_scheduler("guarded_hist", routed(128, 512));
  CHECK(narrow->decide({0, 976, 0.1}).chunk == 128);
  CHECK(narrow->decide({0, 976, 2.0}).chunk == 512);
  CHECK(narrow->decide({0, 976, 2.0}).raw_chunk == 256);
}

TEST_CASE("learned-table decisions equal the Python reference", "[sched]") {
  SchedulerConfig config = routed(128, 2048);
  config.table = LearnedTable::load(std::string(COREY_SOURCE_DIR) + "/experiments/examples/learned_table.json");
  auto scheduler = make_scheduler("learned_table", config);
  std::ifstream in(kData + "/entropy/learned_table_reference.json");
  REQUIRE(in.good());
  const Json ref = Json::parse(in);
  REQUIRE(ref["cases"].size() > 50);
  for (const Json& c : ref["cases"]) {
    Features f;
    f.layer_idx = c["layer_idx"].get<std::int64_t>();
    f.seq_len = c["seq_len"].get<std::int64_t>();
    if (!c["entropy_nats"].is_null()) f.entropy = c["entropy_nats"].get<double>();
    const Decision d = scheduler->decide(f);
    CAPTURE(c.dump());
    CHECK(d.chunk == c["chunk"].get<std::int64_t>());
    CHECK(d.policy_rule == c["policy_rule"].get<std::string>());
  }
}

TEST_CASE("seqlen_table needs no statistic and rejects non-seq_len rules", "[sched]") {
  SchedulerConfig config = routed(128, 2048);
  config.table = LearnedTable::parse(
      Json::parse(R"({"default_chunk": 512, "rules": [{"name": "short", "max_seq_len": 100, "chunk": 128}]})"),
      "inline");
  auto scheduler = make_scheduler("seqlen_table", config);
  CHECK_FALSE(scheduler->statistic().has_value());
  CHECK(scheduler->decide({3, 99, std::nullopt}).chunk == 128);
  CHECK(scheduler->decide({3, 101, std::nullopt}).chunk == 512);
  config.table = LearnedTable::load(std::string(COREY_SOURCE_DIR) + "/experiments/examples/learned_table.json");
  expect_usage_error([&] { make_scheduler("seqlen_table", config); }, {"may only constrain seq_len"});
}

TEST_CASE("malformed learned tables name the file and the rule index", "[sched]") {
  const std::string dir = kData + "/analyze/";
  expect_usage_error([&] { LearnedTable::load(dir + "table_rules_not_list.json"); },
                     {"table_rules_not_list.json", "'rules' must be a list"});
  expect_usage_error([&] { LearnedTable::load(dir + "table_bad_chunk.json"); },
                     {"table_bad_chunk.json", "rule 1", "positive integer"});
  expect_usage_error([&] { LearnedTable::load(dir + "table_bad_bound.json"); },
                     {"table_bad_bound.json", "rule 1", "max_seq_len", "must be a number"});
  expect_usage_error([&] { LearnedTable::load(dir + "table_unknown_key.json"); },
                     {"table_unknown_key.json", "rule 0", "unknown key 'max_tokens'"});
  expect_usage_error([&] { LearnedTable::load(dir + "table_not_json.json"); }, {"table_not_json.json", "JSON"});
  try {
    LearnedTable::load(dir + "missing_table.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
  }
  // Non-object entries are skipped, and names default to rule_<index>.
  const LearnedTable t = LearnedTable::parse(Json::parse(R"({"rules": [3, {"max_seq_len": 10}]})"), "inline");
  CHECK(t.default_chunk() == 512);
  CHECK(t.lookup({0, 5, std::nullopt}).policy_rule == "rule_1");
  CHECK(t.lookup({0, 5, std::nullopt}).chunk == 512);
}
