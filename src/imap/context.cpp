#include "imap/context.hpp"

namespace lemonade::imap {

bool command_context::plaintext_allowed() const {
  // DESIGN.md §8: no plaintext passwords on an unencrypted connection,
  // except from loopback unless configured otherwise.
  switch (server.cfg.plaintext) {
    case core::plaintext_policy::always: return true;
    case core::plaintext_policy::loopback: return session.tls_active || session.conn.loopback;
    case core::plaintext_policy::never: return session.tls_active;
  }
  return false;
}

capability_facts command_context::facts() const {
  capability_facts f;
  f.authenticated = session.state == session_state::authenticated || session.state == session_state::selected;
  f.tls_active = session.tls_active;
  f.starttls_offered = !session.conn.implicit_tls;
  f.plaintext_allowed = plaintext_allowed();
  f.literal_minus = server.cfg.literal == core::literal_mode::minus;
  f.compress = server.cfg.compress;
  f.convert = server.converter != nullptr;
  return f;
}

response::code command_context::capability_code() const {
  response::code c{"CAPABILITY", {}};
  for (auto& name : capabilities(facts())) c.args.push_back(response::atom{name});
  return c;
}

}  // namespace lemonade::imap
