#include "cuda_backend.hpp"

#include <cuda_runtime.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "backend_stream.hpp"
#include "cuda_check.hpp"

namespace corey::cuda {

void throw_cuda_error(cudaError_t error, const char* what) {
  std::string message = std::string("CUDA error in ") + what + ": " + cudaGetErrorName(error) + " (" +
                        cudaGetErrorString(error) + ")";
  if (error == cudaErrorMemoryAllocation) throw OutOfMemory("out of device memory: " + message);
  throw Error(ErrorKind::environment, message);
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the (non-sticky) error so later calls start clean
    return 0;
  }
  return count;
}

namespace {

std::string version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

std::string uuid_string(const cudaUUID_t& uuid) {
  std::string s = "GPU-";
  char hex[3];
  for (int i = 0; i < 16; ++i) {
    std::snprintf(hex, sizeof(hex), "%02x", static_cast<unsigned char>(uuid.bytes[i]));
    s += hex;
    if (i == 3 || i == 5 || i == 7 || i == 9) s += "-";
  }
  return s;
}

}  // namespace

Json cuda_versions() {
  int driver = 0;
  int runtime = 0;
  check(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
  check(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion");
  Json j = Json::object();
  j["driver_version"] = version_string(driver);
  j["driver_api"] = driver;
  j["runtime"] = version_string(runtime);
  return j;
}

Json describe_devices() {
  Json devices = Json::array();
  const int count = device_count();
  if (count == 0) return devices;
  const Json versions = cuda_versions();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, i), "cudaGetDeviceProperties");
    auto attr = [i](cudaDeviceAttr a) {
      int v = 0;
      check(cudaDeviceGetAttribute(&v, a, i), "cudaDeviceGetAttribute");
      return v;
    };
    char bus[32] = {0};
    check(cudaDeviceGetPCIBusId(bus, sizeof(bus), i), "cudaDeviceGetPCIBusId");
    Json d = Json::object();
    d["index"] = i;
    d["name"] = prop.name;
    d["uuid"] = uuid_string(prop.uuid);
    d["pci_bus_id"] = bus;
    d["cc"] = std::to_string(prop.major) + "." + std::to_string(prop.minor);
    d["sm_count"] = prop.multiProcessorCount;
    d["l2_bytes"] = prop.l2CacheSize;
    d["memory_bytes"] = static_cast<std::int64_t>(prop.totalGlobalMem);
    d["memory_bus_width_bits"] = attr(cudaDevAttrGlobalMemoryBusWidth);
    d["sm_clock_mhz"] = attr(cudaDevAttrClockRate) / 1000;
    d["memory_clock_mhz"] = attr(cudaDevAttrMemoryClockRate) / 1000;
    d["shared_memory_per_sm_bytes"] = static_cast<std::int64_t>(prop.sharedMemPerMultiprocessor);
    d["driver_version"] = versions["driver_version"];
    d["runtime_version"] = versions["runtime"];
    devices.push_back(std::move(d));
  }
  return devices;
}

cudaStream_t backend_stream(int device) {
  static std::map<int, cudaStream_t> streams;  // lives for the process, like the device context
  static std::mutex mutex;                       // --devices workers reach this concurrently
  std::lock_guard lock(mutex);
  auto it = streams.find(device);
  if (it != streams.end()) return it->second;
  set_device(device);
  cudaStream_t s = nullptr;
  check(cudaStreamCreate(&s), "cudaStreamCreate");
  streams.emplace(device, s);
  return s;
}

void set_device(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }
void synchronize() { check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

Timer::Timer(int device) : device_(device) {
  set_device(device);
  cudaEvent_t a = nullptr;
  cudaEvent_t b = nullptr;
  check(cudaEventCreate(&a), "cudaEventCreate");
  if (cudaError_t e = cudaEventCreate(&b); e != cudaSuccess) {
    cudaEventDestroy(a);
    throw_cuda_error(e, "cudaEventCreate");
  }
  start_ = a;
  stop_ = b;
}

Timer::~Timer() {
  cudaEventDestroy(static_cast<cudaEvent_t>(start_));
  cudaEventDestroy(static_cast<cudaEvent_t>(stop_));
}

void Timer::start() {
  check(cudaEventRecord(static_cast<cudaEvent_t>(start_), backend_stream(device_)), "cudaEventRecord");
}
void Timer::stop() {
  check(cudaEventRecord(static_cast<cudaEvent_t>(stop_), backend_stream(device_)), "cudaEventRecord");
}

double Timer::elapsed_s() const {
  check(cudaEventSynchronize(static_cast<cudaEvent_t>(stop_)), "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start_), static_cast<cudaEvent_t>(stop_)),
        "cudaEventElapsedTime");
  return ms * 1e-3;
}

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes > 0) check(cudaMalloc(&data_, bytes), "cudaMalloc");
}

DeviceBuffer::~DeviceBuffer() {
  if (data_) cudaFree(data_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), bytes_(other.bytes_) {
  other.data_ = nullptr;
  other.bytes_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) cudaFree(data_);
    data_ = other.data_;
    bytes_ = other.bytes_;
    other.data_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, std::size_t bytes, std::size_t offset) {
  check(cudaMemcpy(static_cast<char*>(data_) + offset, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
}

void DeviceBuffer::download(void* host, std::size_t bytes, std::size_t offset) const {
  check(cudaMemcpy(host, static_cast<const char*>(data_) + offset, bytes, cudaMemcpyDeviceToHost),
        "cudaMemcpy D2H");
}

void DeviceBuffer::fill_bytes(int value) { check(cudaMemset(data_, value, bytes_), "cudaMemset"); }

void flush_l2(int device) {
  static std::map<int, DeviceBuffer> buffers;  // one per device, allocated once, kept for the process
  static std::mutex mutex;                      // --devices workers reach this concurrently
  std::unique_lock lock(mutex);
  auto it = buffers.find(device);
  if (it == buffers.end()) {
    set_device(device);
    int l2 = 0;
    check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device), "cudaDeviceGetAttribute(L2)");
    it = buffers.emplace(device, DeviceBuffer(static_cast<std::size_t>(l2) * 2)).first;
  }
  lock.unlock();  // map nodes are stable, so the buffer outlives the lock
  check(cudaMemsetAsync(it->second.data(), 0, it->second.bytes(), backend_stream(device)),
        "cudaMemsetAsync(L2 flush)");
}

}  // namespace corey::cuda
