#include "smtp/syntax/framer.hpp"

#include <algorithm>

namespace lemonade::smtp::syntax {

line_event line_framer::next(std::string_view input) {
  line_event e;
  auto nl = input.find('\n');
  if (discarding_) {
    // Dropping the rest of an over-long line.
    if (input.empty()) return e;  // need_more
    e.what = line_event::kind::too_long;
    if (nl == std::string_view::npos) {
      e.size = input.size();
      return e;
    }
    discarding_ = false;
    e.size = nl + 1;
    e.ended = true;
    return e;
  }
  if (nl == std::string_view::npos) {
    if (input.size() < max_line_) return e;  // need_more
    e.what = line_event::kind::too_long;
    e.size = input.size();
    discarding_ = true;
    return e;
  }
  if (nl + 1 > max_line_) {
    e.what = line_event::kind::too_long;
    e.size = nl + 1;
    e.ended = true;
    return e;
  }
  e.what = line_event::kind::line;
  e.size = nl + 1;
  return e;
}

std::string_view strip_line_end(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void data_decoder::emit(std::string_view octets, std::string& out) {
  auto room = size_ >= max_size_ ? 0 : max_size_ - size_;
  if (room > 0) out.append(octets.substr(0, room));
  size_ += octets.size();
}

data_decoder::result data_decoder::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (st_) {
      case state::in_line: {
        // The common case: a run of ordinary octets copied at once, up to
        // the next CR or LF: two memchr scans (find_first_of would call
        // memchr once per octet), each within a 4 KB window so that input
        // full of bare CRs or LFs is still read in linear time.
        auto window = in.substr(0, std::min(in.size(), i + 4096));
        auto stop = window.find('\n', i);
        if (stop == std::string_view::npos) stop = window.size();
        auto cr = window.substr(0, stop).find('\r', i);
        if (cr != std::string_view::npos) stop = cr;
        if (stop > i) {
          emit(in.substr(i, stop - i), out);
          i = stop;
          continue;
        }
        if (c == '\r') {
          st_ = state::cr;
        } else {  // a bare LF
          bare_ = true;
          emit("\n", out);
          st_ = state::line_start;
        }
        ++i;
        break;
      }
      case state::cr:
        if (c == '\n') {
          emit("\r\n", out);
          st_ = state::line_start;
          ++i;
        } else {
          bare_ = true;  // a bare CR: kept, the line goes on
          emit("\r", out);
          st_ = state::in_line;
        }
        break;
      case state::line_start:
        if (c == '.') {
          st_ = state::dot;
          ++i;
        } else {
          st_ = state::in_line;
        }
        break;
      case state::dot:
        // A leading dot is dropped (transparency); "." CR may end it all.
        if (c == '\r') {
          st_ = state::dot_cr;
          ++i;
        } else {
          st_ = state::in_line;
        }
        break;
      case state::dot_cr:
        if (c == '\n') {
          st_ = state::line_start;
          return {i + 1, true};
        }
        // "." CR then something else: the dot was stuffing, the CR bare.
        bare_ = true;
        emit("\r", out);
        st_ = state::in_line;
        break;
    }
  }
  return {in.size(), false};
}

}  // namespace lemonade::smtp::syntax
