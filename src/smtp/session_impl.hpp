#pragma once
// Private to the session's files: running blocking work on a pool.

#include <exception>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "smtp/session.hpp"

namespace lemonade::smtp {

template <class F>
auto session::blocking(F f, asio::any_io_executor pool) -> asio::awaitable<decltype(f())> {
  // Runs f on a pool thread and resumes here (the session's strand).
  using R = decltype(f());
  auto self = shared_from_this();
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
      [&](auto handler) {
        asio::post(pool, [f = std::move(f), handler = std::move(handler)]() mutable {
          std::exception_ptr e;
          R r{};
          try {
            r = f();
          } catch (...) {
            e = std::current_exception();
          }
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, [handler = std::move(handler), e, r = std::move(r)]() mutable {
            std::move(handler)(e, std::move(r));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace lemonade::smtp
