#pragma once
// RFC 8970 PREVIEW: a short plain-text abstract of a message for a
// message list, computed once at APPEND or delivery and stored with it.
//
// The text of the first text/plain part that is not an attachment, else of
// the first text/html one reduced to text by an HTML parser (gumbo), in
// UTF-8: quoted lines ("> ...") and the line that introduces them ("On
// ..., X wrote:") left out, the text stopped at a signature separator
// ("-- "), white space runs made one space. At most max_chars characters
// (§3.3: "SHOULD limit ... to 200", "MUST NOT output ... longer than 256").
// "" when the message has no such text (§3.2: "the server MUST return a
// zero-length string").

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace lemonade::mime {

std::string make_preview(std::string_view message, const message_structure& s, std::size_t max_chars = 200);


}  // namespace lemonade::mime
