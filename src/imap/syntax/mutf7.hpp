#pragma once
// RFC 3501 §5.1.3: modified UTF-7 for mailbox names on the wire.

#include <optional>
#include <string>
#include <string_view>

namespace lemonade::imap::syntax {

// UTF-8 -> modified UTF-7. The input must be valid UTF-8.
std::string mutf7_encode(std::string_view utf8);

// Modified UTF-7 -> UTF-8; nullopt for anything RFC 3501 §5.1.3 forbids:
// a raw '&' or non-ASCII octet, bad base64, a shift sequence encoding
// printable ASCII, an empty "&-" used for anything but '&', two adjacent
// shift sequences, non-zero padding bits, unpaired surrogates.
std::optional<std::string> mutf7_decode(std::string_view mutf7);

}  // namespace lemonade::imap::syntax
