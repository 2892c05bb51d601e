#include "spec/expression.hpp"
#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;
using corey::Json;

namespace {
const Json params = Json::parse(R"({"chunk": 256, "seq_len": 4096, "chunk_mode": "launch", "tau": 0.52,
                                     "graph": false, "rule": {"h_ref": "lnK", "c_min": 32}, "segments": null})");

Json eval(const std::string& text) { return Expression::parse(text, corey::SourcePos{"spec.yaml", 3, 10}).evaluate(params); }

std::string error_text(const std::string& text) {
  return error_of([&] { Expression::parse(text, corey::SourcePos{"spec.yaml", 3, 10}).test(params); }).what();
}
}  // namespace

TEST_CASE("expression values and operators", "[spec][expression]") {
  CHECK(eval("chunk <= seq_len") == true);
  CHECK(eval("chunk_mode == 'launch' && chunk >= 256") == true);
  CHECK(eval("chunk_mode != 'launch' || graph") == false);
  CHECK(eval("!(chunk_mode == 'launch' && chunk < 64)") == true);
  CHECK(eval("1 + 2 * 3") == 7);
  CHECK(eval("(1 + 2) * 3") == 9);
  CHECK(eval("7 / 2") == 3.5);
  CHECK(eval("seq_len / chunk") == 16.0);
  CHECK(eval("7 % 3") == 1);
  CHECK(eval("-7 % 3") == -1);
  CHECK(eval("- chunk + 1") == -255);
  CHECK(eval("2.5e1 - 5") == 20.0);
  CHECK(eval("tau > 0.5") == true);
  CHECK(eval("chunk in [128, 256, 512]") == true);
  CHECK(eval("chunk_mode in ['inkernel', 'single']") == false);
  CHECK(eval("chunk in []") == false);
  CHECK(eval("rule.h_ref == 'lnK'") == true);
  CHECK(eval("rule.c_min * 8 == chunk") == true);
  CHECK(eval("rule.h_ref == 8") == false);  // different kinds are simply unequal
  CHECK(eval("segments == null") == true);
  CHECK(eval("log2(chunk)") == 8.0);
  CHECK(eval("pow2(10) == 1024") == true);
  CHECK(eval("pow2(0.5)") == Json(std::sqrt(2.0)));
  CHECK(eval("min(chunk, 100, 300)") == 100);
  CHECK(eval("max(1, 2.5)") == 2.5);
  CHECK(eval("abs(-3)") == 3);
  CHECK(eval("abs(-0.5)") == 0.5);
  CHECK(eval("'ab' + 'c' == 'abc'") == true);
  CHECK(eval("'abc' < 'abd'") == true);
  CHECK(eval("'it\\'s'") == "it's");
  CHECK(eval("true && !false") == true);
  CHECK(eval("chunk == 256.0") == true);
}

TEST_CASE("expression errors name the spec position and the column inside the expression", "[spec][expression]") {
  CHECK(error_text("chunk <= ") ==
        "spec.yaml:3:19: in expression 'chunk <= ': the expression ends where a value is expected (column 10 of the "
        "expression)");
  CHECK(error_text("chnk < 3") ==
        "spec.yaml:3:10: in expression 'chnk < 3': unknown identifier 'chnk'; did you mean 'chunk'? (column 1 of the "
        "expression)");
  CHECK(contains(error_text("chunk_mode < 3"), "spec.yaml:3:21: "));
  CHECK(contains(error_text("chunk_mode < 3"), "cannot compare string 'launch' with integer 3 using '<'"));
  CHECK(contains(error_text("chunk = 3"), "spec.yaml:3:16: "));
  CHECK(contains(error_text("chunk = 3"), "'=' is not an operator; compare with '=='"));
  CHECK(contains(error_text("chunk && true"), "'&&' needs true or false, found integer 256"));
  CHECK(contains(error_text("chunk + 1"), "the expression must give true or false, but gives integer 257"));
  CHECK(contains(error_text("chunk / 0 > 1"), "division by zero"));
  CHECK(contains(error_text("sqrt(chunk) > 1"), "unknown function 'sqrt'"));
  CHECK(contains(error_text("min() > 1"), "min() takes one or more arguments, given 0"));
  CHECK(contains(error_text("(chunk > 1"), "expected ')' to close '(', found the end"));
  CHECK(contains(error_text("chunk > 1 2"), "unexpected '2' after a complete expression"));
  CHECK(contains(error_text("chunk_mode == \"launch\""), "strings are written in single quotes"));
  CHECK(contains(error_text("chunk_mode == 'launch"), "unterminated string"));
  CHECK(contains(error_text("log2(0) > 1"), "log2() needs a positive number"));
  CHECK(contains(error_text(""), "the expression is empty"));
  CHECK(contains(error_text("rule.nope == 1"), "unknown identifier 'rule.nope'"));
  const corey::Error e = error_of([] { Expression::parse("chunk >", corey::SourcePos{"--filter", 0, 0}); });
  CHECK(std::string(e.what()) ==
        "--filter: in expression 'chunk >': the expression ends where a value is expected (column 8 of the expression)");
}
