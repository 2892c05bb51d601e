#include "results/jsonl_stream.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace corey::results {

JsonlWriter::JsonlWriter(const std::string& path) : path_(path) {
  const auto dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) make_directories(dir);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_io_error("cannot open " + path + ": " + std::strerror(errno));
}

JsonlWriter::~JsonlWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonlWriter::append(const Json& object) {
  const std::string line = object.dump() + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot append to " + path_ + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw_io_error("cannot sync " + path_ + ": " + std::strerror(errno));
}

JsonlContents read_jsonl(const std::string& path) {
  JsonlContents contents;
  if (!std::filesystem::exists(path)) return contents;
  const std::string text = read_file(path);
  std::size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    ++line_no;
    const std::size_t end = text.find('\n', start);
    const bool terminated = end != std::string::npos;
    const std::string line = text.substr(start, terminated ? end - start : std::string::npos);
    start = terminated ? end + 1 : text.size();
    if (line.empty()) continue;
    try {
      contents.objects.push_back(Json::parse(line));
    } catch (const nlohmann::json::parse_error&) {
      if (!terminated) {
        contents.truncated_tail = true;
        break;
      }
      throw Error(ErrorKind::io, "malformed JSON line in results stream", SourcePos{path, line_no, 1});
    }
  }
  return contents;
}

}  // namespace corey::results
