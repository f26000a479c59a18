#pragma once
// The one source of CAPABILITY (STYLE.md §4): every capability beside its
// RFC and the condition under which it is offered. A capability appears
// here only when it works; docs/rfc/status.md must list each as "Yes"
// (checked by tests/unit/imap/capability_test.cpp).

#include <string>
#include <string_view>
#include <vector>

namespace lemonade::imap {

struct capability_facts {
  bool authenticated = false;
  bool tls_active = false;
  bool starttls_offered = false;   // listener without implicit TLS
  bool plaintext_allowed = false;  // LOGIN / AUTH=PLAIN possible now
  bool literal_minus = false;      // config imap.literal = "minus"
  bool compress = false;           // config imap.compress
  bool convert = false;            // config imap.convert, and the conversions work
};

struct capability_row {
  std::string_view name;
  std::string_view rfc;
  bool (*offered)(const capability_facts&);
};

const std::vector<capability_row>& capability_table();

// The capabilities to advertise now, in table order.
std::vector<std::string> capabilities(const capability_facts& f);

}  // namespace lemonade::imap
