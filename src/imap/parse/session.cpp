// RFC 5161 ENABLE, RFC 2971 ID.
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
