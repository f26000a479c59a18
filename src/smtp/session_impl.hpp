#pragma once
// Private to the session's files: running blocking work on a pool.

#include "net/inline_reads.hpp"
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

template <class F>
auto session::quick_read(F f) -> asio::awaitable<decltype(f())> {
  if (srv_.quick_reads && srv_.quick_reads->admit()) {
    struct timer {
      net::inline_reads& policy;
      net::inline_reads::clock::time_point started = net::inline_reads::clock::now();
      ~timer() { policy.took(net::inline_reads::clock::now() - started); }
    } t{*srv_.quick_reads};
    co_return f();
  }
  co_return co_await blocking(std::move(f), srv_.reads);
}

}  // namespace lemonade::smtp
