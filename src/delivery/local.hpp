#pragma once
// Where mail for an address of this server goes, and putting it there: the
// one path every arrival takes (submission's local recipients, LMTP, and
// Sieve later), so each is parsed once (mailbox::describe), stored
// durably and announced to IDLE/NOTIFY sessions like an APPEND.
//
// Addresses (issue 14): account NAME receives NAME@D for every D in
// server.domains; an account named as a full address ("alice@example.org")
// receives exactly that address; NAME+DETAIL@D goes to NAME, into mailbox
// DETAIL when it exists. Local parts and domains compare case-insensitively
// (account names are stored as given, looked up without case). Aliases
// (server.aliases) name an account, or an address of one, for a local part
// at every local domain or for one full address; an alias is looked up
// before the account of the same name, and its target without aliases (no
// chains, no loops). An alias with two or more targets is a list: each
// target that names an account gets its own copy, through the queue, and
// the list is no one's sender address (a list of one is an alias).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mailbox/account.hpp"
#include "mailbox/describe.hpp"
#include "store/api/store.hpp"

namespace lemonade::delivery {

struct local_target {
  store::user_record user;
  std::string detail;  // the "+detail" part, "" when none
};

class local_addresses {
 public:
  // detail_mailboxes false: NAME+DETAIL@D still reaches NAME, always in
  // INBOX (server.detail_mailbox).
  local_addresses(store::user_directory& users, std::vector<std::string> domains,
                  std::map<std::string, std::vector<std::string>> aliases = {}, bool detail_mailboxes = true)
      : users_(users), domains_(std::move(domains)), aliases_(std::move(aliases)), detail_mailboxes_(detail_mailboxes) {}
  // True when `domain` is one of ours (recipients there must exist).
  bool is_local_domain(std::string_view domain) const;
  // The account an address of this server reaches; nullopt when the
  // address is not ours, names no account, or is a list. Blocking (reads
  // the users).
  std::optional<local_target> resolve(std::string_view local, std::string_view domain) const;
  // The account an address names without aliases (NAME@D, a full-address
  // account, +detail); what a list's members are. Blocking.
  std::optional<local_target> resolve_account(std::string_view local, std::string_view domain) const {
    return resolve_plain(local, domain);
  }
  // Whether the address is a list: an alias with several targets.
  bool is_list(std::string_view local, std::string_view domain) const;
  // A list's members that name an account now, each as the address that
  // reaches it ("alice@D", "bob@example.org", "carol+detail@D"), each
  // once; nullopt when the address is not a list. Blocking.
  std::optional<std::vector<std::string>> list_members(std::string_view local, std::string_view domain) const;
  // Whether `user` may use the address as its sender (RFC 6409 §5.1: the
  // MSA checks MAIL FROM): one of its own addresses, detail included.
  bool owns(const store::user_record& user, std::string_view local, std::string_view domain) const;

 private:
  std::optional<local_target> resolve_plain(std::string_view local, std::string_view domain) const;
  std::optional<local_target> resolve_target(const std::string& target) const;
  const std::vector<std::string>* alias_of(std::string_view local, std::string_view domain) const;

  store::user_directory& users_;
  std::vector<std::string> domains_;
  std::map<std::string, std::vector<std::string>> aliases_;  // lower-case keys
  bool detail_mailboxes_ = true;
};

// RFC 3030 BINARYMIME and RFC 3516 literal8 let NUL octets arrive; no
// IMAP4rev1 client may be sent one, so a body part holding one is stored
// base64-encoded (mime::encode_nul_parts: no data lost). False when a NUL
// lies outside any body part (a header), where nothing can carry it: the
// receiving protocol refuses such a message before accepting it.
bool storable(std::string_view octets, const mailbox::describe_limits& limits);

// Stores `octets` as a new message in `target`'s mailbox (DETAIL when it
// exists and is selectable, else INBOX), announced to the account's
// sessions. Blocking: storage threads only. Throws store::error.
store::append_result deliver(mailbox::account_registry& accounts, const local_target& target, std::string octets,
                             const mailbox::describe_limits& limits);
// The same for content staged (finished or not) in target's own account
// (store::account_store::stage_message): stored by renaming the file, not
// by copying it. Content with a NUL is copied, as it must be re-encoded.
store::append_result deliver(mailbox::account_registry& accounts, const local_target& target,
                             std::shared_ptr<store::staged_message> staged, const mailbox::describe_limits& limits);

}  // namespace lemonade::delivery
