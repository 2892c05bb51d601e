#include "experiments/device_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"

namespace corey::experiments {

namespace {

std::string visible_text(int visible_count) {
  std::string text = std::to_string(visible_count) + (visible_count == 1 ? " device is" : " devices are") + " visible";
  if (const char* mask = std::getenv("CUDA_VISIBLE_DEVICES"))
    text += std::string(" (CUDA_VISIBLE_DEVICES=") + mask + ")";
  return text;
}

// A command-line list is a usage error; a spec's list is a spec error at its position.
[[noreturn]] void refuse(const std::string& message, const std::optional<SourcePos>& where) {
  if (where) throw_spec_error(message, where);
  throw_usage_error(message);
}

}  // namespace

void check_devices(const std::vector<int>& devices, int visible_count, const std::string& origin,
                   std::optional<SourcePos> where) {
  if (devices.empty()) refuse(origin + ": no device given", where);
  std::set<int> seen;
  for (int d : devices) {
    if (d < 0 || d >= visible_count)
      refuse(origin + ": device " + std::to_string(d) + " is out of range: " + visible_text(visible_count) +
                 (visible_count > 0 ? ", indices 0.." + std::to_string(visible_count - 1) : std::string()),
             where);
    if (!seen.insert(d).second) refuse(origin + ": device " + std::to_string(d) + " is listed twice", where);
  }
}

std::vector<int> parse_devices(const std::string& text, int visible_count) {
  std::vector<int> devices;
  if (text == "all") {
    if (visible_count == 0) throw_usage_error("--devices all: " + visible_text(0));
    for (int d = 0; d < visible_count; ++d) devices.push_back(d);
    return devices;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 6)
      throw_usage_error("--devices '" + text + "': expected all or a comma list of device indices such as 0,1");
    devices.push_back(std::stoi(item));
    start = comma + 1;
  }
  check_devices(devices, visible_count, "--devices");
  return devices;
}

void check_devices_allowed(const Tier& tier, std::size_t device_count, const std::string& origin,
                           std::optional<SourcePos> where) {
  if (device_count > 1 && !tier.points_independent())
    refuse(origin + ": the points of '" + std::string(tier.name()) +
               "' must share one process and one device (HARNESS.md §8.2): give one device, not " +
               std::to_string(device_count),
           where);
}

Json describe_device(const Json& described, int index) {
  if (!described.is_array()) return nullptr;
  for (const auto& d : described)
    if (d.is_object() && d.value("index", -1) == index) return d;
  const auto position = static_cast<std::size_t>(index);
  if (index >= 0 && position < described.size()) return described[position];
  return nullptr;
}

std::optional<std::size_t> WorkQueue::next() {
  const std::size_t position = next_.fetch_add(1);
  if (position >= order_.size()) return std::nullopt;
  return order_[position];
}

void run_workers(std::size_t count, const std::function<void(std::size_t)>& work,
                 const std::function<void()>& on_error) {
  if (count == 1) {
    work(0);
    return;
  }
  std::mutex mutex;
  std::exception_ptr first;
  auto fail = [&](std::exception_ptr error) {
    std::lock_guard lock(mutex);
    if (first) return;
    first = error;
    on_error();
  };
  std::vector<std::thread> threads;
  threads.reserve(count);
  try {
    for (std::size_t w = 0; w < count; ++w) {
      threads.emplace_back([&, w] {
        try {
          work(w);
        } catch (...) {
          fail(std::current_exception());
        }
      });
    }
  } catch (...) {
    // A thread that could not start: the ones already running must still be joined before unwinding.
    fail(std::current_exception());
  }
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace corey::experiments
