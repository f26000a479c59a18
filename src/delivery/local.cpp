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

const std::vector<std::string>* local_addresses::alias_of(std::string_view local, std::string_view domain) const {
  if (aliases_.empty()) return nullptr;
  auto it = aliases_.end();
  if (!domain.empty()) it = aliases_.find(core::to_lower(std::string(local) + "@" + std::string(domain)));
  if (it == aliases_.end() && is_local_domain(domain)) it = aliases_.find(core::to_lower(local));
  return it == aliases_.end() ? nullptr : &it->second;
}

std::optional<local_target> local_addresses::resolve_target(const std::string& target) const {
  auto at = target.rfind('@');
  if (at == std::string::npos) return resolve_plain(target, domains_.empty() ? "" : domains_.front());
  return resolve_plain(std::string_view(target).substr(0, at), std::string_view(target).substr(at + 1));
}

std::optional<local_target> local_addresses::resolve(std::string_view local, std::string_view domain) const {
  if (auto* targets = alias_of(local, domain)) {
    if (targets->size() != 1) return std::nullopt;  // a list
    return resolve_target(targets->front());
  }
  return resolve_plain(local, domain);
}

bool local_addresses::is_list(std::string_view local, std::string_view domain) const {
  auto* targets = alias_of(local, domain);
  return targets && targets->size() > 1;
}

std::optional<std::vector<std::string>> local_addresses::list_members(std::string_view local,
                                                                      std::string_view domain) const {
  auto* targets = alias_of(local, domain);
  if (!targets || targets->size() < 2) return std::nullopt;
  std::vector<std::string> members;
  for (auto& t : *targets) {
    auto target = resolve_target(t);
    if (!target) continue;  // an account deleted since the config was written
    // The address that reaches this account without aliases: its name
    // when that is a full address, else the name at the first domain.
    auto& name = target->user.name;
    std::string address;
    if (name.find('@') != std::string::npos) address = name;
    else address = name + (target->detail.empty() ? "" : "+" + target->detail) + "@" + (domains_.empty() ? "" : domains_.front());
    bool seen = false;
    for (auto& m : members) seen = seen || core::iequals(m, address);
    if (!seen) members.push_back(std::move(address));
  }
  return members;
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
