#include "imap/syntax/framer.hpp"

#include <algorithm>
#include <optional>

#include "core/strings.hpp"

namespace lemonade::imap::syntax {
namespace {

struct literal_marker {
  std::size_t size;
  bool nonsync;
};

// RFC 3501 §9 literal = "{" number "}" CRLF; RFC 7888 adds "{" number "+}";
// RFC 3516 literal8 is "~{...}", which ends the same way, and an encrypted
// literal "~{X" number ["+"] "}" (docs/xencrypted.md) too.
std::optional<literal_marker> trailing_literal(std::string_view line) {
  if (line.size() >= 1 && line.back() == '\n') line.remove_suffix(1);
  if (line.size() >= 1 && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.back() != '}') return std::nullopt;
  line.remove_suffix(1);
  bool nonsync = false;
  if (!line.empty() && line.back() == '+') {
    nonsync = true;
    line.remove_suffix(1);
  }
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1);
  if (open > 0 && line[open - 1] == '~' && !digits.empty() && digits.front() == 'X') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  auto n = core::parse_uint(digits);
  if (!n) return std::nullopt;
  return literal_marker{static_cast<std::size_t>(*n), nonsync};
}

bool tag_char(char c) {
  // RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' &&
         c != '"' && c != '\\' && c != '+';
}

}  // namespace

std::string leading_tag(std::string_view input) {
  std::size_t n = 0;
  while (n < input.size() && n < 64 && tag_char(input[n])) ++n;
  if (n == 0 || n >= input.size() || input[n] != ' ') return "*";
  return std::string(input.substr(0, n));
}

void framer::reset() {
  pos_ = 0;
  line_start_ = 0;
  literal_remaining_ = 0;
  command_size_ = 0;
  rejecting_ = reason::none;
  reject_tag_.clear();
  line_tail_.clear();
}

framer::event framer::start_rejecting(reason r, std::string_view input) {
  rejecting_ = r;
  reject_tag_ = leading_tag(input);
  return {};
}

framer::event framer::next(std::string_view input) {
  for (;;) {
    if (literal_remaining_ > 0) {
      std::size_t avail = input.size() - pos_;
      std::size_t take = std::min(avail, literal_remaining_);
      pos_ += take;
      literal_remaining_ -= take;
      if (rejecting_ != reason::none && pos_ > 0) {
        // Literal octets of a rejected command are dropped as they come.
        command_size_ += pos_;
        event e{kind::discard, pos_};
        pos_ = line_start_ = 0;
        return e;
      }
      if (literal_remaining_ > 0) return {kind::need_more};
      line_start_ = pos_;
      continue;
    }

    auto lf = input.find('\n', pos_);
    if (lf == std::string_view::npos) {
      std::size_t line_len = input.size() - line_start_;
      if (rejecting_ == reason::none && line_len > limits_.max_line)
        start_rejecting(reason::line_too_long, input);
      if (rejecting_ != reason::none) {
        // Keep only what we need to spot a literal marker at line end.
        line_tail_ += std::string(input.substr(line_start_));
        if (line_tail_.size() > 32) line_tail_.erase(0, line_tail_.size() - 32);
        command_size_ += input.size();
        event e{kind::discard, input.size()};
        pos_ = line_start_ = 0;
        return e.size > 0 ? e : event{kind::need_more};
      }
      pos_ = input.size();
      return {kind::need_more};
    }

    std::size_t end = lf + 1;
    std::string_view line = input.substr(line_start_, end - line_start_);
    if (rejecting_ == reason::none && line.size() > limits_.max_line + 2)
      start_rejecting(reason::line_too_long, input);

    std::string joined;
    if (rejecting_ != reason::none) {
      joined = line_tail_ + std::string(line);
      line_tail_.clear();
      line = joined;
    }
    auto lit = trailing_literal(line);

    if (!lit) {
      // End of the command.
      if (rejecting_ != reason::none) {
        event e{kind::reject, end, rejecting_, reject_tag_};
        reset();
        return e;
      }
      if (command_size_ + end > limits_.max_command) {
        event e{kind::reject, end, reason::command_too_big, leading_tag(input)};
        reset();
        return e;
      }
      event e{kind::command, end};
      reset();
      return e;
    }

    std::size_t so_far = command_size_ + end;
    if (rejecting_ != reason::none) {
      if (!lit->nonsync) {
        // The client waits for a continuation that will not come: the
        // command ends here.
        event e{kind::reject, end, rejecting_, reject_tag_};
        reset();
        return e;
      }
      command_size_ += end;
      literal_remaining_ = lit->size;
      event e{kind::discard, end};
      pos_ = line_start_ = 0;
      return e;
    }

    reason over = reason::none;
    if (lit->size > limits_.max_literal) over = reason::literal_too_big;
    else if (lit->nonsync && lit->size > limits_.max_nonsync_literal) over = reason::nonsync_too_big;
    else if (so_far + lit->size > limits_.max_command) over = reason::command_too_big;
    if (over != reason::none) {
      if (!lit->nonsync) {
        // RFC 3501 §7.5: a NO/BAD instead of "+" ends the command.
        event e{kind::reject, end, over, leading_tag(input)};
        reset();
        return e;
      }
      if (lit->size > limits_.max_line) {
        // Too much to read only to drop it (RFC 7888 §4).
        event e{kind::reject_and_close, end, over, leading_tag(input)};
        reset();
        return e;
      }
      // A small non-synchronizing literal arrives anyway: drop it and the
      // rest of the command, then answer.
      start_rejecting(over, input);
      command_size_ += end;
      literal_remaining_ = lit->size;
      event e{kind::discard, end};
      pos_ = line_start_ = 0;
      return e;
    }

    pos_ = end;
    line_start_ = end;
    literal_remaining_ = lit->size;
    // RFC 3501 §7.5: a synchronizing literal waits for "+". The next call
    // starts inside the literal, so this is returned once per literal.
    if (!lit->nonsync) return {kind::need_continuation, 0, reason::none, {}, lit->size};
  }
}

}  // namespace lemonade::imap::syntax
