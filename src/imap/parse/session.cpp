// RFC 5161 ENABLE, RFC 2971 ID.
#include "core/strings.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {

command_args parse_enable(lexer& in, const parse_options&) {
  // RFC 5161 §4: "ENABLE" 1*(SP capability)
  enable_cmd c;
  do {
    in.sp();
    c.capabilities.push_back(in.keyword());
  } while (in.ok() && !in.at_end());
  in.end();
  return c;
}

command_args parse_compress(lexer& in, const parse_options&) {
  // RFC 4978 §5: compress = "COMPRESS" SP algorithm; algorithm = "DEFLATE"
  // (an atom: other names parse, and the executor refuses them).
  compress_cmd c;
  in.sp();
  c.algorithm = in.keyword();
  in.end();
  return c;
}

std::optional<std::string> invalid_entry(std::string_view name, bool specifier) {
  // RFC 5464 §3.2: "An entry name MUST NOT contain two consecutive "/"
  // characters and MUST NOT end with a "/" character"; no "*" or "%", no
  // non-ASCII octets, none in 0x00 to 0x19; "/private" or "/shared" first
  // (§6: "All entries MUST have either "/shared" or "/private" as a
  // prefix"), at least 2 components, 4 under .../vendor.
  for (unsigned char c : name)
    if (c < 0x20 || c > 0x7e || c == '*' || c == '%') return "invalid character in entry name";
  if (name.empty() || name.front() != '/') return "entry name must start with /private or /shared";
  if (name.back() == '/') return "entry name ends with /";
  if (name.find("//") != std::string_view::npos) return "entry name has //";
  std::vector<std::string_view> parts;
  for (std::size_t at = 1; at <= name.size();) {
    auto slash = std::min(name.find('/', at), name.size());
    parts.push_back(name.substr(at, slash - at));
    at = slash + 1;
  }
  if (parts[0] != "private" && parts[0] != "shared") return "entry name must start with /private or /shared";
  // A GETMETADATA entry specifier may be the scope alone ("/private" with
  // DEPTH infinity: every private entry); a name with a value may not.
  if (parts.size() < 2 && !specifier) return "entry name needs a component after the scope";
  if (parts.size() >= 2 && parts[1] == "vendor" && parts.size() < 4) return "vendor entry names have at least 4 components";
  return std::nullopt;
}

namespace {

std::string entry_name(lexer& in, bool specifier) {
  auto name = core::to_lower(in.astring());
  if (in.ok())
    if (auto why = invalid_entry(name, specifier)) in.fail(*why);
  return name;
}

}  // namespace

command_args parse_getmetadata(lexer& in, const parse_options& opts) {
  // RFC 5464 §5 (and errata 2785/2786: options before the mailbox):
  // getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
  getmetadata_cmd c;
  in.sp();
  if (in.peek('(')) {
    in.open_list();
    bool size_seen = false, depth_seen = false;
    do {
      auto opt = in.keyword();
      if (!in.ok()) break;
      in.sp();
      if (opt == "MAXSIZE" && !size_seen) {
        size_seen = true;
        c.max_size = in.number();
      } else if (opt == "DEPTH" && !depth_seen) {
        depth_seen = true;
        auto d = in.keyword();
        if (d == "0") c.depth = 0;
        else if (d == "1") c.depth = 1;
        else if (d == "INFINITY") c.depth = ~0u;
        else in.fail("DEPTH is 0, 1 or infinity");
      } else {
        in.fail("unknown GETMETADATA option " + opt.substr(0, 32));
      }
    } while (in.ok() && in.skip(' '));
    in.close_list();
    in.sp();
  }
  c.mailbox = mailbox(in, opts);
  in.sp();
  // entries = entry / "(" entry *(SP entry) ")"
  if (in.peek('(')) {
    in.open_list();
    do c.entries.push_back(entry_name(in, true));
    while (in.ok() && in.skip(' '));
    in.close_list();
  } else {
    c.entries.push_back(entry_name(in, true));
  }
  in.end();
  return c;
}

command_args parse_setmetadata(lexer& in, const parse_options& opts) {
  // setmetadata = "SETMETADATA" SP mailbox SP entry-values
  // entry-values = "(" entry-value *(SP entry-value) ")"
  // entry-value = entry SP value; value = nstring / literal8
  setmetadata_cmd c;
  in.sp();
  c.mailbox = mailbox(in, opts);
  in.sp();
  in.open_list();
  do {
    auto name = entry_name(in, false);
    in.sp();
    std::optional<std::string> value;
    if (in.peek('~')) {
      bool binary = false;
      value = std::string(in.literal_data(true, binary));
    } else {
      value = in.nstring();
    }
    c.values.emplace_back(std::move(name), std::move(value));
  } while (in.ok() && in.skip(' '));
  in.close_list();
  in.end();
  return c;
}

command_args parse_id(lexer& in, const parse_options&) {
  // RFC 2971 §4: id_params_list ::= "(" #(string SPACE nstring) ")" / nil
  id_cmd c;
  in.sp();
  if (in.peek('(')) {
    in.open_list();
    if (!in.peek(')')) {
      do {
        auto field = in.string();
        in.sp();
        auto value = in.nstring();
        // RFC 2971 §3.3: at most 30 pairs, fields of 30 octets, values of
        // 1024 octets.
        if (in.ok() && (c.params.size() >= 30 || field.size() > 30 || (value && value->size() > 1024)))
          in.fail("ID parameters over the RFC 2971 limits", "LIMIT");
        c.params.emplace_back(std::move(field), std::move(value));
      } while (in.ok() && in.skip(' '));
    }
    in.close_list();
  } else {
    if (auto v = in.nstring(); in.ok() && v) in.fail("expected NIL or a parameter list");
  }
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
