#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

// `--devices` text: `all` (every device the CUDA driver shows, so CUDA_VISIBLE_DEVICES decides which and in
// what order) or a comma list of indices such as `0,2`. Throws corey::Error (usage) on bad syntax, a repeated
// index or an index outside [0, visible_count).
std::vector<int> parse_devices(const std::string& text, int visible_count);

// The same checks for a list from elsewhere; `origin` names it in the message, and a list from the spec
// (`devices:`) passes its position, which makes the error a spec error at that file:line.
void check_devices(const std::vector<int>& devices, int visible_count, const std::string& origin,
                   std::optional<SourcePos> where = std::nullopt);

// Throws corey::Error (usage, or spec at `where`) when `tier`'s points must share one device and
// `device_count` > 1.
void check_devices_allowed(const Tier& tier, std::size_t device_count, const std::string& origin = "--devices",
                           std::optional<SourcePos> where = std::nullopt);

// What describe_devices() says about `index` (its entry with that "index", else the entry at that position),
// or null when it says nothing.
Json describe_device(const Json& described, int index);

// The points of one run, handed out in planned (execution) order to whichever worker asks first, so a
// faster device takes more of them.
class WorkQueue {
 public:
  explicit WorkQueue(std::vector<std::size_t> order) : order_(std::move(order)) {}
  std::optional<std::size_t> next();

 private:
  std::vector<std::size_t> order_;
  std::atomic<std::size_t> next_{0};
};

// Runs work(0) … work(count − 1), each on its own thread (on the calling thread when count == 1, so a
// one-device run stays on the thread that set it up), and waits for all. When a worker throws, `on_error`
// is called once so the others can stop early; the first exception is rethrown after every worker ended.
void run_workers(std::size_t count, const std::function<void(std::size_t)>& work,
                 const std::function<void()>& on_error);

}  // namespace corey::experiments
