#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace corey::scan {

// A fixed set of worker threads for data-parallel loops. `launch` mode calls parallel_for once per chunk,
// so workers are kept alive between calls instead of being spawned each time.
class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads = 0);  // 0 = std::thread::hardware_concurrency()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // One caller at a time. Calls fn(begin, end) on contiguous, statically assigned slices covering [0, n)
  // (the caller's thread takes the first), and returns when all are done. The first exception thrown by fn
  // is rethrown.
  void parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& fn);

 private:
  void worker_loop(unsigned index);
  void run_slice(unsigned index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(std::int64_t, std::int64_t)>* job_ = nullptr;
  std::int64_t job_n_ = 0;
  std::uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace corey::scan
