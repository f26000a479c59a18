// Commands of proxy deployments (docs/xencrypted.md).
#include "core/strings.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

std::string hex_octets(lexer& in, std::size_t octets, const char* what) {
  auto text = in.atom();
  if (!in.ok()) return {};
  auto v = core::hex_decode(text);
  if (!v || v->size() != octets) in.fail(std::string(what) + " must be " + std::to_string(octets * 2) + " hex digits");
  return v ? *v : std::string();
}

}  // namespace

command_args parse_xkey(lexer& in, const parse_options&) {
  xkey_cmd c;
  in.sp();
  c.key_id = hex_octets(in, 8, "the key id");
  in.sp();
  c.client_nonce = hex_octets(in, 16, "the client nonce");
  in.end();
  return c;
}

command_args parse_xsealed(lexer& in, const parse_options&) {
  xsealed_cmd c;
  in.sp();
  bool binary = false, encrypted = false;
  auto data = in.literal_data(true, binary, &encrypted);
  if (in.ok() && !encrypted) in.fail("XSEALED takes an encrypted literal ~{X<n>}");
  c.object = std::string(data);
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
