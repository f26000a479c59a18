#pragma once
// Delivery status notifications (RFC 3461 §6, RFC 3464 format, RFC 6522
// multipart/report): what the queue runner sends the sender when a
// recipient asked for it (NOTIFY=SUCCESS), failed (NOTIFY=FAILURE, the
// default) or is still being retried after a while (NOTIFY=DELAY, and by
// default: RFC 3461 §4.1 lets a missing NOTIFY mean "FAILURE,DELAY"). No
// I/O: the runner delivers the report.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/queue.hpp"

namespace lemonade::delivery {

enum class dsn_action { delivered, failed, delayed };

// The outcome recorded for a list alias (several targets) once its
// members are queued: a success report for it says "expanded" (RFC 3464
// §2.3.3; RFC 3461 §5.2.7.3 (c)).
inline constexpr std::string_view expanded_reply = "250 2.0.0 expanded:";

// Whether a recipient that ended in `action` gets a report (RFC 3461
// §4.1: NEVER none; without NOTIFY, failures and delays).
bool wants_report(const store::queued_recipient& r, dsn_action action);

// The whole report message (RFC 5322 octets, CRLF) about `recipients` of
// `m`, all of which ended in `action`. `original` is the queued content;
// RET=HDRS (and, without RET, a success report) carries only its header
// (text/rfc822-headers), else all of it (message/rfc822); a delay report
// carries the header only. `retry_until` (delay reports): when the queue
// gives up (RFC 3464 §2.3.9 Will-Retry-Until).
std::string make_report(const store::queued_message& m, const std::vector<store::queued_recipient>& recipients,
                        dsn_action action, std::string_view original, const std::string& reporting_host,
                        std::int64_t retry_until = 0);

// The RFC 3463 status of a reply like "550 5.1.1 text" ("5.0.0" or
// "2.0.0" when it has none).
std::string status_of(std::string_view reply);

}  // namespace lemonade::delivery
