#pragma once
// RFC 3501 §7.4.2 ENVELOPE, BODY and BODYSTRUCTURE, written straight from
// the MIME structure stored at APPEND time (a page of FETCH ENVELOPE
// BODYSTRUCTURE is the commonest request of a phone's message list: no
// tree of values is built for it).

#include "imap/response/writer.hpp"
#include "mime/structure.hpp"

namespace lemonade::imap::commands {

void write_envelope(response::emitter& e, const mime::envelope& env);

// The body structure of part `index` (0: the whole message); extension
// data only for BODYSTRUCTURE (`extensible`), never for BODY.
void write_body(response::emitter& e, const mime::message_structure& s, std::uint32_t index, bool extensible);

}  // namespace lemonade::imap::commands
