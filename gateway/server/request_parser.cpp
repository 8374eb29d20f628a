#include "request_parser.h"

#include <algorithm>
#include <cctype>

namespace moltbot::gateway {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool parse_head(std::string_view head, Request& request) {
  auto line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  auto first_space = line.find(' ');
  auto second_space = line.find(' ', first_space + 1);
  if (first_space == std::string_view::npos || second_space == std::string_view::npos) return false;
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = line.substr(second_space + 1);
  if (method.empty() || target.empty() || target.front() != '/') return false;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;

  request.method = std::string(method);
  request.target = std::string(target);
  request.keep_alive = version == "HTTP/1.1";

  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    std::string_view header = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    auto colon = header.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view name = header.substr(0, colon);
    std::string_view value = trim(header.substr(colon + 1));
    if (iequals(name, "Connection")) {
      if (iequals(value, "close")) request.keep_alive = false;
      if (iequals(value, "keep-alive")) request.keep_alive = true;
    } else if ((iequals(name, "Content-Length") && value != "0") || iequals(name, "Transfer-Encoding")) {
      return false;
    }
  }
  return true;
}

}  // namespace

RequestParser::Status RequestParser::next(Request& request) {
  auto end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) return buffer_.size() > max_head_size ? Status::bad : Status::incomplete;
  if (end > max_head_size) return Status::bad;

  bool ok = parse_head(std::string_view(buffer_).substr(0, end), request);
  buffer_.erase(0, end + 4);
  return ok ? Status::complete : Status::bad;
}

}  // namespace moltbot::gateway
