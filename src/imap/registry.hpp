#pragma once
// One row per command (STYLE.md §2 step 3): name, parser, executor and the
// states it is allowed in. The session loop reads only this table.

#include <cstdint>
#include <string_view>

#include "imap/context.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap {

using executor_fn = asio::awaitable<void> (*)(command_context&, parse::command_args&);

enum state_bits : std::uint8_t {
  in_not_authenticated = 1,
  in_authenticated = 2,
  in_selected = 4,
  in_any = 7,
  after_login = in_authenticated | in_selected,
};

struct command_spec {
  std::string_view name;
  parse::parser_fn parse;
  executor_fn execute;
  std::uint8_t states;
  // RFC 3501 §7.4.1: no EXPUNGE while FETCH, STORE or SEARCH (not their
  // UID forms) are answered, lest sequence numbers shift under them.
  bool holds_expunges = false;
  // SELECT, EXAMINE: deselect first, even when they fail (RFC 3501 §6.3.1).
  bool deselects = false;
};

// nullptr for an unknown command; name is upper case.
const command_spec* find_command(std::string_view name);

bool allowed_in(const command_spec& spec, session_state s);

}  // namespace lemonade::imap
