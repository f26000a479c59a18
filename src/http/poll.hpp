#pragma once
// The long-poll binding of the HTTPS listener (docs/http-binding.md,
// "Long polling"), for paths that break WebSocket or long requests: a POST
// carries the client's octets, a GET held until the session has output
// returns the server's, both naming the session by its token; every answer
// is a whole response with Content-Length. Internal to http/: key_api.cpp
// hands it the requests for /imap and /submission that are not upgrades.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/binding.hpp"
#include "http/poll_request.hpp"

namespace lemonade::http {

class binding_registry;

// Answers one request of the binding for `protocol` (bindings::protocol_at).
// `login` is the user the request's HTTP Basic credentials logged in
// (store::login_name), when it carried any; the caller refused wrong ones.
// A session that has logged in answers only requests carrying its user's;
// `password` is theirs where the listener has no user directory to check
// it (the proxy's): the session checks it (client_facts::logged_in_password);
// nullopt where the directory did.
boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> serve_poll(
    boost::asio::io_context& ioc, std::shared_ptr<binding_registry> registry,
    const boost::beast::http::request<boost::beast::http::string_body>& req, poll_request op,
    std::string_view protocol, const adopt_session& adopt, client_facts client, std::optional<std::string> login,
    std::optional<std::string> password);

}  // namespace lemonade::http
