#include "smtp/syntax/reply.hpp"

namespace lemonade::smtp::syntax {

std::string status_code::text() const {
  return std::to_string(cls) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

void write(std::string& out, const reply& r, bool enhanced) {
  auto code = std::to_string(r.code);
  std::string prefix = enhanced && r.status ? r.status->text() + " " : std::string();
  if (r.lines.empty()) {
    out += code + " " + prefix;
    if (!prefix.empty()) out.pop_back();
    out += "\r\n";
    return;
  }
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    out += code;
    out += i + 1 == r.lines.size() ? ' ' : '-';
    out += prefix;
    for (char c : r.lines[i]) out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
  }
}

reply make_reply(int code, status_code status, std::string text) {
  return reply{code, status, {std::move(text)}};
}

}  // namespace lemonade::smtp::syntax
