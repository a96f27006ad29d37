// Formulas of virtual meters: arithmetic over meter ids ("main - raw_mill - packing",
// "0.5 * (a + b)"). Operators + - * / with the usual precedence, unary minus, parentheses,
// decimal numbers. A meter id may contain '-' (grid-in); write subtraction with spaces.
#ifndef DC_MODEL_FORMULA_H_
#define DC_MODEL_FORMULA_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::model {

class Formula {
 public:
  // Longest formula text accepted, and deepest nesting of parentheses and unary minus signs
  // (each '(' and each '-' in "--x" is one level). Longer formulas are left-deep chains of
  // binary operators, so they also bound the depth of evaluation.
  static constexpr size_t kMaxBytes = 4096;
  static constexpr int kMaxDepth = 64;

  // Parses `text`; the error names the character position and what was expected.
  static absl::StatusOr<Formula> Parse(std::string_view text);

  // Meter ids referenced, sorted, unique.
  std::vector<std::string> Refs() const;
  // Evaluates with `value(id)` for each reference. Division by zero gives 0 (no output in a
  // period is not an error); the caller validates references beforehand.
  double Eval(const std::function<double(std::string_view)>& value) const;
  // True if the formula is a linear combination of meters (no meter * meter or / meter).
  bool Linear() const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace dc::model

#endif  // DC_MODEL_FORMULA_H_
