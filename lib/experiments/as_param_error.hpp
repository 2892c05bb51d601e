#pragma once
#include <string>

#include "core/error.hpp"
#include "experiments/param_access.hpp"
#include "spec/spec.hpp"

namespace corey::experiments {

// Runs `fn`; a corey::Error it throws (a parser's complaint) is reported as a bad value of parameter `name`,
// so the message points at the parameter in the spec.
template <class Fn>
auto as_param_error(const std::string& name, const spec::Spec* spec, Fn fn) {
  try {
    return fn();
  } catch (const Error& e) {
    bad_param(name, e.message(), spec);
  }
}

}  // namespace corey::experiments
