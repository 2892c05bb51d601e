#include <map>
#include <set>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/shard.hpp"

using namespace corey::experiments;

namespace {
EnvLookup fake_env(std::map<std::string, std::string> vars) {
  auto held = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [held](const char* name) -> const char* {
    auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}
}  // namespace

TEST_CASE("explicit flags win over every environment variable") {
  auto id = resolve_shard(2, 5, fake_env({{"COREY_SHARD_INDEX", "0"}, {"COREY_SHARD_COUNT", "9"},
                                          {"SLURM_ARRAY_TASK_ID", "1"}}));
  CHECK(id.index == 2);
  CHECK(id.count == 5);
  CHECK(id.source == "--shard-index");
  CHECK_THROWS_AS(resolve_shard(2, -1, fake_env({})), corey::Error);
  CHECK_THROWS_AS(resolve_shard(5, 5, fake_env({})), corey::Error);
}

TEST_CASE("COREY_SHARD_* come before Slurm, Slurm before GTEST_*") {
  auto env = fake_env({{"COREY_SHARD_INDEX", "1"}, {"COREY_SHARD_COUNT", "3"}, {"GTEST_SHARD_INDEX", "0"},
                       {"GTEST_TOTAL_SHARDS", "2"}});
  auto id = resolve_shard(-1, -1, env);
  CHECK((id.index == 1 && id.count == 3 && id.source == "COREY_SHARD_INDEX"));
  id = resolve_shard(-1, -1, fake_env({{"GTEST_SHARD_INDEX", "1"}, {"GTEST_TOTAL_SHARDS", "2"}}));
  CHECK((id.index == 1 && id.count == 2 && id.source == "GTEST_SHARD_INDEX"));
  id = resolve_shard(-1, -1, fake_env({}));
  CHECK((id.index == 0 && id.count == 1));
}

TEST_CASE("Slurm array index honours the minimum and the step") {
  // --array=10-18:4 gives task ids 10, 14, 18.
  auto env = fake_env({{"SLURM_ARRAY_TASK_ID", "14"}, {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_MAX", "18"},
                       {"SLURM_ARRAY_TASK_STEP", "4"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"GTEST_SHARD_INDEX", "0"},
                       {"GTEST_TOTAL_SHARDS", "7"}});
  auto id = resolve_shard(-1, -1, env);
  CHECK(id.index == 1);
  CHECK(id.count == 3);
  CHECK(id.source == "SLURM_ARRAY_TASK_ID");
  CHECK(id.slurm["SLURM_ARRAY_TASK_STEP"] == 4);
}

TEST_CASE("sparse Slurm arrays are rejected unless the index is explicit") {
  // --array=1,4,9: MIN 1, MAX 9, COUNT 3 is not an arithmetic sequence with step 1.
  auto env = fake_env({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "9"},
                       {"SLURM_ARRAY_TASK_COUNT", "3"}});
  CHECK_THROWS_AS(resolve_shard(-1, -1, env), corey::Error);
  CHECK(resolve_shard(1, 3, env).index == 1);
}

TEST_CASE("every strategy partitions the plan: each point in exactly one shard") {
  const std::size_t n = 23;
  std::vector<double> cost(n);
  for (std::size_t i = 0; i < n; ++i) cost[i] = static_cast<double>((i * 7) % 5 + 1);
  for (auto strategy : {ShardStrategy::round_robin, ShardStrategy::contiguous, ShardStrategy::cost}) {
    for (int count : {1, 2, 4, 23, 30}) {
      std::multiset<std::size_t> seen;
      for (int s = 0; s < count; ++s)
        for (auto p : assign_shard(n, s, count, strategy, cost)) seen.insert(p);
      REQUIRE(seen.size() == n);
      for (std::size_t p = 0; p < n; ++p) CHECK(seen.count(p) == 1);
    }
  }
  CHECK(assign_shard(10, 1, 4, ShardStrategy::round_robin) == std::vector<std::size_t>{1, 5, 9});
  CHECK(assign_shard(10, 1, 4, ShardStrategy::contiguous) == std::vector<std::size_t>{3, 4, 5});
}

TEST_CASE("cost sharding balances predicted seconds (longest processing time first)") {
  const std::vector<double> cost{10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  double load[2] = {0, 0};
  for (int s = 0; s < 2; ++s)
    for (auto p : assign_shard(cost.size(), s, 2, ShardStrategy::cost, cost)) load[s] += cost[p];
  CHECK(load[0] == 10.0);
  CHECK(load[1] == 10.0);
}

TEST_CASE("shard file names") {
  CHECK(shard_file_stem(0, 1) == "results");
  CHECK(shard_file_stem(3, 16) == "shard-0003-of-0016");
}
