#pragma once
// TLS contexts (TLS 1.2 and later) and the self-signed certificate a first
// run makes.

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace lemonade::net {

// Server context from PEM files. Throws std::runtime_error with a one-line
// reason (unreadable file, key does not match).
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const std::filesystem::path& cert,
                                                           const std::filesystem::path& key);

// Client context (TLS 1.2 and later) for the connections Lemonade makes
// itself (the submission server fetching BURL URLs from an IMAP server).
// With verify, the peer's chain must check against `ca_file` (or the
// system's store when empty) and stream::start_tls_client checks the
// name; without, any certificate is taken (a store on loopback with its
// self-signed certificate).
std::shared_ptr<boost::asio::ssl::context> make_client_tls(bool verify, const std::filesystem::path& ca_file = {});

// Writes a self-signed certificate (EC P-256, 10 years, CN and SAN =
// hostname, plus localhost/127.0.0.1/::1) unless both files exist.
// Returns true if it made them.
bool ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                        const std::string& hostname);

}  // namespace lemonade::net
