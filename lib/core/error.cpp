#include "core/error.hpp"

namespace corey {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  std::string s = file + ":" + std::to_string(line);
  if (column > 0) s += ":" + std::to_string(column);
  return s;
}

ExitCode exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::spec:
      return ExitCode::usage;
    case ErrorKind::io:
      return ExitCode::io;
    case ErrorKind::merge_coverage:
      return ExitCode::merge_coverage;
    case ErrorKind::environment:
      return ExitCode::usage;
    case ErrorKind::out_of_memory:
      return ExitCode::failed_points;
  }
  return ExitCode::internal;
}

namespace {
std::string full_message(const std::string& message, const std::optional<SourcePos>& where) {
  if (!where || where->file.empty()) return message;
  return where->str() + ": " + message;
}
}  // namespace

Error::Error(ErrorKind kind, std::string message, std::optional<SourcePos> where)
    : std::runtime_error(full_message(message, where)),
      kind_(kind),
      message_(std::move(message)),
      where_(std::move(where)) {}

void throw_spec_error(std::string message, std::optional<SourcePos> where) {
  throw Error(ErrorKind::spec, std::move(message), std::move(where));
}
void throw_io_error(std::string message) { throw Error(ErrorKind::io, std::move(message)); }
void throw_usage_error(std::string message) { throw Error(ErrorKind::usage, std::move(message)); }

}  // namespace corey
