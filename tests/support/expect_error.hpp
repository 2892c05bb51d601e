#pragma once
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"

namespace corey::testing {

// Runs `fn` and expects a corey::Error of `kind` whose message contains every fragment.
template <class Fn>
void expect_error(Fn fn, ErrorKind kind, const std::vector<std::string>& fragments) {
  try {
    fn();
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == kind);
    for (const auto& f : fragments) {
      CAPTURE(e.what(), f);
      CHECK(std::string(e.what()).find(f) != std::string::npos);
    }
  }
}

}  // namespace corey::testing
