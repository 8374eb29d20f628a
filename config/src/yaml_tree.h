#pragma once
// The manifest's YAML as a small tree that keeps the 1-based line and column of every node and
// key. Built from yaml-cpp's event stream rather than YAML::Node because yaml-cpp silently keeps
// one of two duplicate keys; here each duplicate becomes a diagnostic.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/config/diagnostic.h"

namespace moltbot::config::yaml {

struct Node;
using NodePtr = std::shared_ptr<const Node>;  // shared: an alias refers to its anchor's node

struct Entry {
  NodePtr key;
  NodePtr value;
};

struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  std::string tag;    // "?" for a plain scalar, "!" for a quoted one, else an explicit tag
                      // ("tag:yaml.org,2002:str" for !!str)
  std::string value;  // scalars only
  SourceLocation where;
  std::vector<NodePtr> items;  // sequences
  std::vector<Entry> entries;  // mappings, in file order, without duplicate keys

  // Quoted or tagged !!str: a string even when it reads like a number.
  bool is_string() const { return kind == Kind::scalar && (tag == "!" || tag == "tag:yaml.org,2002:str"); }
  // The value of the entry whose key is the scalar `name`, or nullptr.
  const Entry* find(std::string_view name) const;
};

struct Document {
  NodePtr root;             // nullptr after a syntax error; a null node for an empty document
  Diagnostics diagnostics;  // yaml-syntax and duplicate-key
};

Document parse(const std::string& text, const std::string& file);

}  // namespace moltbot::config::yaml
