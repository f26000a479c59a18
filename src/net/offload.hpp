#pragma once
// Blocking work (store I/O, password hashing) taken off a connection's
// event loop: run_on(pool, f) runs f on a thread of `pool` and resumes the
// awaiting coroutine on its own executor (a session's strand) with f's
// result, or rethrows what f threw. One helper for every protocol's
// sessions (IMAP commands, submission and LMTP).

#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lemonade::net {

namespace asio = boost::asio;

template <class F>
asio::awaitable<std::invoke_result_t<F>> run_on(asio::any_io_executor pool, F f) {
  using result_t = std::invoke_result_t<F>;
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<result_t>, int, result_t>> value;
  // f, value and error live in this coroutine's frame, which stays until
  // the handler resumes it.
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&, pool](auto handler) {
        asio::post(pool, [&, handler = std::move(handler)]() mutable {
          try {
            if constexpr (std::is_void_v<result_t>) {
              f();
              value.emplace(0);
            } else {
              value.emplace(f());
            }
          } catch (...) {
            error = std::current_exception();
          }
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, std::move(handler));
        });
      },
      asio::use_awaitable);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<result_t>) co_return std::move(*value);
}

}  // namespace lemonade::net
