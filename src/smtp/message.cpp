#include "smtp/message.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include "core/dates.hpp"
#include "core/strings.hpp"

namespace lemonade::smtp {

std::string rfc5322_now() { return core::rfc5322_date(std::time(nullptr)); }

bool has_field(std::string_view header, std::string_view name) {
  std::size_t at = 0;
  while (at < header.size()) {
    auto line_end = header.find('\n', at);
    auto line = header.substr(at, line_end == std::string_view::npos ? std::string_view::npos : line_end - at);
    if (line.empty() || line == "\r") return false;  // the blank line ends the header
    if (line.size() > name.size() && core::istarts_with(line, name)) {
      auto rest = line.substr(name.size());
      auto colon = rest.find_first_not_of(" \t");
      if (colon != std::string_view::npos && rest[colon] == ':') return true;
    }
    if (line_end == std::string_view::npos) break;
    at = line_end + 1;
  }
  return false;
}

message_writer::message_writer(store::staged_message& out, std::string received, std::string hostname,
                               std::size_t max_header, bool add_missing)
    : out_(out),
      received_(std::move(received)),
      hostname_(std::move(hostname)),
      max_header_(max_header),
      add_missing_(add_missing) {}

void message_writer::release(bool header_complete) {
  std::string prefix = received_;
  if (header_complete && add_missing_) {
    if (!has_field(header_, "Date")) prefix += "Date: " + rfc5322_now() + "\r\n";
    if (!has_field(header_, "Message-ID")) {
      std::random_device rd;
      std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
      auto ts = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
      prefix += "Message-ID: <" + std::to_string(ts) + "." + std::to_string(r) + "@" + hostname_ + ">\r\n";
    }
  }
  out_.write(prefix);
  out_.write(header_);
  header_.clear();
  header_.shrink_to_fit();
  streaming_ = true;
}

void message_writer::write(std::string_view piece) {
  client_octets_ += piece.size();
  if (streaming_) {
    out_.write(piece);
    return;
  }
  auto before = header_.size();
  header_ += piece;
  // The header ends at the first empty line ("\r\n\r\n", or at the very
  // start when there is no header at all).
  auto from = before >= 3 ? before - 3 : 0;
  bool ended = header_.starts_with("\r\n") || header_.find("\r\n\r\n", from) != std::string::npos ||
               header_.find("\n\n", from) != std::string::npos;
  if (ended) release(true);
  else if (header_.size() > max_header_) release(false);
}

void message_writer::finish() {
  if (!streaming_) release(!header_.empty());
}

}  // namespace lemonade::smtp
