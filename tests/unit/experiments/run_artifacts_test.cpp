// Run artifacts: files a tier emits through RunContext, written by the runner under
// <out>/artifacts/<point id>/<name> and listed in the record. A test tier emits bytes the test chooses, so the
// references are those bytes, the FIPS 180-2 SHA-256 test vectors ("abc", the empty message) and sha256sum.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "catch.hpp"
#include "scratch_dir.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "expect_error.hpp"
#include "experiments/merge.hpp"
#include "experiments/runner.hpp"
#include "results/jsonl_stream.hpp"

namespace {

namespace fs = std::filesystem;
using namespace corey;
using namespace corey::experiments;
using corey::testing::expect_error;

constexpr const char* kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// `sha256sum` of "k=1\n", "k=2\n", "k=3\n".
const std::vector<std::string> kValueSha256{"2182610870193921f0602811372db8fa447d12ba6cf40affc8386c5127fe833a",
                                            "20587ef0ce37834405f1efbf7baa59fde05d1a879e94e16f746bba12dbf06ae7",
                                            "7505610c453ed306e8d46c8401df9141780a13e32959e65c401a11d095f4c9fb"};

const spec::ParamSchema& test_schema() {
  static const spec::ParamSchema schema{
      {"k", spec::ParamType::integer, 0, {}, "which point"},
      {"extra", spec::ParamType::string, "", {}, "name of one more artifact (empty: none)"},
  };
  return schema;
}

// Point k emits value.txt = "k=<k>\n"; point 1 also abc.txt = "abc" and empty.txt = "". With `fail_k` set,
// that point emits partial.txt and then fails.
class ArtifactTier final : public Tier {
 public:
  int fail_k = 0;
  std::vector<std::int64_t> ran;

  std::string_view name() const override { return "artifact-test"; }
  const spec::ParamSchema& param_schema() const override { return test_schema(); }
  void validate(const spec::Spec&, const spec::Plan&) const override {}
  results::Record run(const spec::Point& point, RunContext& ctx) override {
    const std::int64_t k = point.params.at("k").get<std::int64_t>();
    ran.push_back(k);
    if (k == fail_k) {
      ctx.emit_artifact("partial.txt", "half");
      throw_usage_error("point " + std::to_string(k) + " fails");
    }
    ctx.emit_artifact("value.txt", "k=" + std::to_string(k) + "\n");
    if (k == 1) {
      ctx.emit_artifact("abc.txt", "abc");
      ctx.emit_artifact("empty.txt", "");
    }
    const std::string extra = point.params.at("extra").get<std::string>();
    if (!extra.empty()) ctx.emit_artifact(extra, "x");
    return {};
  }
  std::vector<results::Table> summarize(const spec::Spec&, const std::vector<results::Record>&) const override {
    return {};
  }
};

// One scratch directory for the whole test binary, removed when it exits.
fs::path scratch() {
  static const testing::ScratchDir dir("corey_artifacts_test_");
  return dir.path();
}

struct Loaded {
  spec::Spec spec;
  spec::Plan plan;
};

// The spec of an experiment no registered tier implements, built as the loader would resolve it.
Loaded load(const std::string& extra = "") {
  spec::Spec s;
  s.path = "artifacts_test.yaml";
  s.name = "artifacts_test";
  s.experiment = "artifact-test";
  s.params = Json{{"extra", extra}};
  s.sweep = Json{{"product", {{"k", {1, 2, 3}}}}};
  s.param_schema = test_schema();
  s.resolved = Json{{"schema", "corey.spec/1"}, {"name", s.name}, {"experiment", s.experiment},
                    {"params", s.params}, {"sweep", s.sweep}};
  Loaded l{s, spec::expand(s)};
  REQUIRE(l.plan.points.size() == 3);
  return l;
}

RunOptions options_for(const std::string& out) {
  RunOptions o;
  o.out_dir = (scratch() / out).string();
  o.quiet = true;
  return o;
}

std::string id_of(const spec::Plan& plan, std::int64_t k) {
  for (const auto& p : plan.points)
    if (p.params.at("k") == k) return p.id;
  FAIL("no point k=" << k);
  return {};
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

Json record_of(const Json& results_file, const std::string& point_id) {
  for (const auto& r : results_file.at("results"))
    if (r.at("point_id") == point_id) return r;
  FAIL("no record for " << point_id);
  return {};
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("artifact names: plain portable file names only, once per point", "[artifacts]") {
  const Loaded l = load();
  RunContext ctx{l.spec};
  for (const std::string& good :
       std::vector<std::string>{"pool.jsonl", "learned_table.json", "A-1_b.txt", "x", std::string(255, 'a')})
    CHECK_NOTHROW(ctx.emit_artifact(good, ""));
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "../escape", "a/b", "/abs", ".hidden", "a b",
                                                        "tab\t", "ü.txt", "back\\slash", std::string(256, 'a')}) {
    CAPTURE(bad);
    expect_error([&] { ctx.emit_artifact(bad, "x"); }, ErrorKind::usage, {"is not a plain file name"});
  }
  expect_error([&] { ctx.emit_artifact("pool.jsonl", "again"); }, ErrorKind::usage, {"'pool.jsonl' was emitted twice"});
  CHECK(ctx.artifacts.size() == 5);
}

TEST_CASE("a point's artifacts land under artifacts/<point id>/ and its record lists them", "[artifacts]") {
  const Loaded l = load();
  ArtifactTier tier;
  const auto outcome = run_experiment(l.spec, l.plan, tier, options_for("plain"));
  REQUIRE(outcome.exit_code == ExitCode::ok);
  const Json file = Json::parse(read_file(outcome.results_path));
  const auto stream = results::read_jsonl(outcome.out_dir + "/results.jsonl");
  REQUIRE(stream.objects.size() == 3);

  for (std::int64_t k = 1; k <= 3; ++k) {
    const std::string id = id_of(l.plan, k);
    const fs::path dir = fs::path(outcome.out_dir) / "artifacts" / id;
    const std::string value = "k=" + std::to_string(k) + "\n";
    CHECK(read_file((dir / "value.txt").string()) == value);
    // Nothing but the emitted files: no temporary file of the atomic writes is left behind.
    const std::set<std::string> expected =
        k == 1 ? std::set<std::string>{"value.txt", "abc.txt", "empty.txt"} : std::set<std::string>{"value.txt"};
    CHECK(files_in(dir) == expected);

    const Json record = record_of(file, id);
    const Json& listed = record.at("artifacts");
    REQUIRE(listed.size() == expected.size());
    CHECK(listed[0] == Json{{"name", "value.txt"}, {"file", "artifacts/" + id + "/value.txt"},
                            {"bytes", value.size()}, {"sha256", kValueSha256[k - 1]}});
    if (k == 1) {
      CHECK(listed[1] == Json{{"name", "abc.txt"}, {"file", "artifacts/" + id + "/abc.txt"}, {"bytes", 3},
                              {"sha256", kAbcSha256}});
      CHECK(listed[2] == Json{{"name", "empty.txt"}, {"file", "artifacts/" + id + "/empty.txt"}, {"bytes", 0},
                              {"sha256", kEmptySha256}});
    }
    // The streamed record carries the same list (it was appended after the files were written).
    for (const auto& object : stream.objects)
      if (object.at("point_id") == id) CHECK(object.at("artifacts") == listed);
    for (const auto& a : listed)
      CHECK(fs::file_size(fs::path(outcome.out_dir) / a.at("file").get<std::string>()) == a.at("bytes"));
  }
}

TEST_CASE("--resume keeps finished points' artifacts as they are and re-measures a point whose files are gone",
          "[artifacts]") {
  const Loaded l = load();
  const RunOptions first = options_for("resume");
  {
    ArtifactTier tier;
    REQUIRE(run_experiment(l.spec, l.plan, tier, first).exit_code == ExitCode::ok);
  }
  const fs::path out(first.out_dir);
  const fs::path artifacts = out / "artifacts";
  const std::string id1 = id_of(l.plan, 1), id2 = id_of(l.plan, 2), id3 = id_of(l.plan, 3);

  // A crash after two points: the third record never made it to the stream.
  std::vector<std::string> lines;
  {
    std::ifstream in(out / "results.jsonl");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  REQUIRE(lines.size() == 3);
  std::string kept_stream;
  for (const auto& line : lines)
    if (Json::parse(line).at("point_id") != id3) kept_stream += line + "\n";
  write_file_atomic((out / "results.jsonl").string(), kept_stream);
  fs::remove(out / "results.json");
  const ino_t inode1 = inode_of(artifacts / id1 / "abc.txt");
  const ino_t inode2 = inode_of(artifacts / id2 / "value.txt");
  const auto mtime2 = fs::last_write_time(artifacts / id2 / "value.txt");

  RunOptions resume = first;
  resume.resume = true;
  {
    ArtifactTier tier;
    REQUIRE(run_experiment(l.spec, l.plan, tier, resume).exit_code == ExitCode::ok);
    CHECK(tier.ran == std::vector<std::int64_t>{3});
  }
  CHECK(inode_of(artifacts / id1 / "abc.txt") == inode1);  // not rewritten (a rewrite renames a new file in)
  CHECK(inode_of(artifacts / id2 / "value.txt") == inode2);
  CHECK(fs::last_write_time(artifacts / id2 / "value.txt") == mtime2);
  const Json file = Json::parse(read_file((out / "results.json").string()));
  CHECK(file.at("run").at("status") == "complete");
  CHECK(record_of(file, id1).at("artifacts").size() == 3);
  CHECK(read_file((artifacts / id3 / "value.txt").string()) == "k=3\n");

  // A listed file that is gone, or changed, is not a finished point any more.
  fs::remove(artifacts / id1 / "empty.txt");
  write_file_atomic((artifacts / id2 / "value.txt").string(), "tampered");
  {
    ArtifactTier tier;
    REQUIRE(run_experiment(l.spec, l.plan, tier, resume).exit_code == ExitCode::ok);
    CHECK(tier.ran == std::vector<std::int64_t>{1, 2});
  }
  CHECK(fs::exists(artifacts / id1 / "empty.txt"));
  CHECK(read_file((artifacts / id2 / "value.txt").string()) == "k=2\n");
}

TEST_CASE("a failed point keeps what it emitted; its retry leaves only the new files", "[artifacts]") {
  const Loaded l = load();
  const RunOptions options = options_for("retry");
  const std::string id2 = id_of(l.plan, 2);
  const fs::path dir = fs::path(options.out_dir) / "artifacts" / id2;
  {
    ArtifactTier tier;
    tier.fail_k = 2;
    CHECK(run_experiment(l.spec, l.plan, tier, options).exit_code == ExitCode::failed_points);
    const Json record = record_of(Json::parse(read_file(options.out_dir + "/results.json")), id2);
    CHECK(record.at("status") == "failed");
    REQUIRE(record.at("artifacts").size() == 1);
    CHECK(record.at("artifacts")[0].at("name") == "partial.txt");
    CHECK(files_in(dir) == std::set<std::string>{"partial.txt"});
  }
  RunOptions resume = options;
  resume.resume = true;
  ArtifactTier tier;
  REQUIRE(run_experiment(l.spec, l.plan, tier, resume).exit_code == ExitCode::ok);
  CHECK(tier.ran == std::vector<std::int64_t>{2});
  CHECK(files_in(dir) == std::set<std::string>{"value.txt"});
}

TEST_CASE("a tier that emits a bad name fails its point and writes nothing outside the run", "[artifacts]") {
  const Loaded l = load("../escape");
  ArtifactTier tier;
  const RunOptions options = options_for("bad_name");
  CHECK(run_experiment(l.spec, l.plan, tier, options).exit_code == ExitCode::failed_points);
  const Json file = Json::parse(read_file(options.out_dir + "/results.json"));
  REQUIRE(file.at("results").size() == 3);
  for (const auto& r : file.at("results")) {
    CHECK(r.at("status") == "failed");
    const std::string reason = r.at("reason").get<std::string>();
    CHECK(reason.find("artifact name '../escape' is not a plain file name") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(fs::path(options.out_dir) / "artifacts" / "escape"));
  CHECK_FALSE(fs::exists(fs::path(options.out_dir) / "escape"));
}

TEST_CASE("merge keeps each shard's artifacts, wall time, devices and workers in its provenance", "[artifacts]") {
  const Loaded l = load();
  std::vector<std::string> shard_files;
  for (int s = 0; s < 2; ++s) {
    RunOptions options = options_for(s == 0 ? "shard_a" : "shard_b");
    options.shard.index = s;
    options.shard.count = 2;
    ArtifactTier tier;
    shard_files.push_back(run_experiment(l.spec, l.plan, tier, options).results_path);
  }
  const results::ResultsFile merged = merge_results(shard_files, {});
  CHECK(merged.run.at("status") == "complete");
  for (const char* key : {"wall_s", "devices", "workers"}) CHECK_FALSE(merged.run.contains(key));
  const Json& from = merged.run.at("shard").at("merged_from");
  REQUIRE(from.size() == 2);
  std::set<std::string> with_artifacts;
  for (std::size_t s = 0; s < 2; ++s) {
    const Json shard = Json::parse(read_file(shard_files[s]));
    CHECK(from[s].at("dir") == fs::path(shard_files[s]).parent_path().string());
    for (const char* key : {"started_at", "finished_at", "wall_s", "devices", "workers"})
      CHECK(from[s].at(key) == shard.at("run").at(key));
    CHECK(merged.run.at("started_at").get<std::string>() <= shard.at("run").at("started_at").get<std::string>());
    CHECK(merged.run.at("finished_at").get<std::string>() >= shard.at("run").at("finished_at").get<std::string>());
    for (const auto& id : from[s].at("artifact_points")) {
      with_artifacts.insert(id.get<std::string>());
      const fs::path dir = from[s].at("dir").get<std::string>();
      CHECK(fs::exists(dir / results::artifact_file(id.get<std::string>(), "value.txt")));
    }
  }
  CHECK(with_artifacts.size() == 3);
  REQUIRE(merged.records.size() == 3);
  for (const auto& r : merged.records) CHECK_FALSE(r.artifacts.empty());
}
