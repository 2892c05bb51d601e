#include "spec/expression.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <charconv>
#include <cmath>
#include <vector>

#include "spec/suggest.hpp"
#include "spec/value_types.hpp"

namespace corey::spec {

struct Expression::Node {
  enum class Kind { literal, identifier, unary, binary, call, in_list };
  Kind kind = Kind::literal;
  std::size_t offset = 0;  // column of the node's operator or first character inside the expression
  std::string name;        // identifier, operator or function name
  Json value;              // literal
  std::vector<std::shared_ptr<const Node>> children;
};

namespace {

using NodePtr = std::shared_ptr<const Expression::Node>;
using Kind = Expression::Node::Kind;

struct Token {
  enum class Type { number, string, identifier, op, end };
  Type type = Type::end;
  std::string text;
  Json value;
  std::size_t offset = 0;
};

[[noreturn]] void expression_error(const std::string& text, const SourcePos& where, std::size_t offset,
                                   const std::string& message) {
  SourcePos at = where;
  if (at.line > 0 && text.find('\n') == std::string::npos) at.column += static_cast<int>(offset);
  throw_spec_error("in expression '" + text + "': " + message + " (column " + std::to_string(offset + 1) +
                       " of the expression)",
                   at);
}

bool is_identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(const std::string& text, const SourcePos& where) : text_(text), where_(where) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ >= text_.size()) break;
      tokens.push_back(next());
    }
    Token end;
    end.offset = text_.size();
    tokens.push_back(end);
    return tokens;
  }

 private:
  Token next() {
    Token token;
    token.offset = pos_;
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
      return number(token);
    }
    if (c == '\'') return string(token);
    if (is_identifier_start(c)) return identifier(token);
    static const char* const two_char_ops[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (const char* op : two_char_ops) {
      if (text_.compare(pos_, 2, op) == 0) {
        token.type = Token::Type::op;
        token.text = op;
        pos_ += 2;
        return token;
      }
    }
    if (std::string_view("<>!+-*/%()[],").find(c) != std::string_view::npos) {
      token.type = Token::Type::op;
      token.text = std::string(1, c);
      ++pos_;
      return token;
    }
    if (c == '=') expression_error(text_, where_, pos_, "'=' is not an operator; compare with '=='");
    if (c == '&') expression_error(text_, where_, pos_, "'&' is not an operator; use '&&'");
    if (c == '|') expression_error(text_, where_, pos_, "'|' is not an operator; use '||'");
    if (c == '"') expression_error(text_, where_, pos_, "strings are written in single quotes: 'text'");
    expression_error(text_, where_, pos_, std::string("unexpected character '") + c + "'");
  }

  Token number(Token& token) {
    std::size_t end = pos_;
    bool is_float = false;
    while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
    if (end < text_.size() && text_[end] == '.') {
      is_float = true;
      ++end;
      while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      std::size_t exponent = end + 1;
      if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) ++exponent;
      if (exponent < text_.size() && std::isdigit(static_cast<unsigned char>(text_[exponent]))) {
        is_float = true;
        end = exponent;
        while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
      }
    }
    if (end < text_.size() && is_identifier_char(text_[end])) {
      expression_error(text_, where_, pos_, "malformed number '" + text_.substr(pos_, end + 1 - pos_) + "'");
    }
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + end;
    token.type = Token::Type::number;
    token.text = text_.substr(pos_, end - pos_);
    if (is_float) {
      double value = 0.0;
      if (std::from_chars(first, last, value).ec != std::errc() || !std::isfinite(value)) {
        expression_error(text_, where_, pos_, "number " + token.text + " is out of range");
      }
      token.value = value;
    } else {
      std::int64_t value = 0;
      if (std::from_chars(first, last, value).ec != std::errc()) {
        expression_error(text_, where_, pos_, "integer " + token.text + " does not fit in 64 bits");
      }
      token.value = value;
    }
    pos_ = end;
    return token;
  }

  Token string(Token& token) {
    std::string value;
    std::size_t i = pos_ + 1;
    while (true) {
      if (i >= text_.size()) expression_error(text_, where_, pos_, "unterminated string (missing closing ')");
      const char c = text_[i];
      if (c == '\'') break;
      if (c == '\\' && i + 1 < text_.size() && (text_[i + 1] == '\'' || text_[i + 1] == '\\')) {
        value.push_back(text_[i + 1]);
        i += 2;
        continue;
      }
      value.push_back(c);
      ++i;
    }
    token.type = Token::Type::string;
    token.value = value;
    token.text = text_.substr(pos_, i + 1 - pos_);
    pos_ = i + 1;
    return token;
  }

  Token identifier(Token& token) {
    std::size_t end = pos_;
    while (true) {
      while (end < text_.size() && is_identifier_char(text_[end])) ++end;
      if (end + 1 < text_.size() && text_[end] == '.' && is_identifier_start(text_[end + 1])) {
        ++end;
        continue;
      }
      break;
    }
    token.type = Token::Type::identifier;
    token.text = text_.substr(pos_, end - pos_);
    pos_ = end;
    return token;
  }

  const std::string& text_;
  const SourcePos& where_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  Parser(const std::string& text, const SourcePos& where)
      : text_(text), where_(where), tokens_(Lexer(text, where).run()) {}

  NodePtr run() {
    if (peek().type == Token::Type::end) expression_error(text_, where_, 0, "the expression is empty");
    NodePtr root = parse_or();
    if (peek().type != Token::Type::end) {
      fail_at(peek(), "unexpected '" + peek().text + "' after a complete expression");
    }
    return root;
  }

 private:
  const Token& peek() const { return tokens_[index_]; }
  bool is_op(std::string_view op) const { return peek().type == Token::Type::op && peek().text == op; }
  const Token& take() { return tokens_[index_++]; }

  [[noreturn]] void fail_at(const Token& token, const std::string& message) const {
    expression_error(text_, where_, token.offset, message);
  }

  void expect(std::string_view op, const std::string& context) {
    if (!is_op(op)) {
      const std::string found = peek().type == Token::Type::end ? "the end" : "'" + peek().text + "'";
      fail_at(peek(), "expected '" + std::string(op) + "' " + context + ", found " + found);
    }
    take();
  }

  static NodePtr make(Kind kind, std::size_t offset, std::string name, std::vector<NodePtr> children = {}) {
    auto node = std::make_shared<Expression::Node>();
    node->kind = kind;
    node->offset = offset;
    node->name = std::move(name);
    node->children = std::move(children);
    return node;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (is_op("||")) {
      const Token& op = take();
      left = make(Kind::binary, op.offset, op.text, {left, parse_and()});
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_compare();
    while (is_op("&&")) {
      const Token& op = take();
      left = make(Kind::binary, op.offset, op.text, {left, parse_compare()});
    }
    return left;
  }

  NodePtr parse_compare() {
    NodePtr left = parse_sum();
    static const char* const comparisons[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : comparisons) {
      if (is_op(op)) {
        const Token& token = take();
        return make(Kind::binary, token.offset, token.text, {left, parse_sum()});
      }
    }
    if (peek().type == Token::Type::identifier && peek().text == "in") {
      const Token& token = take();
      expect("[", "after 'in'");
      std::vector<NodePtr> children{left};
      if (!is_op("]")) {
        children.push_back(parse_or());
        while (is_op(",")) {
          take();
          children.push_back(parse_or());
        }
      }
      expect("]", "to close the list after 'in'");
      return make(Kind::in_list, token.offset, "in", std::move(children));
    }
    return left;
  }

  NodePtr parse_sum() {
    NodePtr left = parse_product();
    while (is_op("+") || is_op("-")) {
      const Token& op = take();
      left = make(Kind::binary, op.offset, op.text, {left, parse_product()});
    }
    return left;
  }

  NodePtr parse_product() {
    NodePtr left = parse_unary();
    while (is_op("*") || is_op("/") || is_op("%")) {
      const Token& op = take();
      left = make(Kind::binary, op.offset, op.text, {left, parse_unary()});
    }
    return left;
  }

  NodePtr parse_unary() {
    if (is_op("!") || is_op("-")) {
      const Token& op = take();
      return make(Kind::unary, op.offset, op.text, {parse_unary()});
    }
    return parse_primary();
  }

  NodePtr parse_primary() {
    const Token& token = peek();
    switch (token.type) {
      case Token::Type::number:
      case Token::Type::string: {
        take();
        auto node = std::make_shared<Expression::Node>();
        node->kind = Kind::literal;
        node->offset = token.offset;
        node->value = token.value;
        return node;
      }
      case Token::Type::identifier:
        return parse_name();
      case Token::Type::op:
        if (token.text == "(") {
          take();
          NodePtr inner = parse_or();
          expect(")", "to close '('");
          return inner;
        }
        fail_at(token, "expected a value, found '" + token.text + "'");
      case Token::Type::end:
        fail_at(token, "the expression ends where a value is expected");
    }
    fail_at(token, "expected a value");
  }

  NodePtr parse_name() {
    const Token& token = take();
    if (token.text == "true" || token.text == "false" || token.text == "null") {
      auto node = std::make_shared<Expression::Node>();
      node->kind = Kind::literal;
      node->offset = token.offset;
      if (token.text != "null") node->value = token.text == "true";
      return node;
    }
    if (token.text == "in") fail_at(token, "'in' needs a value on its left");
    if (!is_op("(")) return make(Kind::identifier, token.offset, token.text);
    static const std::vector<std::string> functions = {"log2", "pow2", "min", "max", "abs"};
    if (std::find(functions.begin(), functions.end(), token.text) == functions.end()) {
      fail_at(token, "unknown function '" + token.text + "'" + suggestion(token.text, functions));
    }
    take();
    std::vector<NodePtr> args;
    if (!is_op(")")) {
      args.push_back(parse_or());
      while (is_op(",")) {
        take();
        args.push_back(parse_or());
      }
    }
    expect(")", "to close the arguments of " + token.text + "()");
    const bool variadic = token.text == "min" || token.text == "max";
    if (variadic ? args.empty() : args.size() != 1) {
      fail_at(token, token.text + "() takes " + (variadic ? "one or more arguments" : "one argument") +
                         ", given " + std::to_string(args.size()));
    }
    return make(Kind::call, token.offset, token.text, std::move(args));
  }

  const std::string& text_;
  const SourcePos& where_;
  std::vector<Token> tokens_;
  std::size_t index_ = 0;
};

void collect_names(const Json& value, const std::string& prefix, std::vector<std::string>& names) {
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    names.push_back(name);
    if (it.value().is_object()) collect_names(it.value(), name, names);
  }
}

class Evaluator {
 public:
  Evaluator(const std::string& text, const SourcePos& where, const Json& params)
      : text_(text), where_(where), params_(params) {}

  Json eval(const Expression::Node& node) const {
    switch (node.kind) {
      case Kind::literal:
        return node.value;
      case Kind::identifier:
        return lookup(node);
      case Kind::unary:
        return unary(node);
      case Kind::binary:
        return binary(node);
      case Kind::call:
        return call(node);
      case Kind::in_list: {
        const Json needle = eval(*node.children[0]);
        for (std::size_t i = 1; i < node.children.size(); ++i) {
          if (equal(needle, eval(*node.children[i]))) return true;
        }
        return false;
      }
    }
    return nullptr;
  }

  [[noreturn]] void fail(const Expression::Node& node, const std::string& message) const {
    fail_at(node.offset, message);
  }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const {
    expression_error(text_, where_, offset, message);
  }

 private:
  Json lookup(const Expression::Node& node) const {
    const Json* value = &params_;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = node.name.find('.', start);
      const std::string part = node.name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!value->is_object() || !value->contains(part)) {
        std::vector<std::string> names;
        if (params_.is_object()) collect_names(params_, "", names);
        fail(node, "unknown identifier '" + node.name + "'" + suggestion(node.name, names));
      }
      value = &value->at(part);
      if (dot == std::string::npos) return *value;
      start = dot + 1;
    }
  }

  static bool equal(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) {
      if (a.is_number_integer() && b.is_number_integer()) return a.get<std::int64_t>() == b.get<std::int64_t>();
      return a.get<double>() == b.get<double>();
    }
    return a == b;
  }

  bool boolean(const Expression::Node& operand, const std::string& op) const {
    const Json value = eval(operand);
    if (!value.is_boolean()) {
      fail(operand, "'" + op + "' needs true or false, found " + describe_value(value));
    }
    return value.get<bool>();
  }

  Json number(const Expression::Node& operand, const std::string& what) const {
    Json value = eval(operand);
    if (!value.is_number()) fail(operand, what + " needs a number, found " + describe_value(value));
    return value;
  }

  Json unary(const Expression::Node& node) const {
    if (node.name == "!") return !boolean(*node.children[0], "!");
    const Json value = number(*node.children[0], "'-'");
    if (value.is_number_integer()) {
      const auto i = value.get<std::int64_t>();
      if (i == std::numeric_limits<std::int64_t>::min()) fail(node, "integer overflow");
      return -i;
    }
    return -value.get<double>();
  }

  Json binary(const Expression::Node& node) const {
    const std::string& op = node.name;
    if (op == "&&") return boolean(*node.children[0], op) && boolean(*node.children[1], op);
    if (op == "||") return boolean(*node.children[0], op) || boolean(*node.children[1], op);
    const Json left = eval(*node.children[0]);
    const Json right = eval(*node.children[1]);
    if (op == "==") return equal(left, right);
    if (op == "!=") return !equal(left, right);
    if (op == "<" || op == "<=" || op == ">" || op == ">=") return order(node, left, right);
    return arithmetic(node, left, right);
  }

  Json order(const Expression::Node& node, const Json& left, const Json& right) const {
    int sign = 0;
    if (left.is_number() && right.is_number()) {
      if (left.is_number_integer() && right.is_number_integer()) {
        const auto a = left.get<std::int64_t>();
        const auto b = right.get<std::int64_t>();
        sign = a < b ? -1 : (a > b ? 1 : 0);
      } else {
        const double a = left.get<double>();
        const double b = right.get<double>();
        sign = a < b ? -1 : (a > b ? 1 : 0);
      }
    } else if (left.is_string() && right.is_string()) {
      const int c = left.get_ref<const std::string&>().compare(right.get_ref<const std::string&>());
      sign = c < 0 ? -1 : (c > 0 ? 1 : 0);
    } else {
      fail(node, "cannot compare " + describe_value(left) + " with " + describe_value(right) + " using '" +
                     node.name + "'");
    }
    const std::string& op = node.name;
    if (op == "<") return sign < 0;
    if (op == "<=") return sign <= 0;
    if (op == ">") return sign > 0;
    return sign >= 0;
  }

  Json arithmetic(const Expression::Node& node, const Json& left, const Json& right) const {
    const std::string& op = node.name;
    if (op == "+" && left.is_string() && right.is_string()) {
      return left.get<std::string>() + right.get<std::string>();
    }
    if (!left.is_number() || !right.is_number()) {
      fail(node, "'" + op + "' needs numbers, found " + describe_value(left) + " and " + describe_value(right));
    }
    if (op == "/") {
      if (right.get<double>() == 0.0) fail(node, "division by zero");
      return left.get<double>() / right.get<double>();
    }
    if (left.is_number_integer() && right.is_number_integer()) {
      const auto a = left.get<std::int64_t>();
      const auto b = right.get<std::int64_t>();
      std::int64_t result = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(a, b, &result);
      if (op == "-") overflow = __builtin_sub_overflow(a, b, &result);
      if (op == "*") overflow = __builtin_mul_overflow(a, b, &result);
      if (op == "%") {
        if (b == 0) fail(node, "modulo by zero");
        overflow = a == std::numeric_limits<std::int64_t>::min() && b == -1;
        if (!overflow) result = a % b;
      }
      if (overflow) fail(node, "integer overflow");
      return result;
    }
    const double a = left.get<double>();
    const double b = right.get<double>();
    if (op == "+") return a + b;
    if (op == "-") return a - b;
    if (op == "*") return a * b;
    if (b == 0.0) fail(node, "modulo by zero");
    return std::fmod(a, b);
  }

  Json call(const Expression::Node& node) const {
    const std::string& name = node.name;
    if (name == "min" || name == "max") {
      Json best = number(*node.children[0], name + "()");
      for (std::size_t i = 1; i < node.children.size(); ++i) {
        const Json candidate = number(*node.children[i], name + "()");
        const bool less = candidate.get<double>() < best.get<double>();
        const bool greater = candidate.get<double>() > best.get<double>();
        if ((name == "min" && less) || (name == "max" && greater)) best = candidate;
      }
      return best;
    }
    const Json x = number(*node.children[0], name + "()");
    if (name == "abs") {
      if (x.is_number_integer()) {
        const auto i = x.get<std::int64_t>();
        if (i == std::numeric_limits<std::int64_t>::min()) fail(node, "integer overflow");
        return i < 0 ? -i : i;
      }
      return std::fabs(x.get<double>());
    }
    if (name == "log2") {
      if (x.get<double>() <= 0.0) fail(node, "log2() needs a positive number, found " + describe_value(x));
      return std::log2(x.get<double>());
    }
    if (x.is_number_integer()) {
      const auto k = x.get<std::int64_t>();
      if (k < 0 || k > 62) fail(node, "pow2() of an integer needs 0 <= k <= 62, found " + std::to_string(k));
      return std::int64_t{1} << k;
    }
    return std::exp2(x.get<double>());
  }

  const std::string& text_;
  const SourcePos& where_;
  const Json& params_;
};

}  // namespace

Expression Expression::parse(const std::string& text, const SourcePos& where) {
  Expression expression;
  expression.text_ = text;
  expression.where_ = where;
  expression.root_ = Parser(expression.text_, expression.where_).run();
  return expression;
}

Json Expression::evaluate(const Json& params) const {
  return Evaluator(text_, where_, params).eval(*root_);
}

bool Expression::test(const Json& params) const {
  const Evaluator evaluator(text_, where_, params);
  const Json value = evaluator.eval(*root_);
  if (!value.is_boolean()) {
    evaluator.fail_at(0, "the expression must give true or false, but gives " + describe_value(value));
  }
  return value.get<bool>();
}

}  // namespace corey::spec
