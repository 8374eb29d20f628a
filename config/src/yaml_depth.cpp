#include "yaml_depth.h"

#include <fmt/format.h>

namespace moltbot::config::yaml {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool flow_indicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

class FlowDepthScan {
 public:
  FlowDepthScan(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  std::optional<Diagnostic> run() {
    while (at_ < text_.size()) {
      if (at_ == line_start_ && !start_line()) continue;
      const char c = text_[at_];
      if (c == '\n') {
        next_line();
      } else if (blank(c)) {
        ++at_;
      } else if (c == '#' && (at_ == line_start_ || blank(text_[at_ - 1]))) {
        skip_to_line_end();
      } else if (node_start_ && (c == '\'' || c == '"')) {
        skip_quoted(c);
        node_start_ = false;
      } else if (c == '[' || c == '{') {
        if (node_start_ || depth_ > 0) {
          if (++depth_ > max_flow_depth) return too_deep();
          node_start_ = true;
        }
        ++at_;
      } else if ((c == ']' || c == '}') && depth_ > 0) {
        --depth_;
        node_start_ = false;
        ++at_;
      } else if (c == ',' && depth_ > 0) {
        node_start_ = true;
        ++at_;
      } else if ((c == ':' || c == '-' || c == '?') && indicator_ends(at_ + 1, c == ':')) {
        // What follows is a node, not more of the plain scalar before (a key).
        node_start_ = true;
        plain_indent_ = -1;
        ++at_;
      } else if (node_start_ && (c == '!' || c == '&')) {  // a tag or an anchor: the node follows
        while (at_ < text_.size() && !blank(text_[at_]) && text_[at_] != '\n') ++at_;
      } else if (node_start_ && depth_ == 0 && (c == '|' || c == '>')) {
        block_indent_ = line_indent_;
        skip_to_line_end();
      } else {  // plain text: a scalar, an alias
        if (node_start_ && depth_ == 0) plain_indent_ = line_indent_;
        node_start_ = false;
        ++at_;
      }
    }
    return std::nullopt;
  }

 private:
  // At a line's first byte: moves past its indentation. False when the whole line was skipped:
  // the text of a block scalar, or a further line of a plain scalar (both indented deeper than
  // the line they started on).
  bool start_line() {
    std::size_t first = at_;
    while (first < text_.size() && text_[first] == ' ') ++first;
    const int indent = static_cast<int>(first - at_);
    const bool empty = first >= text_.size() || text_[first] == '\n' || text_[first] == '\r' || text_[first] == '#';
    if (depth_ == 0) {
      if (block_indent_ >= 0 && (empty || indent > block_indent_)) return skip_line();
      block_indent_ = -1;
      if (plain_indent_ >= 0 && !empty && indent > plain_indent_) return skip_line();
      if (!empty) plain_indent_ = -1;
      node_start_ = true;
      line_indent_ = indent;
    }
    at_ = first;
    return true;
  }

  bool skip_line() {
    skip_to_line_end();
    if (at_ < text_.size()) next_line();
    return false;
  }

  void next_line() {
    line_start_ = ++at_;
    ++line_;
  }

  void skip_to_line_end() {
    while (at_ < text_.size() && text_[at_] != '\n') ++at_;
  }

  // ":", "-" and "?" are indicators before a blank or a line's end; ":" in a flow collection also
  // before a flow indicator ({"a":[1]}).
  bool indicator_ends(std::size_t next, bool colon) const {
    if (next >= text_.size() || blank(text_[next]) || text_[next] == '\n') return true;
    return colon && depth_ > 0 && flow_indicator(text_[next]);
  }

  // From an opening quote past its closing one, across lines. Single quotes escape themselves
  // (''), double quotes take backslash escapes.
  void skip_quoted(char quote) {
    ++at_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\n') {
        line_start_ = at_ + 1;
        ++line_;
      }
      ++at_;
      if (quote == '"' && c == '\\' && at_ < text_.size() && text_[at_] != '\n') {
        ++at_;
      } else if (c == quote) {
        if (quote == '\'' && at_ < text_.size() && text_[at_] == '\'')
          ++at_;
        else
          return;
      }
    }
  }

  Diagnostic too_deep() const {
    return Diagnostic{Severity::error,
                      "yaml-syntax",
                      fmt::format("the YAML is nested too deeply: flow collections ([ ] and {{ }}) may nest at most "
                                  "{} deep",
                                  max_flow_depth),
                      SourceLocation{file_, line_, static_cast<int>(at_ - line_start_) + 1},
                      {},
                      {}};
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t at_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
  int depth_ = 0;
  bool node_start_ = true;
  int line_indent_ = 0;
  int block_indent_ = -1;  // >= 0: the lines indented deeper are a block scalar's text
  int plain_indent_ = -1;  // >= 0: the lines indented deeper continue a plain scalar
};

}  // namespace

std::optional<Diagnostic> check_flow_depth(std::string_view text, const std::string& file) {
  return FlowDepthScan(text, file).run();
}

}  // namespace moltbot::config::yaml
