#include "yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <unordered_map>

#include "yaml_depth.h"

namespace moltbot::config::yaml {
namespace {

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

// Builds the tree; reports duplicate keys and aliases that would make the tree cyclic.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& file, Diagnostics& diagnostics) : file_(file), diagnostics_(diagnostics) {}

  // Null after an error that leaves no tree worth reading.
  NodePtr root() const { return broken_ ? nullptr : root_; }
  bool broken() const { return broken_; }
  int documents() const { return documents_; }
  const SourceLocation& second_document() const { return second_document_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) second_document_ = location(file_, mark);
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto node = std::make_shared<Node>();
    node->where = location(file_, mark);
    complete(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      // yaml-cpp rejects unknown anchors itself; an anchor still open means the alias sits
      // inside the node it names.
      diagnostics_.push_back(Diagnostic{Severity::error,
                                        "yaml-syntax",
                                        "an alias may not refer to a node that contains it",
                                        location(file_, mark),
                                        {},
                                        {}});
      broken_ = true;
      auto placeholder = std::make_shared<Node>();
      placeholder->where = location(file_, mark);
      add(std::move(placeholder));
      return;
    }
    add(found->second);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::scalar;
    node->tag = tag;
    node->value = value;
    node->where = location(file_, mark);
    complete(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::sequence, mark, tag, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::mapping, mark, tag, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::shared_ptr<Node> node;
    YAML::anchor_t anchor;
    NodePtr pending_key;                                   // mappings: the key whose value comes next
    std::unordered_map<std::string, SourceLocation> keys;  // mappings: where each key first appeared
  };

  void open(Node::Kind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->tag = tag;
    node->where = location(file_, mark);
    open_.push_back(Open{std::move(node), anchor, nullptr, {}});
  }

  void close() {
    Open done = std::move(open_.back());
    open_.pop_back();
    complete(std::move(done.node), done.anchor);
  }

  void complete(std::shared_ptr<Node> node, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = node;
    add(std::move(node));
  }

  void add(NodePtr node) {
    if (open_.empty()) {
      if (documents_ == 1) root_ = std::move(node);
      return;
    }
    Open& parent = open_.back();
    if (parent.node->kind == Node::Kind::sequence) {
      parent.node->items.push_back(std::move(node));
      return;
    }
    if (!parent.pending_key) {
      parent.pending_key = std::move(node);
      return;
    }
    NodePtr key = std::move(parent.pending_key);
    parent.pending_key = nullptr;
    add_entry(parent, std::move(key), std::move(node));
  }

  void add_entry(Open& mapping, NodePtr key, NodePtr value) {
    // An empty value ("port:") is marked by yaml-cpp where the next token starts, often on a
    // later line; the key is the better place to point at.
    if (value->kind == Node::Kind::null && value->where.line != key->where.line) {
      auto relocated = std::make_shared<Node>(*value);
      relocated->where = key->where;
      value = std::move(relocated);
    }
    if (key->kind == Node::Kind::scalar) {
      const auto [first, added] = mapping.keys.emplace(key->value, key->where);
      if (!added) {
        diagnostics_.push_back(
            Diagnostic{Severity::error,
                       "duplicate-key",
                       fmt::format("duplicate key '{}'", key->value),
                       key->where,
                       {},
                       {RelatedNote{fmt::format("'{}' is first defined here", key->value), first->second}}});
        return;
      }
    }
    mapping.node->entries.push_back(Entry{std::move(key), std::move(value)});
  }

  const std::string& file_;
  Diagnostics& diagnostics_;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, NodePtr> anchors_;
  NodePtr root_;
  int documents_ = 0;
  SourceLocation second_document_;
  bool broken_ = false;
};

}  // namespace

const Entry* Node::find(std::string_view name) const {
  for (const Entry& entry : entries)
    if (entry.key->kind == Kind::scalar && entry.key->value == name) return &entry;
  return nullptr;
}

Document parse(const std::string& text, const std::string& file) {
  Document document;
  if (auto too_deep = check_flow_depth(text, file)) {
    document.diagnostics.push_back(std::move(*too_deep));
    return document;
  }
  std::istringstream input(text);
  TreeBuilder builder(file, document.diagnostics);
  try {
    YAML::Parser parser(input);
    // Reading on after the first document only to report that there is more than one.
    while (builder.documents() < 2 && parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::DeepRecursion& error) {
    // yaml-cpp labels this "bad file".
    document.diagnostics.push_back(Diagnostic{
        Severity::error, "yaml-syntax", "the YAML is nested too deeply", location(file, error.mark), {}, {}});
    return document;
  } catch (const YAML::Exception& error) {
    document.diagnostics.push_back(
        Diagnostic{Severity::error, "yaml-syntax", error.msg, location(file, error.mark), {}, {}});
    return document;
  } catch (const std::exception& error) {
    document.diagnostics.push_back(
        Diagnostic{Severity::error, "yaml-syntax", error.what(), SourceLocation{file, 0, 0}, {}, {}});
    return document;
  }
  if (builder.documents() > 1) {
    document.diagnostics.push_back(Diagnostic{Severity::error,
                                              "yaml-syntax",
                                              "a manifest is one YAML document; a second one starts here",
                                              builder.second_document(),
                                              {},
                                              {}});
    return document;
  }
  if (builder.broken()) return document;
  document.root = builder.root();
  if (!document.root) {
    auto empty = std::make_shared<Node>();
    empty->where = SourceLocation{file, 0, 0};
    document.root = std::move(empty);
  }
  return document;
}

}  // namespace moltbot::config::yaml
