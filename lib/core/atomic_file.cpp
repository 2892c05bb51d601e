#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace corey {

namespace {

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view content, const std::string& path) {
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot write " + path + ": " + errno_text());
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content) {
  const std::filesystem::path target(path);
  const std::string dir = target.parent_path().string();
  if (!dir.empty()) make_directories(dir);
  std::random_device entropy;
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(entropy() & 0xffff);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_io_error("cannot create " + temp + ": " + errno_text());
  try {
    write_all(fd, content, temp);
    if (::fsync(fd) != 0) throw_io_error("cannot sync " + temp + ": " + errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    throw_io_error("cannot rename " + temp + " to " + path + ": " + why);
  }
  fsync_directory(dir);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error("cannot read " + path + ": " + errno_text());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw_io_error("error while reading " + path);
  return buffer.str();
}

void make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw_io_error("cannot create directory " + path + ": " + ec.message());
}

}  // namespace corey
