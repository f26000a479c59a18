#pragma once
// Flags on the wire (RFC 3501 §2.3.2) <-> store flag sets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/response/response.hpp"
#include "store/api/types.hpp"

namespace lemonade::imap::commands {

// The system flags we store, in wire spelling.
const std::vector<std::pair<std::string, std::uint8_t>>& system_flags();

// Client flags -> flag set. Throws command_error (BAD) for \Recent or an
// unknown system flag (RFC 3501 §9: flag-extension is reserved).
store::flag_set flags_from_wire(const std::vector<std::string>& flags);

// "(\Seen $Forwarded ...)", then `extra` if given (\Recent, \*). Flags are
// atoms (RFC 3501 §9 flag): written as they are, the list as one string.
response::raw flags_to_wire(const store::flag_set& f, std::string_view extra = {});

}  // namespace lemonade::imap::commands
