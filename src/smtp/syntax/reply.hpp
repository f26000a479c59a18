#pragma once
// SMTP replies (RFC 5321 §4.2) as values: the code, the enhanced status
// code (RFC 3463) apart from the text, and the text's lines. One writer
// makes the bytes for submission and LMTP alike; executors never build a
// reply string by hand.

#include <optional>
#include <string>
#include <vector>

namespace lemonade::smtp::syntax {

// RFC 3463 class.subject.detail, e.g. {5, 1, 1}.
struct status_code {
  int cls = 2, subject = 0, detail = 0;
  std::string text() const;
};

struct reply {
  int code = 250;
  std::optional<status_code> status;  // written when the client may see them
  std::vector<std::string> lines;     // at least one; CR/LF never inside
};

// "250-first" CRLF ... "250 last" CRLF; with `enhanced` the status code
// leads every line's text (RFC 2034 §4).
void write(std::string& out, const reply& r, bool enhanced);

// Shorthands.
reply make_reply(int code, status_code status, std::string text);

}  // namespace lemonade::smtp::syntax
