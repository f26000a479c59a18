#include "imap/registry.hpp"

#include "imap/commands/commands.hpp"

namespace lemonade::imap {
namespace {

using namespace parse;
namespace c = commands;

const command_spec table[] = {
    // RFC 3501 §6.1: any state
    {"CAPABILITY", parse_bare<capability_cmd>, c::capability, in_any},
    {"NOOP", parse_bare<noop_cmd>, c::noop, in_any},
    {"LOGOUT", parse_bare<logout_cmd>, c::logout, in_any},
    {"ID", parse_id, c::id, in_any},  // RFC 2971 §3.1: any state
    // RFC 3501 §6.2: not authenticated
    {"STARTTLS", parse_bare<starttls_cmd>, c::starttls, in_not_authenticated},
    {"AUTHENTICATE", parse_authenticate, c::authenticate, in_not_authenticated},
    {"LOGIN", parse_login, c::login, in_not_authenticated},
    // RFC 3501 §6.3: authenticated (and selected)
    {"ENABLE", parse_enable, c::enable, after_login},  // RFC 5161 §3.1
    {"SELECT", parse_select, c::select, after_login, false, true},
    {"EXAMINE", parse_examine, c::select, after_login, false, true},
    {"CREATE", parse_create, c::create, after_login},
    {"DELETE", parse_delete, c::delete_, after_login},
    {"RENAME", parse_rename, c::rename, after_login},
    {"SUBSCRIBE", parse_subscribe, c::subscribe, after_login},
    {"UNSUBSCRIBE", parse_unsubscribe, c::subscribe, after_login},
    {"LIST", parse_list, c::list, after_login},
    {"LSUB", parse_lsub, c::list, after_login},
    {"NAMESPACE", parse_bare<namespace_cmd>, c::namespace_, after_login},
    {"STATUS", parse_status, c::status, after_login},
    {"APPEND", parse_append, c::append, after_login},
    {"RESETKEY", parse_resetkey, c::resetkey, after_login},      // RFC 4467 §7.1
    {"GENURLAUTH", parse_genurlauth, c::genurlauth, after_login},  // RFC 4467 §7.2
    {"URLFETCH", parse_urlfetch, c::urlfetch, after_login},      // RFC 4467 §7.3
    {"XKEY", parse_xkey, c::xkey, after_login},                  // docs/xencrypted.md
    // Opened and run by the session (session.cpp handle_sealed).
    {"XSEALED", parse_xsealed, c::xsealed, after_login},
    {"IDLE", parse_bare<idle_cmd>, c::idle, after_login},  // RFC 2177 §3
    {"NOTIFY", parse_notify, c::notify, after_login},     // RFC 5465 §3.1
    {"COMPRESS", parse_compress, c::compress, after_login},  // RFC 4978 §3 (command-auth)
    {"GETMETADATA", parse_getmetadata, c::getmetadata, after_login},  // RFC 5464 §4.2
    {"SETMETADATA", parse_setmetadata, c::setmetadata, after_login},  // RFC 5464 §4.3
    {"CONVERSIONS", parse_conversions, c::conversions, after_login},  // RFC 5259 §5.1 (command-auth)
    // RFC 3501 §6.4: selected
    {"CHECK", parse_bare<check_cmd>, c::check, in_selected},
    {"CLOSE", parse_bare<close_cmd>, c::close, in_selected},
    {"UNSELECT", parse_bare<unselect_cmd>, c::unselect, in_selected},  // RFC 3691
    {"FETCH", parse_fetch, c::fetch, in_selected, true},
    {"UID FETCH", parse_uid_fetch, c::fetch, in_selected},
    {"CONVERT", parse_convert, c::convert, in_selected, true},  // RFC 5259 §6 (command-select)
    {"UID CONVERT", parse_uid_convert, c::convert, in_selected},
    {"SEARCH", parse_search, c::search, in_selected, true},
    {"UID SEARCH", parse_uid_search, c::search, in_selected},
    {"SORT", parse_sort, c::sort, in_selected},              // RFC 5256 §3
    {"UID SORT", parse_uid_sort, c::sort, in_selected},
    {"THREAD", parse_thread, c::thread, in_selected},
    {"UID THREAD", parse_uid_thread, c::thread, in_selected},
    {"CANCELUPDATE", parse_cancelupdate, c::cancel_update, in_selected},  // RFC 5267 §4.3.5
    {"STORE", parse_store, c::store, in_selected, true},
    {"UID STORE", parse_uid_store, c::store, in_selected},
    {"COPY", parse_copy, c::copy, in_selected},
    {"UID COPY", parse_uid_copy, c::copy, in_selected},
    {"MOVE", parse_move, c::copy, in_selected},          // RFC 6851 §3.1
    {"UID MOVE", parse_uid_move, c::copy, in_selected},  // RFC 6851 §3.2
    {"EXPUNGE", parse_expunge, c::expunge, in_selected},
    {"UID EXPUNGE", parse_uid_expunge, c::expunge, in_selected},  // RFC 4315 §2.1
};

}  // namespace

const command_spec* find_command(std::string_view name) {
  for (auto& row : table)
    if (row.name == name) return &row;
  return nullptr;
}

bool allowed_in(const command_spec& spec, session_state s) {
  switch (s) {
    case session_state::not_authenticated: return spec.states & in_not_authenticated;
    case session_state::authenticated: return spec.states & in_authenticated;
    case session_state::selected: return spec.states & in_selected;
    case session_state::logout: return false;
  }
  return false;
}

}  // namespace lemonade::imap
