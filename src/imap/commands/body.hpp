#pragma once
// RFC 3501 §7.4.2 ENVELOPE, BODY and BODYSTRUCTURE as typed values, from
// the MIME structure stored at APPEND time.

#include "imap/response/response.hpp"
#include "mime/structure.hpp"

namespace lemonade::imap::commands {

response::value envelope_value(const mime::envelope& e);

// The body structure of part `index` (0: the whole message); extension
// data only for BODYSTRUCTURE (`extensible`), never for BODY.
response::value body_value(const mime::message_structure& s, std::uint32_t index, bool extensible);

}  // namespace lemonade::imap::commands
