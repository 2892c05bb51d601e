// libFuzzer target for the safetensors header parser (core::SafetensorsFile, KERNELS.md §4.1; issue 6,
// done-when 4). Each input is the whole file: 8-byte length, JSON header, data buffer. Any input must end
// in a parsed file or a corey::Error, never a crash, a sanitizer report or an out-of-range read.
//
// Build and run from the repository root (Debian 12: clang 14 ships libFuzzer):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I lib \
//     tools/fuzz/safetensors_header_fuzz.cpp lib/core/safetensors.cpp lib/core/error.cpp lib/core/half.cpp \
//     -o /tmp/safetensors_header_fuzz
//   mkdir -p /tmp/st_corpus && cp tests/data/model/np_tied/model.safetensors /tmp/st_corpus/
//   /tmp/safetensors_header_fuzz -max_total_time=120 -max_len=65536 /tmp/st_corpus
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The reader maps a file; an anonymous memory file keeps the fuzzer off the disk.
  static const int fd = ::memfd_create("safetensors_fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const corey::core::SafetensorsFile file(path);
    std::uint64_t checksum = 0;
    for (const auto& t : file.tensors()) {
      checksum += static_cast<std::uint64_t>(t.numel());
      // Touch every byte the header claims, so a range outside the mapping is caught by ASan.
      for (std::size_t i = 0; i < t.size_bytes; ++i) checksum += t.bytes[i];
      if (t.dtype) checksum += file.copy_aligned(t).size();
    }
    static volatile std::uint64_t sink = 0;  // keeps the reads from being optimised away
    sink = sink + checksum;
  } catch (const corey::Error&) {
  }
  return 0;
}
