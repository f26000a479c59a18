#include "delivery/local.hpp"

#include <chrono>

#include "core/strings.hpp"
#include "mime/binary.hpp"
#include "mime/parser.hpp"

namespace lemonade::delivery {

bool local_addresses::is_local_domain(std::string_view domain) const {
  for (auto& d : domains_)
    if (core::iequals(d, domain)) return true;
  return false;
}

std::optional<local_target> local_addresses::resolve(std::string_view local, std::string_view domain) const {
  if (!aliases_.empty()) {
    auto it = aliases_.end();
    if (!domain.empty()) it = aliases_.find(core::to_lower(std::string(local) + "@" + std::string(domain)));
    if (it == aliases_.end() && is_local_domain(domain)) it = aliases_.find(core::to_lower(local));
    if (it != aliases_.end()) {
      const auto& target = it->second;
      auto at = target.rfind('@');
      if (at == std::string::npos) return resolve_plain(target, domains_.empty() ? "" : domains_.front());
      return resolve_plain(std::string_view(target).substr(0, at), std::string_view(target).substr(at + 1));
    }
  }
  return resolve_plain(local, domain);
}

std::optional<local_target> local_addresses::resolve_plain(std::string_view local, std::string_view domain) const {
  // An account named as the full address first: "alice@example.org".
  if (!domain.empty()) {
    std::string full = std::string(local) + "@" + std::string(domain);
    if (auto u = users_.find_user(full)) return local_target{std::move(*u), ""};
  }
  if (!is_local_domain(domain)) return std::nullopt;
  std::string name(local), detail;
  if (auto plus = name.find('+'); plus != std::string::npos && plus > 0) {
    detail = name.substr(plus + 1);
    name.resize(plus);
  }
  auto u = users_.find_user(name);
  if (!u) return std::nullopt;
  if (!detail_mailboxes_) detail.clear();
  return local_target{std::move(*u), std::move(detail)};
}

bool local_addresses::owns(const store::user_record& user, std::string_view local, std::string_view domain) const {
  auto t = resolve(local, domain);
  return t && t->user.id == user.id;
}

bool storable(std::string_view octets, const mailbox::describe_limits& limits) {
  if (octets.find('\0') == std::string_view::npos) return true;
  return mime::encode_nul_parts(octets, mime::parse_message(octets, limits.parse)).has_value();
}

namespace {

store::append_result append_one(mailbox::account_registry& accounts, const local_target& target, store::new_message m,
                                const mailbox::describe_limits& limits) {
  m.internal_date = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  mailbox::describe(m, limits);
  auto acct = accounts.open(target.user);
  std::optional<store::mailbox_info> mb;
  if (!target.detail.empty()) {
    mb = acct->store().find_mailbox(target.detail);
    if (mb && !mb->selectable) mb.reset();
  }
  if (!mb) mb = acct->store().find_mailbox("INBOX");
  if (!mb) throw store::error(store::error::code::nonexistent, "the account has no INBOX");
  std::vector<store::new_message> one;
  one.push_back(std::move(m));
  return acct->append(*mb, std::move(one));
}

}  // namespace

store::append_result deliver(mailbox::account_registry& accounts, const local_target& target, std::string octets,
                             const mailbox::describe_limits& limits) {
  store::new_message m;
  if (octets.find('\0') != std::string::npos) {
    auto fixed = mime::encode_nul_parts(octets, mime::parse_message(octets, limits.parse));
    if (!fixed) throw store::error(store::error::code::invalid_name, "a NUL octet outside any body part");
    octets = std::move(*fixed);
  }
  m.data = std::move(octets);
  return append_one(accounts, target, std::move(m), limits);
}

store::append_result deliver(mailbox::account_registry& accounts, const local_target& target,
                             std::shared_ptr<store::staged_message> staged, const mailbox::describe_limits& limits) {
  staged->finish();
  if (staged->view().find('\0') != std::string_view::npos)
    return deliver(accounts, target, std::string(staged->view()), limits);
  store::new_message m;
  m.staged = std::move(staged);
  return append_one(accounts, target, std::move(m), limits);
}

}  // namespace lemonade::delivery
