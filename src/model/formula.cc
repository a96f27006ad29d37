#include "model/formula.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::model {

struct Formula::Node {
  char op = 0;  // 0 number, 'r' reference, '+', '-', '*', '/', 'n' negate
  double num = 0;
  std::string ref;
  std::shared_ptr<const Node> a, b;
};

namespace {

using NodeP = std::shared_ptr<const Formula::Node>;

bool IdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Shows at most this much of a formula in an error message.
constexpr size_t kQuoteBytes = 80;

std::string Quote(std::string_view s) {
  if (s.size() <= kQuoteBytes) return absl::StrCat("\"", AV(s), "\"");
  return absl::StrCat("\"", AV(s.substr(0, kQuoteBytes)), "...\" (", s.size(), " bytes)");
}

// Recursive descent with a depth bound: every '(' and every unary '-' is one level, so no
// input can exhaust the stack (Expr -> Term -> Unary -> Primary -> Expr per level).
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  absl::StatusOr<NodeP> Parse() {
    auto e = Expr();
    if (!e.ok()) return e;
    Skip();
    if (i_ != s_.size()) return Error("expected an operator");
    return e;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("formula ", Quote(s_), " at character ", i_ + 1, ": ", AV(what)));
  }
  // Enters one nesting level; the error names the limit.
  absl::Status Enter() {
    if (++depth_ > Formula::kMaxDepth) {
      return Error(absl::StrCat("nested deeper than ", Formula::kMaxDepth,
                                " levels (parentheses and unary minus signs)"));
    }
    return absl::OkStatus();
  }
  static NodeP Bin(char op, NodeP a, NodeP b) {
    auto n = std::make_shared<Formula::Node>();
    n->op = op;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  absl::StatusOr<NodeP> Expr() {
    auto l = Term();
    if (!l.ok()) return l;
    NodeP left = *l;
    for (;;) {
      Skip();
      if (i_ >= s_.size() || (s_[i_] != '+' && s_[i_] != '-')) return left;
      char op = s_[i_++];
      auto r = Term();
      if (!r.ok()) return r;
      left = Bin(op, left, *r);
    }
  }
  absl::StatusOr<NodeP> Term() {
    auto l = Unary();
    if (!l.ok()) return l;
    NodeP left = *l;
    for (;;) {
      Skip();
      if (i_ >= s_.size() || (s_[i_] != '*' && s_[i_] != '/')) return left;
      char op = s_[i_++];
      auto r = Unary();
      if (!r.ok()) return r;
      left = Bin(op, left, *r);
    }
  }
  absl::StatusOr<NodeP> Unary() {
    Skip();
    if (i_ < s_.size() && s_[i_] == '-') {
      if (auto s = Enter(); !s.ok()) return s;
      ++i_;
      auto x = Unary();
      if (!x.ok()) return x;
      --depth_;
      return Bin('n', *x, nullptr);
    }
    return Primary();
  }
  absl::StatusOr<NodeP> Primary() {
    Skip();
    if (i_ >= s_.size()) return Error("expected a meter id, a number or '('");
    if (s_[i_] == '(') {
      if (auto s = Enter(); !s.ok()) return s;
      ++i_;
      auto e = Expr();
      if (!e.ok()) return e;
      Skip();
      if (i_ >= s_.size() || s_[i_] != ')') return Error("expected ')'");
      ++i_;
      --depth_;
      return e;
    }
    size_t start = i_;
    while (i_ < s_.size() && IdChar(s_[i_])) ++i_;
    // A trailing '-' belongs to the operator ("a- b").
    while (i_ > start && s_[i_ - 1] == '-') --i_;
    if (i_ == start) return Error("expected a meter id, a number or '('");
    std::string tok(s_.substr(start, i_ - start));
    auto n = std::make_shared<Formula::Node>();
    char* end = nullptr;
    double v = std::strtod(tok.c_str(), &end);
    if (end == tok.c_str() + tok.size() &&
        (std::isdigit(static_cast<unsigned char>(tok[0])) || tok[0] == '.')) {
      n->op = 0;
      n->num = v;
    } else {
      n->op = 'r';
      n->ref = tok;
    }
    return NodeP(n);
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
};

void CollectRefs(const Formula::Node* n, std::vector<std::string>* out) {
  if (!n) return;
  if (n->op == 'r') out->push_back(n->ref);
  CollectRefs(n->a.get(), out);
  CollectRefs(n->b.get(), out);
}

double EvalNode(const Formula::Node* n, const std::function<double(std::string_view)>& value) {
  switch (n->op) {
    case 0:
      return n->num;
    case 'r':
      return value(n->ref);
    case 'n':
      return -EvalNode(n->a.get(), value);
    case '+':
      return EvalNode(n->a.get(), value) + EvalNode(n->b.get(), value);
    case '-':
      return EvalNode(n->a.get(), value) - EvalNode(n->b.get(), value);
    case '*':
      return EvalNode(n->a.get(), value) * EvalNode(n->b.get(), value);
    case '/': {
      double d = EvalNode(n->b.get(), value);
      return d == 0 ? 0 : EvalNode(n->a.get(), value) / d;
    }
  }
  return 0;
}

bool HasRef(const Formula::Node* n) {
  return n && (n->op == 'r' || HasRef(n->a.get()) || HasRef(n->b.get()));
}

bool LinearNode(const Formula::Node* n) {
  if (!n) return true;
  if (n->op == '*' && HasRef(n->a.get()) && HasRef(n->b.get())) return false;
  if (n->op == '/' && HasRef(n->b.get())) return false;
  return LinearNode(n->a.get()) && LinearNode(n->b.get());
}

}  // namespace

absl::StatusOr<Formula> Formula::Parse(std::string_view text) {
  if (text.size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("formula ", Quote(text), " is longer than ", kMaxBytes, " bytes"));
  }
  auto root = Parser(text).Parse();
  if (!root.ok()) return root.status();
  Formula f;
  f.text_ = std::string(text);
  f.root_ = *root;
  return f;
}

std::vector<std::string> Formula::Refs() const {
  std::vector<std::string> out;
  CollectRefs(root_.get(), &out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double Formula::Eval(const std::function<double(std::string_view)>& value) const {
  return root_ ? EvalNode(root_.get(), value) : 0;
}

bool Formula::Linear() const { return LinearNode(root_.get()); }

}  // namespace dc::model
