#pragma once
#include <optional>
#include <stdexcept>
#include <string>

namespace corey {

// Exit codes of the `corey` binary (documented in --help and README).
enum class ExitCode : int {
  ok = 0,
  internal = 1,       // a bug in corey, not the user's fault
  usage = 2,          // bad flag, bad spec, bad input file contents
  io = 3,             // a file could not be read or written
  failed_points = 4,  // the run finished but some points did not end `ok`
  merge_coverage = 5, // `corey merge` found missing or duplicate points
};

// A position in a user's file, 1-based like editors show it.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column" (or "file" when the line is unknown)
};

// out_of_memory: a host or device allocation failed; the runner records the point as `oom` and goes on.
enum class ErrorKind { usage, spec, io, merge_coverage, environment, out_of_memory };

ExitCode exit_code_for(ErrorKind kind);

// Every user-facing failure is an Error: a kind (which fixes the exit code), a message, and where known the
// position in the user's file. `what()` is the complete one-line message, position first.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::optional<SourcePos> where = std::nullopt);
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::optional<SourcePos>& where() const { return where_; }
  ExitCode exit_code() const { return exit_code_for(kind_); }

 private:
  ErrorKind kind_;
  std::string message_;
  std::optional<SourcePos> where_;
};

[[noreturn]] void throw_spec_error(std::string message, std::optional<SourcePos> where = std::nullopt);
[[noreturn]] void throw_io_error(std::string message);
[[noreturn]] void throw_usage_error(std::string message);

}  // namespace corey
