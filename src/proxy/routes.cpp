#include "proxy/routes.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "net/endpoint.hpp"

namespace lemonade::proxy {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

std::optional<backend> parse_backend(const std::string& url) {
  backend b;
  std::string_view rest;
  if (url.starts_with("imap://")) {
    rest = std::string_view(url).substr(7);
  } else if (url.starts_with("imaps://")) {
    rest = std::string_view(url).substr(8);
    b.tls = true;
    b.port = 993;
  } else {
    return std::nullopt;
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  auto hp = net::parse_host_port(std::string(rest));
  if (hp) {
    b.host = hp->host;
    b.port = hp->port;
  } else if (!rest.empty() && rest.find_first_of(":/[]@ ") == std::string_view::npos) {
    b.host = std::string(rest);
  } else {
    return std::nullopt;
  }
  return b;
}

route parse_route(std::string_view urls) {
  route out;
  while (true) {
    auto comma = urls.find(',');
    auto one = std::string(trim(urls.substr(0, comma)));
    auto b = parse_backend(one);
    if (!b) {
      // A user:password@ in it stays out of the log.
      if (auto at = one.find('@'); at != std::string::npos) one = "…" + one.substr(at);
      throw std::invalid_argument("\"" + one + "\" is not imap://host:port or imaps://host:port");
    }
    if (!b->tls && !loopback(b->host))
      throw std::invalid_argument("imap://" + b->host +
                                  " would send passwords in the clear; use imaps:// for a backend on another host");
    out.push_back(std::move(*b));
    if (comma == std::string_view::npos) break;
    urls.remove_prefix(comma + 1);
  }
  return out;
}

router::router(route fallback, std::filesystem::path file) : fallback_(std::move(fallback)), file_(std::move(file)) {
  if (!file_.empty()) load();
}

void router::load() {
  std::error_code ec;
  auto stamp = std::filesystem::last_write_time(file_, ec);
  std::ifstream in(file_);
  if (ec || !in) throw std::invalid_argument(file_.string() + ": cannot be read");
  std::map<std::string, route> users, domains;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto text = trim(line);
    if (auto hash = text.find('#'); hash != std::string_view::npos) text = trim(text.substr(0, hash));
    if (text.empty()) continue;
    auto sp = text.find_first_of(" \t");
    if (sp == std::string_view::npos)
      throw std::invalid_argument(file_.string() + ":" + std::to_string(n) + ": a name and its backends");
    auto name = core::to_lower(text.substr(0, sp));
    try {
      auto r = parse_route(trim(text.substr(sp + 1)));
      auto& table = name.starts_with("@") ? domains : users;
      if (name.starts_with("@")) name.erase(0, 1);
      if (name.empty() || !table.emplace(name, std::move(r)).second)
        throw std::invalid_argument(name.empty() ? "an empty name" : "\"" + name + "\" twice");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(file_.string() + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  users_ = std::move(users);
  domains_ = std::move(domains);
  remember(stamp);
}

void router::remember(std::filesystem::file_time_type stamp) {
  // A file written within the last two seconds may still be being
  // written with the same time stamp (a tick is coarse): read it again at
  // the next login ("racy" stamps, as git has them).
  std::error_code ec;
  auto size = std::filesystem::file_size(file_, ec);
  bool racy = std::filesystem::file_time_type::clock::now() - stamp < std::chrono::seconds(2);
  loaded_ = racy ? std::filesystem::file_time_type{} : stamp;
  loaded_size_ = ec ? 0 : size;
}

route router::lookup(std::string_view user) {
  std::lock_guard lock(mu_);
  if (!file_.empty()) {
    std::error_code ec;
    auto stamp = std::filesystem::last_write_time(file_, ec);
    if (ec) {
      if (!missing_)
        spdlog::error("event=routes_reload_failed file={} error=\"{}\" (the routes read before stay)", file_.string(),
                      ec.message());
      missing_ = true;
    } else if (stamp != loaded_ || std::filesystem::file_size(file_, ec) != loaded_size_) {
      missing_ = false;
      try {
        load();
        spdlog::info("event=routes_loaded file={} users={} domains={}", file_.string(), users_.size(),
                     domains_.size());
      } catch (const std::invalid_argument& e) {
        remember(stamp);  // reported once per change
        spdlog::error("event=routes_reload_failed error=\"{}\" (the routes read before stay)", e.what());
      }
    }
  }
  auto name = core::to_lower(user);
  if (auto it = users_.find(name); it != users_.end()) return it->second;
  if (auto at = name.rfind('@'); at != std::string::npos)
    if (auto it = domains_.find(name.substr(at + 1)); it != domains_.end()) return it->second;
  return fallback_;
}

std::vector<backend> router::all() {
  std::lock_guard lock(mu_);
  std::vector<backend> out = fallback_;
  for (auto* t : {&users_, &domains_})
    for (auto& [name, r] : *t) out.insert(out.end(), r.begin(), r.end());
  return out;
}

}  // namespace lemonade::proxy
