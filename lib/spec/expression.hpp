#pragma once
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::spec {

// The expression language of `where` and `--filter` (HARNESS.md §2.3):
//   or      := and ('||' and)*
//   and     := compare ('&&' compare)*
//   compare := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum | 'in' '[' [or (',' or)*] ']')?
//   sum     := product (('+'|'-') product)*
//   product := unary (('*'|'/'|'%') unary)*
//   unary   := ('!'|'-') unary | primary
//   primary := number | 'string' | true | false | null | identifier | name '(' args ')' | '(' or ')'
// Identifiers are parameter names, dotted for nested maps (`rule.h_ref`); functions are log2, pow2, min,
// max, abs. Integer + - * % stay integers; '/' and log2 give floats. '==' between different kinds of
// value is false (so `rule.h_ref == 'lnK'` works whether h_ref is a name or a number); '<' and friends,
// '&&', '||' and '!' reject mismatched types instead of guessing.
class Expression {
 public:
  // `where` is the position of the expression's first character; every error names it, moved to the
  // offending column when the expression sits on one line.
  static Expression parse(const std::string& text, const SourcePos& where);

  const std::string& text() const { return text_; }
  // The value of the expression for one point's params. Throws corey::Error (spec).
  Json evaluate(const Json& params) const;
  // evaluate() that must give true or false.
  bool test(const Json& params) const;

  struct Node;

 private:
  std::string text_;
  SourcePos where_;
  std::shared_ptr<const Node> root_;
};

}  // namespace corey::spec
