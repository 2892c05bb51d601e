#pragma once
#include <string>
#include <string_view>

namespace corey {

// Writes `content` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory, so a reader sees either the old file or the complete new one. Throws corey::Error (io).
void write_file_atomic(const std::string& path, std::string_view content);

// Reads a whole file; throws corey::Error (io) naming the file when it cannot be read.
std::string read_file(const std::string& path);

// Creates a directory and its parents; throws corey::Error (io) on failure.
void make_directories(const std::string& path);

}  // namespace corey
