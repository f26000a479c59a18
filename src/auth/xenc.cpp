#include "auth/xenc.hpp"

#include <stdexcept>

#include "auth/password.hpp"

namespace lemonade::auth::xenc {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void put_counted(std::string& out, std::string_view s) {
  if (s.size() > 0xffff) throw std::invalid_argument("xenc: associated field longer than 65535 octets");
  out += static_cast<char>(s.size() >> 8);
  out += static_cast<char>(s.size() & 0xff);
  out += s;
}

}  // namespace

std::string session_key(std::string_view device_key, const binding& b) {
  // RFC 5869 §2.2 extract, §2.3 expand with one block (L = 32 = HashLen).
  auto prk = hmac_sha256(b.client_nonce + b.server_nonce, device_key);
  auto key = hmac_sha256(prk, std::string("lemonade-xenc/1") + '\x01');
  aead::wipe(prk);
  return key;
}

std::string encode_header(const header& h) {
  if (h.key_id.size() != key_id_size) throw std::invalid_argument("xenc: key id must be 8 octets");
  if (h.nonce.size() != aead::nonce_size) throw std::invalid_argument("xenc: nonce must be 12 octets");
  std::string out;
  out.reserve(header_size);
  out += static_cast<char>(version);
  out += static_cast<char>(h.dir);
  out += h.key_id;
  put_u64(out, h.seq);
  out += h.nonce;
  return out;
}

std::optional<header> decode_header(std::string_view octets) {
  if (octets.size() < header_size || static_cast<std::uint8_t>(octets[0]) != version) return std::nullopt;
  header h;
  if (octets[1] == 'S') h.dir = direction::to_client;
  else if (octets[1] == 'C') h.dir = direction::to_server;
  else return std::nullopt;
  h.key_id = std::string(octets.substr(2, key_id_size));
  for (std::size_t i = 0; i < 8; ++i) h.seq = (h.seq << 8) | static_cast<std::uint8_t>(octets[10 + i]);
  h.nonce = std::string(octets.substr(18, aead::nonce_size));
  return h;
}

std::string associated_data(std::string_view header_octets, const binding& b, std::string_view context) {
  if (b.client_nonce.size() != session_nonce_size || b.server_nonce.size() != session_nonce_size)
    throw std::invalid_argument("xenc: session nonces must be 16 octets");
  std::string aad = "lemonade-xenc/1";
  aad += header_octets;
  put_counted(aad, b.account);
  aad += b.client_nonce;
  aad += b.server_nonce;
  put_counted(aad, context);
  return aad;
}

namespace {

std::string make_header(direction dir, std::string_view key_id, std::uint64_t seq) {
  return encode_header({dir, std::string(key_id), seq, aead::random_octets(aead::nonce_size)});
}

}  // namespace

writer::writer(std::string_view key, direction dir, std::string_view key_id, std::uint64_t seq, const binding& b,
               std::string_view context)
    : header_(make_header(dir, key_id, seq)),
      enc_(key, std::string_view(header_).substr(18, aead::nonce_size), associated_data(header_, b, context)) {}

std::string seal(std::string_view key, direction dir, std::string_view key_id, std::uint64_t seq, const binding& b,
                 std::string_view context, std::string_view plain) {
  writer w(key, dir, key_id, seq, b, context);
  std::string out = w.header_octets();
  out.reserve(plain.size() + overhead);
  w.update(plain, out);
  w.finish(out);
  return out;
}

std::optional<opened> open(std::string_view key, std::string_view key_id, direction dir, const binding& b,
                           std::string_view context, std::string_view object) {
  if (object.size() < overhead) return std::nullopt;
  auto h = decode_header(object);
  if (!h || h->dir != dir || h->key_id != key_id) return std::nullopt;
  auto head = object.substr(0, header_size);
  auto plain = aead::open(key, h->nonce, associated_data(head, b, context), object.substr(header_size));
  if (!plain) return std::nullopt;
  return opened{std::move(*h), std::move(*plain)};
}

session_keys bind_session(std::string key_id, std::string& secret, std::string account, std::string client_nonce) {
  session_keys x;
  x.key_id = std::move(key_id);
  x.binding = {std::move(account), std::move(client_nonce), aead::random_octets(session_nonce_size)};
  x.key = session_key(secret, x.binding);
  aead::wipe(secret);
  return x;
}

std::optional<opened> open_client(const session_keys& x, std::string_view context, std::string_view object) {
  return open(x.key, x.key_id, direction::to_server, x.binding, context, object);
}

namespace {
constexpr std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t code_length = 20;
}  // namespace

std::string make_code() {
  auto random = aead::random_octets(code_length);
  std::string out;
  for (std::size_t i = 0; i < code_length; ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    out += crockford[static_cast<unsigned char>(random[i]) % 32];  // 256 = 8 * 32: no bias
  }
  return out;
}

std::optional<std::string> code_hash(code_use use, std::string_view typed) {
  std::string code;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (u == 'O') u = '0';
    if (u == 'I' || u == 'L') u = '1';
    if (crockford.find(u) == std::string_view::npos) return std::nullopt;
    code += u;
  }
  if (code.size() != code_length) return std::nullopt;
  return sha256((use == code_use::pairing ? "lemonade-pairing/1 " : "lemonade-app-password/1 ") + code);
}

}  // namespace lemonade::auth::xenc
