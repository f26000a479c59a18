#pragma once
// Private to the session's files: running blocking work on a pool.

#include "net/offload.hpp"
#include "smtp/session.hpp"

namespace lemonade::smtp {

template <class F>
auto session::blocking(F f, asio::any_io_executor pool) -> asio::awaitable<decltype(f())> {
  // Runs f on a pool thread and resumes here (the session's strand); the
  // session stays alive meanwhile.
  auto self = shared_from_this();
  co_return co_await net::run_on(std::move(pool), std::move(f));
}

}  // namespace lemonade::smtp
