#include "common/toml_depth.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace dc {
namespace {

class Scanner {
 public:
  Scanner(std::string_view s, int max) : s_(s), max_(max) {}

  TomlDepthResult Run() {
    while (i_ < s_.size() && result_.ok()) Step();
    return result_;
  }

 private:
  // Depth of the innermost open array or inline table, else of the current table header.
  int Base() const { return open_.empty() ? header_depth_ : open_.back().depth; }

  void Fail(int depth) {
    if (!result_.ok()) return;
    result_.line = line_;
    result_.column = static_cast<int>(i_ - line_start_) + 1;
    result_.message = absl::StrCat("TOML nests deeper than ", max_, " levels (", depth,
                                   " here; dotted keys, table headers, arrays and inline "
                                   "tables each count one)");
  }

  void Step() {
    const char c = s_[i_];
    if (c == '\n') {
      NewLine();
    } else if (c == '#') {
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    } else if (c == '"' || c == '\'') {
      SkipString(c);
      line_blank_ = false;
    } else if (c == '[' && open_.empty() && key_mode_ && line_blank_) {
      Header();
    } else {
      if (c != ' ' && c != '\t' && c != '\r') line_blank_ = false;
      Char(c);
      ++i_;
    }
  }

  void NewLine() {
    ++i_;
    ++line_;
    line_start_ = i_;
    line_blank_ = true;
    if (open_.empty()) {
      key_mode_ = true;
      key_dots_ = 0;
    }
  }

  void Char(char c) {
    if (c == ']' || c == '}') {
      if (!open_.empty()) open_.pop_back();
      key_mode_ = false;
      value_depth_ = Base();
      return;
    }
    if (key_mode_) {
      if (c == '.') {
        ++key_dots_;
        if (Base() + key_dots_ + 1 > max_) Fail(Base() + key_dots_ + 1);
      } else if (c == '=') {
        key_mode_ = false;
        value_depth_ = Base() + key_dots_ + 1;  // the depth of the key's last part
        key_dots_ = 0;
        if (value_depth_ > max_) Fail(value_depth_);
      }
      return;
    }
    if (c == '[' || c == '{') {
      const int depth = value_depth_ + 1;
      if (depth > max_) Fail(depth);
      open_.push_back({c, depth});
      value_depth_ = depth;  // of the array's elements
      key_mode_ = c == '{';
      key_dots_ = 0;
    } else if (c == ',' && !open_.empty()) {
      if (open_.back().kind == '{') {
        key_mode_ = true;
        key_dots_ = 0;
      } else {
        value_depth_ = Base();
      }
    }
  }

  // "[a.b.c]" or "[[a.b]]" at the start of a line.
  void Header() {
    line_blank_ = false;
    ++i_;
    int depth = 1;
    if (i_ < s_.size() && s_[i_] == '[') {
      ++i_;
      ++depth;  // an array of tables adds the array level
    }
    while (i_ < s_.size() && s_[i_] != ']' && s_[i_] != '\n' && result_.ok()) {
      if (s_[i_] == '"' || s_[i_] == '\'') {
        SkipString(s_[i_]);
        continue;
      }
      if (s_[i_] == '.' && ++depth > max_) Fail(depth);
      ++i_;
    }
    while (i_ < s_.size() && s_[i_] == ']') ++i_;
    header_depth_ = depth;
    key_mode_ = true;
    key_dots_ = 0;
  }

  // Skips a basic or literal string, single- or multi-line, counting its newlines.
  void SkipString(char q) {
    const bool multi = s_.substr(i_, 3) == std::string(3, q);
    i_ += multi ? 3 : 1;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\\' && q == '"') {
        i_ += 2;
        continue;
      }
      if (c == '\n') {
        if (!multi) return;  // unterminated: the parser reports it
        ++line_;
        line_start_ = i_ + 1;
      } else if (c == q && (!multi || s_.substr(i_, 3) == std::string(3, q))) {
        i_ += multi ? 3 : 1;
        while (multi && i_ < s_.size() && s_[i_] == q) ++i_;  // """a""""" ends with quotes
        return;
      }
      ++i_;
    }
  }

  struct Open {
    char kind;  // '[' array, '{' inline table
    int depth;
  };

  std::string_view s_;
  int max_;
  size_t i_ = 0, line_start_ = 0;
  int line_ = 1;
  bool line_blank_ = true;
  bool key_mode_ = true;
  int key_dots_ = 0;
  int header_depth_ = 0;
  int value_depth_ = 0;  // depth of the key whose value is being read
  std::vector<Open> open_;
  TomlDepthResult result_;
};

}  // namespace

TomlDepthResult CheckTomlDepth(std::string_view toml, int max_depth) {
  return Scanner(toml, max_depth).Run();
}

}  // namespace dc
