#include "delivery/dsn.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include "core/dates.hpp"

namespace lemonade::delivery {
namespace {


std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The header of a message: up to and including its blank line.
std::string_view header_of(std::string_view m) {
  auto end = m.find("\r\n\r\n");
  return end == std::string_view::npos ? m : m.substr(0, end + 4);
}

// Text for a header field or a report line: CR, LF and controls out.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

}  // namespace

bool wants_report(const store::queued_recipient& r, dsn_action action) {
  auto notify = r.notify & store::notify_dsn_bits;
  if (notify & store::notify_never) return false;
  // A relay that passed the DSN parameters on leaves success reports to
  // the next hop (RFC 3461 §6.2.1).
  if (action == dsn_action::delivered)
    return (notify & store::notify_success) != 0 && !r.last_reply.starts_with("250 2.0.0 relayed with DSN:");
  // RFC 3461 §4.1: "the absence of a NOTIFY parameter in a RCPT command
  // may be interpreted as either NOTIFY=FAILURE or NOTIFY=FAILURE,DELAY":
  // the latter here, so a sender hears of mail stuck for hours.
  if (action == dsn_action::delayed) return notify == 0 || (notify & store::notify_delay) != 0;
  return notify == 0 || (notify & store::notify_failure) != 0;
}

std::string status_of(std::string_view reply) {
  // "550 5.1.1 text": the second word when it looks like class.subject.detail.
  auto sp = reply.find(' ');
  if (sp != std::string_view::npos) {
    auto rest = reply.substr(sp + 1);
    auto word = rest.substr(0, rest.find(' '));
    if (word.size() >= 5 && (word[0] == '2' || word[0] == '4' || word[0] == '5') && word[1] == '.') return std::string(word);
  }
  return reply.starts_with("2") ? "2.0.0" : reply.starts_with("4") ? "4.0.0" : "5.0.0";
}

std::string make_report(const store::queued_message& m, const std::vector<store::queued_recipient>& recipients,
                        dsn_action action, std::string_view original, const std::string& reporting_host,
                        std::int64_t retry_until) {
  bool failed = action == dsn_action::failed;
  bool delayed = action == dsn_action::delayed;
  auto now = now_seconds();
  std::random_device rd;
  auto token = std::to_string(now) + "." + std::to_string(rd()) + "." + std::to_string(m.id);
  std::string boundary = "=_dsn_" + token;
  std::string out;
  out += "From: Mail Delivery System <MAILER-DAEMON@" + reporting_host + ">\r\n";
  out += "To: <" + clean(m.sender) + ">\r\n";
  out += std::string("Subject: ") +
         (failed    ? "Undelivered Mail Returned to Sender"
          : delayed ? "Delayed Mail (still being retried)"
                    : "Successful Mail Delivery Report") +
         "\r\n";
  out += "Date: " + core::rfc5322_date(now) + "\r\n";
  out += "Message-ID: <dsn." + token + "@" + reporting_host + ">\r\n";
  // RFC 3834 §5: a report is not to be answered automatically.
  out += "Auto-Submitted: auto-replied\r\n";
  out += "MIME-Version: 1.0\r\n";
  // RFC 6522 §3: multipart/report; report-type=delivery-status.
  out += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n\r\n";

  out += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  if (failed) {
    out += "Your message could not be delivered to these recipients:\r\n\r\n";
  } else if (delayed) {
    out += "Your message has not been delivered yet to these recipients. Nothing needs to be done:\r\n"
           "the server keeps trying" +
           (retry_until ? " until " + core::rfc5322_date(retry_until) : std::string()) +
           ", and writes again only if it gives up.\r\n\r\n";
  } else {
    out += "Your message was delivered to these recipients:\r\n\r\n";
  }
  for (auto& r : recipients) out += "  <" + clean(r.address) + ">: " + clean(r.last_reply) + "\r\n";
  out += "\r\n";

  // RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields.
  out += "--" + boundary + "\r\nContent-Type: message/delivery-status\r\n\r\n";
  out += "Reporting-MTA: dns; " + reporting_host + "\r\n";
  if (!m.envid.empty()) out += "Original-Envelope-Id: " + clean(m.envid) + "\r\n";
  out += "Arrival-Date: " + core::rfc5322_date(m.created) + "\r\n";
  for (auto& r : recipients) {
    out += "\r\n";
    if (!r.orcpt.empty()) {
      // RFC 3464 §2.3.1: the ORCPT as given, its address xtext-decoded.
      auto semi = r.orcpt.find(';');
      out += "Original-Recipient: " + clean(r.orcpt.substr(0, semi)) + ";" + clean(r.orcpt.substr(semi + 1)) + "\r\n";
    }
    out += "Final-Recipient: rfc822; " + clean(r.address) + "\r\n";
    bool relayed = r.last_reply.starts_with("250 2.0.0 relayed:");
    // RFC 3464 §2.3.3 "expanded": delivered to an alias and passed on to
    // several addresses (RFC 3461 §5.2.7.3 (c)).
    bool expanded = r.last_reply.starts_with(expanded_reply);
    out += std::string("Action: ") +
           (failed    ? "failed"
            : delayed ? "delayed"
            : relayed ? "relayed"
            : expanded ? "expanded"
                      : "delivered") +
           "\r\n";
    out += "Status: " + status_of(r.last_reply) + "\r\n";
    if (!r.last_reply.empty()) out += "Diagnostic-Code: smtp; " + clean(r.last_reply) + "\r\n";
    out += "Last-Attempt-Date: " + core::rfc5322_date(now) + "\r\n";
    // RFC 3464 §2.3.9: when the reporting MTA will stop trying.
    if (delayed && retry_until) out += "Will-Retry-Until: " + core::rfc5322_date(retry_until) + "\r\n";
  }
  out += "\r\n";

  // RFC 3461 §4.3 RET: HDRS, or a success report without RET, returns the
  // header only.
  bool headers_only = m.ret == 2 || (m.ret == 0 && !failed) || delayed;
  if (headers_only) {
    out += "--" + boundary + "\r\nContent-Type: text/rfc822-headers\r\n\r\n";
    out += header_of(original);
  } else {
    out += "--" + boundary + "\r\nContent-Type: message/rfc822\r\n\r\n";
    out += original;
    if (!original.ends_with("\r\n")) out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace lemonade::delivery
