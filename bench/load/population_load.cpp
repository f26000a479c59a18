// The many-account throughput workload (issue 12 §2) in C++: the same
// draws, commands, checks and JSON as population_load.py's `run`, but one
// thread on one Boost.Asio event loop, so the generator takes a tenth of
// the CPU the Python one did and leaves the machine's two cores to the
// server under test (bench/README.md, "Population"). `populate` stays in
// Python: it is not timed.
//
//   population-load --port P --users a,b,... --corpus F [--variant open|login]
//                   [--clients C] [--accounts A] [--conns K] [--seconds S]
//                   [--seed N] [--corpus-limit L] [--password W]
//                   [--server-pid PID]
//
// Differences from the Python generator: draws come from std::mt19937_64
// (seeded with seed * 1000003 + client, like Python's random.Random there),
// so a seed gives another sequence than Python's, but the same one for
// every server; the digest of a draw is FNV-1a over its numbers.

#include <boost/asio.hpp>

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// Relative frequency of each draw: the table of bench/README.md and
// population_load.py's WEIGHTS.
enum kind : int {
    k_greeting, k_login, k_noop, k_select, k_fetch_flags, k_fetch_env, k_fetch_body,
    k_store_flag, k_store_keyword, k_append, k_expunge, k_status, k_list, k_logout, k_count
};
constexpr std::array<std::string_view, k_count> kind_names = {
    "GREETING", "LOGIN", "NOOP", "SELECT", "FETCH_FLAGS", "FETCH_ENV", "FETCH_BODY",
    "STORE_FLAG", "STORE_KEYWORD", "APPEND", "EXPUNGE", "STATUS", "LIST", "LOGOUT"};
constexpr std::array<std::pair<kind, int>, 11> weights = {{
    {k_noop, 8}, {k_select, 4}, {k_fetch_flags, 3}, {k_fetch_env, 12}, {k_fetch_body, 12},
    {k_store_flag, 14}, {k_store_keyword, 4}, {k_append, 5}, {k_expunge, 5}, {k_status, 8}, {k_list, 2}}};
constexpr std::array<std::string_view, 4> folders = {"Archive", "Sent", "Drafts", "Trash"};
constexpr auto cmd_timeout = std::chrono::seconds(120);
constexpr int digest_draws = 10;

struct options {
    std::string variant = "open";
    int port = 0, clients = 20, accounts = 20, conns = 2, seed = 1, corpus_limit = 2000;
    double seconds = 20;
    std::string password = "bench-pass", corpus;
    std::vector<std::string> users;
    int server_pid = 0;
};

double now_s() {
    return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool istarts(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequal(s.substr(0, prefix.size()), prefix);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    return std::string(s);
}

// --- the corpus: an mbox, as imap_load.load_corpus reads it ----------------

std::vector<std::string> load_corpus(const std::string& path, int limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the corpus " + path);
    std::vector<std::string> out;
    std::string cur, line;
    bool any = false;
    while (std::getline(in, line)) {
        if (line.starts_with("From ")) {
            if (any) {
                out.push_back(std::move(cur));
                cur.clear();
                if (static_cast<int>(out.size()) >= limit) return out;
            }
            any = true;
            continue;
        }
        if (line.starts_with(">From ")) line.erase(0, 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        cur += line;
        cur += "\r\n";
    }
    if (any && static_cast<int>(out.size()) < limit) out.push_back(std::move(cur));
    return out;
}

// --- FETCH response items --------------------------------------------------

// The end of the value that starts at i: a parenthesized list (nested, with
// quoted strings and literals), a quoted string, a literal or an atom.
std::size_t skip_value(std::string_view b, std::size_t i);

std::size_t skip_quoted(std::string_view b, std::size_t i) {
    for (++i; i < b.size(); ++i) {
        if (b[i] == '\\') ++i;
        else if (b[i] == '"') return i + 1;
    }
    return b.size();
}

std::size_t skip_literal(std::string_view b, std::size_t i) {
    auto close = b.find('}', i);
    if (close == std::string_view::npos) return b.size();
    auto digits = b.substr(i + 1, close - i - 1);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    auto n = number(digits);
    if (!n) return i + 1;
    return std::min(b.size(), close + 3 + *n);  // "}\r\n" and the octets
}

std::size_t skip_value(std::string_view b, std::size_t i) {
    if (i >= b.size()) return i;
    if (b[i] == '(') {
        int depth = 0;
        while (i < b.size()) {
            char c = b[i];
            if (c == '(') { ++depth; ++i; }
            else if (c == ')') { ++i; if (--depth == 0) return i; }
            else if (c == '"') i = skip_quoted(b, i);
            else if (c == '{') i = skip_literal(b, i);
            else ++i;
        }
        return b.size();
    }
    if (b[i] == '"') return skip_quoted(b, i);
    if (b[i] == '{') return skip_literal(b, i);
    auto end = b.find_first_of(" )\r", i);
    return end == std::string_view::npos ? b.size() : end;
}

// UID and FLAGS of one "* n FETCH (...)" response, wherever the server put
// them among the other items.
struct uid_flags {
    std::optional<std::string_view> uid, flags;
};

uid_flags fetch_uid_flags(std::string_view line) {
    uid_flags out;
    auto i = line.find('(');
    if (i == std::string_view::npos) return out;
    ++i;
    auto n = line.size();
    while (i < n) {
        while (i < n && line[i] == ' ') ++i;
        if (i >= n || line[i] == ')' || line[i] == '\r') break;
        auto j = i;
        while (j < n && line[j] != ' ' && line[j] != '[' && line[j] != ')') ++j;
        if (j < n && line[j] == '[') {  // BODY[section]<origin>
            auto e = line.find(']', j);
            j = e == std::string_view::npos ? n : e + 1;
            if (j < n && line[j] == '<') {
                e = line.find('>', j);
                j = e == std::string_view::npos ? n : e + 1;
            }
        }
        auto name = line.substr(i, j - i);
        i = j + 1;
        auto start = i;
        i = skip_value(line, i);
        if (iequal(name, "UID")) out.uid = line.substr(start, i - start);
        else if (iequal(name, "FLAGS")) out.flags = line.substr(start, i - start);
        if (out.uid && out.flags) break;  // ENVELOPE, BODYSTRUCTURE, bodies need not be walked
    }
    return out;
}

template <class F>
void each_word(std::string_view list, F&& f) {
    while (!list.empty() && (list.front() == '(' || list.front() == ' ')) list.remove_prefix(1);
    while (!list.empty() && (list.back() == ')' || list.back() == ' ' || list.back() == '\r' || list.back() == '\n'))
        list.remove_suffix(1);
    while (!list.empty()) {
        auto sp = list.find(' ');
        auto w = list.substr(0, sp);
        if (!w.empty()) f(w);
        if (sp == std::string_view::npos) break;
        list.remove_prefix(sp + 1);
    }
}

// --- state and results -----------------------------------------------------

// UIDs the clients of one account know of in its INBOX (from FETCH ... UID
// and APPENDUID); one another client expunged stays until noticed, as in a
// real client's cache (UID STORE of it is OK with no FETCH).
struct uid_pool {
    std::vector<std::uint64_t> list;
    std::unordered_set<std::uint64_t> set;
    void add(std::uint64_t uid) {
        if (set.insert(uid).second) list.push_back(uid);
    }
    void discard(std::uint64_t uid) {
        if (set.erase(uid)) list.erase(std::find(list.begin(), list.end(), uid));
    }
    std::optional<std::uint64_t> pick(double u) const {
        if (list.empty()) return std::nullopt;
        return list[static_cast<std::size_t>(u * static_cast<double>(list.size()))];
    }
};

std::string show_cmd(std::string_view cmd) {
    if (istarts(cmd, "LOGIN ")) {
        auto sp = cmd.find(' ', 6);
        return std::string(cmd.substr(0, sp)) + " ***";
    }
    return std::string(cmd.substr(0, 120));
}

std::string normalized(std::string_view text) {  // digits (and decimals) as '#'
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (std::isdigit(static_cast<unsigned char>(text[i]))) {
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            if (i + 1 < text.size() && text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
                ++i;
                while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            }
            out += '#';
        } else {
            out += text[i++];
        }
    }
    return out;
}

struct stats {
    std::array<std::vector<double>, k_count> lat;
    std::array<long, k_count> cmds{}, errors{};
    struct error_line { long count = 0; std::string cmd, text; };
    std::map<std::pair<int, std::string>, error_line> error_lines;
    std::map<std::string, long> violations;
    std::map<std::string, std::vector<std::string>> violation_examples;
    long reconnects = 0, cycles = 0;
    long untagged_exists = 0, untagged_expunge = 0, untagged_fetch = 0, untagged_flags = 0;

    // A NO/BAD tagged line (its tag dropped) or a text of our own.
    void error(kind k, std::string_view cmd, std::string_view text, bool tagged_line) {
        std::string t = trim(text);
        if (tagged_line) {
            auto sp = t.find(' ');
            if (sp != std::string::npos) t.erase(0, sp + 1);
        }
        ++errors[k];
        auto& e = error_lines[{k, normalized(t)}];
        if (e.count++ == 0) {
            e.cmd = show_cmd(cmd);
            e.text = t.substr(0, 300);
        }
    }

    void violation(const std::string& what, std::string_view cmd, std::string_view line, const std::string& note) {
        ++violations[what];
        auto& ex = violation_examples[what];
        if (ex.size() < 3) ex.push_back(show_cmd(cmd) + " -> " + trim(line.substr(0, 240)) + " (" + note + ")");
    }
};

// --- one connection ----------------------------------------------------------

struct lost : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct reply {
    bool ok = false;
    std::string_view tagged;                 // valid until the next command
    std::vector<std::string_view> untagged;  // likewise
};

class connection {
public:
    explicit connection(asio::io_context& io) : sock_(io) {}

    awaitable<void> open(int port) {
        deadline_ = clock_type::now() + cmd_timeout;
        co_await sock_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
                                     use_awaitable);
        sock_.set_option(tcp::no_delay(true));
        auto greeting = co_await read_response();
        deadline_ = {};
        if (!greeting.starts_with("* OK")) throw lost("greeting: " + trim(greeting.substr(0, 200)));
    }

    // Sends one command, its literals as LITERAL+; reads every response to
    // its tagged one. Throws lost when the connection is gone, says BYE
    // (other than to LOGOUT) or does not answer within cmd_timeout.
    awaitable<reply> command(std::string text, std::string_view literal = {}, bool has_literal = false) {
        if (pos_ > 0) {  // what the last command's views pointed at is done with
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        out_.clear();
        auto tag = fmt::format("m{}", ++n_);
        out_ += tag;
        out_ += ' ';
        out_ += text;
        if (has_literal) {
            out_ += fmt::format(" {{{}+}}\r\n", literal.size());
            out_ += literal;
        }
        out_ += "\r\n";
        deadline_ = clock_type::now() + cmd_timeout;
        try {
            co_await asio::async_write(sock_, asio::buffer(out_), use_awaitable);
            std::vector<std::pair<std::size_t, std::size_t>> ranges;
            while (true) {
                auto [start, end] = co_await read_range();
                std::string_view line(buf_.data() + start, end - start);
                if (line.size() > tag.size() && line.starts_with(tag) && line[tag.size()] == ' ') {
                    deadline_ = {};
                    reply r;
                    r.tagged = line;
                    r.ok = line.substr(tag.size() + 1).starts_with("OK");
                    r.untagged.reserve(ranges.size());
                    for (auto [s, e] : ranges) r.untagged.emplace_back(buf_.data() + s, e - s);
                    co_return r;
                }
                if (line.starts_with("* BYE") && text != "LOGOUT") throw lost("BYE: " + trim(line.substr(0, 200)));
                ranges.emplace_back(start, end);
            }
        } catch (const boost::system::system_error& e) {
            deadline_ = {};
            throw lost(timed_out_ ? std::string("no answer in time") : e.code().message());
        }
    }

    void close() {
        boost::system::error_code ec;
        sock_.close(ec);
    }

    // Called by the watchdog: a command past its deadline loses its connection.
    void check(clock_type::time_point now) {
        if (deadline_ != clock_type::time_point{} && now > deadline_) {
            timed_out_ = true;
            close();
        }
    }

private:
    awaitable<std::string> read_response() {
        auto [s, e] = co_await read_range();
        co_return buf_.substr(s, e - s);
    }

    // One response (its line and any literals it carries) as offsets in buf_.
    awaitable<std::pair<std::size_t, std::size_t>> read_range() {
        std::size_t start = pos_, seg = pos_, scan = pos_;
        while (true) {
            auto end = buf_.find("\r\n", scan);
            if (end == std::string::npos) {
                scan = std::max(seg, buf_.size() > 0 ? buf_.size() - 1 : 0);
                co_await fill();
                continue;
            }
            // A literal "{n}" (or "{n+}") right before the CRLF: skip its octets.
            if (end > seg && buf_[end - 1] == '}') {
                auto brace = buf_.rfind('{', end);
                if (brace != std::string::npos && brace >= seg) {
                    std::string_view digits(buf_.data() + brace + 1, end - 1 - brace - 1);
                    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
                    if (auto n = number(digits)) {
                        while (buf_.size() < end + 2 + *n) co_await fill();
                        seg = scan = end + 2 + *n;
                        continue;
                    }
                }
            }
            pos_ = end + 2;
            co_return std::pair{start, end + 2};
        }
    }

    awaitable<void> fill() {
        auto old = buf_.size();
        buf_.resize(old + (1 << 16));
        std::size_t n = 0;
        try {
            n = co_await sock_.async_read_some(asio::buffer(buf_.data() + old, 1 << 16), use_awaitable);
        } catch (...) {
            buf_.resize(old);
            throw;
        }
        buf_.resize(old + n);
    }

    tcp::socket sock_;
    std::string buf_, out_;
    std::size_t pos_ = 0;
    unsigned n_ = 0;
    clock_type::time_point deadline_{};
    bool timed_out_ = false;
};

// One connection with its view of the selected mailbox: EXISTS and the
// keywords the last untagged FLAGS listed.
struct session {
    std::unique_ptr<connection> c;
    std::string acct;
    std::uint64_t exists = 0;
    std::optional<std::unordered_set<std::string>> keywords;  // none: no FLAGS seen yet

    void absorb(const std::vector<std::string_view>& untagged, stats& st, std::string_view cmd, uid_pool& uids) {
        for (auto line : untagged) {
            if (line.size() < 3 || line[0] != '*' || line[1] != ' ') continue;
            auto rest = line.substr(2);
            if (std::isdigit(static_cast<unsigned char>(rest[0]))) {
                auto sp = rest.find(' ');
                if (sp == std::string_view::npos) continue;
                auto n = number(rest.substr(0, sp)).value_or(0);
                auto what = rest.substr(sp + 1);
                if (istarts(what, "EXISTS")) {
                    ++st.untagged_exists;
                    if (n < exists) st.violation("exists_shrank", cmd, line, fmt::format("EXISTS was {}", exists));
                    exists = n;
                } else if (istarts(what, "EXPUNGE")) {
                    ++st.untagged_expunge;
                    if (n < 1 || n > exists) st.violation("expunge_seq", cmd, line, fmt::format("EXISTS {}", exists));
                    exists = exists > 0 ? exists - 1 : 0;
                } else if (istarts(what, "FETCH")) {
                    ++st.untagged_fetch;
                    if (n < 1 || n > exists) st.violation("fetch_seq", cmd, line, fmt::format("EXISTS {}", exists));
                    auto items = fetch_uid_flags(line);
                    if (items.uid)
                        if (auto uid = number(*items.uid)) uids.add(*uid);
                    if (items.flags) {
                        std::string unknown;
                        each_word(*items.flags, [&](std::string_view f) {
                            if (f.starts_with('\\')) return;
                            if (keywords && keywords->contains(lower(f))) return;
                            if (!unknown.empty()) unknown += ' ';
                            unknown += f;
                        });
                        if (!unknown.empty())
                            st.violation("fetch_keyword", cmd, line,
                                         unknown + " not in the last FLAGS" + (keywords ? "" : " (none received)"));
                    }
                }
            } else if (istarts(rest, "FLAGS ")) {
                ++st.untagged_flags;
                keywords.emplace();
                each_word(rest.substr(6), [&](std::string_view f) {
                    if (!f.starts_with('\\')) keywords->insert(lower(f));
                });
            }
        }
    }
};

// --- the run -------------------------------------------------------------------

struct shared_state {
    asio::io_context& io;
    const options& opt;
    const std::vector<std::string>& corpus;
    stats st;
    std::map<std::string, uid_pool> uids;
    std::vector<connection*> live;  // for the watchdog

    void track(connection* c) { live.push_back(c); }
    void untrack(connection* c) { std::erase(live, c); }
};

class client {
public:
    client(shared_state& sh, int i)
        : sh_(sh), st_(sh.st), i_(i), rnd_(static_cast<std::uint64_t>(sh.opt.seed) * 1000003u + static_cast<std::uint64_t>(i)) {}

    struct draw_t {
        kind k;
        std::array<double, 4> u;
    };

    // One command to run: its kind and four numbers in [0, 1) that pick its
    // arguments; always the same five numbers from the generator, whatever
    // happens to the command.
    draw_t draw() {
        static const int total = [] { int t = 0; for (auto [k, w] : weights) t += w; return t; }();
        double x = unit() * total;
        kind k = weights.back().first;
        for (auto [kk, w] : weights) {
            if (x < w) { k = kk; break; }
            x -= w;
        }
        draw_t d{k, {unit(), unit(), unit(), unit()}};
        if (draws_ < digest_draws) {
            std::uint64_t h = 1469598103934665603ull;
            auto mix = [&](std::uint64_t v) { for (int b = 0; b < 8; ++b) { h ^= (v >> (8 * b)) & 0xff; h *= 1099511628211ull; } };
            mix(static_cast<std::uint64_t>(k));
            for (double v : d.u) { std::uint64_t bits; std::memcpy(&bits, &v, 8); mix(bits); }
            prefix_.push_back(fmt::format("{:06x}", h & 0xffffff));
        }
        ++draws_;
        return d;
    }

    awaitable<void> setup_open(const std::vector<std::string>& accounts) {
        const auto& acct = accounts[static_cast<std::size_t>(i_) % accounts.size()];
        for (int k = 0; k < sh_.opt.conns; ++k) sessions_.push_back(co_await open_session(acct));
    }

    awaitable<void> run_open(double deadline) {
        while (now_s() < deadline) {
            auto d = draw();
            auto k = static_cast<std::size_t>(d.u[3] * static_cast<double>(sessions_.size()));
            auto& s = sessions_[k];
            bool gone = false;
            try {
                co_await op(s, d);
            } catch (const lost&) {
                gone = true;
            }
            if (!gone) continue;
            ++st_.reconnects;
            drop(s);
            bool failed = false;
            try {
                sessions_[k] = co_await open_session(s.acct);
            } catch (const std::exception& e) {
                st_.error(k_login, "reconnect", std::string("reconnect failed: ") + std::string(e.what()).substr(0, 200), false);
                failed = true;
            }
            if (failed) {
                asio::steady_timer t(sh_.io, std::chrono::milliseconds(500));
                co_await t.async_wait(use_awaitable);
            }
        }
        end = now_s();
    }

    awaitable<void> close_open() {
        for (auto& s : sessions_) {
            if (!s.c) continue;
            try {
                co_await s.c->command("LOGOUT");
            } catch (const std::exception&) {
            }
            drop(s);
        }
    }

    awaitable<void> run_login(double deadline, const std::vector<std::string>& accounts) {
        std::size_t cycle = 0;
        while (now_s() < deadline) {
            const auto& acct = accounts[(static_cast<std::size_t>(i_) + cycle * static_cast<std::size_t>(sh_.opt.clients)) % accounts.size()];
            ++cycle;
            int count = 3 + static_cast<int>(unit() * 3);
            std::vector<draw_t> ds;
            for (int j = 0; j < count; ++j) ds.push_back(draw());
            co_await one_cycle(acct, ds);
            ++st_.cycles;
        }
        end = now_s();
    }

    double end = 0;
    long draws() const { return draws_; }
    const std::vector<std::string>& prefix() const { return prefix_; }

private:
    double unit() { return static_cast<double>(rnd_() >> 11) * 0x1.0p-53; }

    void drop(session& s) {
        if (!s.c) return;
        s.c->close();
        sh_.untrack(s.c.get());
        // The coroutine that used it has returned; free it on the next turn
        // of the loop, after any cancelled handler of it has run.
        asio::post(sh_.io, [c = std::shared_ptr<connection>(std::move(s.c))] {});
    }

    awaitable<session> connect(const std::string& acct) {
        session s;
        s.acct = acct;
        s.c = std::make_unique<connection>(sh_.io);
        sh_.track(s.c.get());
        try {
            co_await s.c->open(sh_.opt.port);
        } catch (const std::exception& e) {
            drop(s);
            throw lost(e.what());
        }
        co_return s;
    }

    awaitable<session> open_session(const std::string& acct) {
        auto s = co_await connect(acct);
        auto r = co_await s.c->command(fmt::format("LOGIN {} \"{}\"", acct, sh_.opt.password));
        if (!r.ok) {
            auto why = trim(r.tagged.substr(0, 200));
            drop(s);
            throw std::runtime_error(acct + ": LOGIN: " + why);
        }
        r = co_await s.c->command("SELECT INBOX");
        s.absorb(r.untagged, st_, "SELECT INBOX", sh_.uids[acct]);
        if (!r.ok) {
            auto why = trim(r.tagged.substr(0, 200));
            drop(s);
            throw std::runtime_error(acct + ": SELECT INBOX: " + why);
        }
        co_return s;
    }

    struct result {
        bool ok;
        std::string tagged;
        double dt;
    };

    // Sends one command on s: counts it, checks its untagged responses.
    awaitable<result> command(session& s, kind k, std::string text, std::string_view literal = {}, bool has_literal = false,
                              bool selecting = false) {
        auto t0 = now_s();
        reply r;
        try {
            r = co_await s.c->command(std::string(text), literal, has_literal);
        } catch (const lost& e) {
            st_.error(k, text, std::string("connection lost: ") + e.what(), false);
            throw;
        }
        double dt = now_s() - t0;
        if (selecting) {
            s.exists = 0;
            s.keywords.reset();
        }
        s.absorb(r.untagged, st_, text, sh_.uids[s.acct]);
        if (r.ok) {
            ++st_.cmds[k];
            co_return result{true, std::string(r.tagged), dt};
        }
        st_.error(k, text, r.tagged, true);
        co_return result{false, std::string(r.tagged), dt};
    }

    awaitable<result> single(session& s, kind k, std::string text, std::string_view literal = {}, bool has_literal = false,
                             bool selecting = false) {
        auto r = co_await command(s, k, std::move(text), literal, has_literal, selecting);
        if (r.ok) st_.lat[k].push_back(r.dt);
        co_return r;
    }

    awaitable<void> op(session& s, const draw_t& d) {
        auto& uids = sh_.uids[s.acct];
        kind k = d.k;
        const auto& u = d.u;
        if ((k == k_fetch_flags || k == k_fetch_env || k == k_fetch_body) && s.exists == 0) k = k_noop;
        auto ex = static_cast<double>(s.exists);
        switch (k) {
        case k_noop:
            co_await single(s, k, "NOOP");
            break;
        case k_select:
            co_await single(s, k, "SELECT INBOX", {}, false, true);
            break;
        case k_fetch_flags:
            co_await single(s, k, "FETCH 1:* (UID FLAGS)");
            break;
        case k_fetch_env: {
            auto lo = 1 + static_cast<std::uint64_t>(u[0] * std::max(1.0, ex - 19));
            auto hi = std::min<std::uint64_t>(s.exists, lo + 19);
            co_await single(s, k, fmt::format("FETCH {}:{} (UID FLAGS ENVELOPE BODYSTRUCTURE)", lo, hi));
            break;
        }
        case k_fetch_body:
            co_await single(s, k, fmt::format("FETCH {} BODY.PEEK[]", 1 + static_cast<std::uint64_t>(u[0] * ex)));
            break;
        case k_store_flag:
        case k_store_keyword: {
            std::string what;
            if (k == k_store_flag)
                what = fmt::format("{}FLAGS ({})", u[2] < 0.6 ? "+" : "-", u[1] < 0.6 ? "\\Seen" : "\\Flagged");
            else if (u[2] < 0.7)
                what = fmt::format("+FLAGS ($label{})", 1 + static_cast<int>(u[1] * 9));
            else  // a keyword the mailbox most likely has not seen yet
                what = fmt::format("+FLAGS ($Proj{})", 1 + static_cast<int>(u[1] * 500));
            if (auto uid = uids.pick(u[0]))
                co_await single(s, k, fmt::format("UID STORE {} {}", *uid, what));
            else
                co_await single(s, k, fmt::format("STORE {} {}", 1 + static_cast<std::uint64_t>(u[0] * std::max(1.0, ex)), what));
            break;
        }
        case k_append:
        case k_expunge: {
            auto& own = own_[s.acct];
            if (k == k_append || own.empty()) {
                // An EXPUNGE with nothing of its own to delete appends
                // instead, so INBOX keeps about its size.
                const auto& msg = sh_.corpus[static_cast<std::size_t>(u[0] * static_cast<double>(sh_.corpus.size()))];
                auto r = co_await single(s, k_append, u[1] < 0.3 ? "APPEND INBOX (\\Seen)" : "APPEND INBOX", msg, true);
                if (r.ok) {
                    auto at = lower(r.tagged).find("[appenduid ");
                    if (at != std::string::npos) {
                        auto sp = r.tagged.find(' ', at + 11);
                        auto close = r.tagged.find(']', at);
                        if (sp != std::string::npos && close != std::string::npos && sp < close)
                            if (auto uid = number(std::string_view(r.tagged).substr(sp + 1, close - sp - 1))) {
                                uids.add(*uid);
                                own.push_back(*uid);
                            }
                    }
                }
                break;
            }
            auto at = static_cast<std::size_t>(u[0] * static_cast<double>(own.size()));
            auto uid = own[at];
            own.erase(own.begin() + static_cast<std::ptrdiff_t>(at));
            auto r1 = co_await command(s, k, fmt::format("UID STORE {} +FLAGS.SILENT (\\Deleted)", uid));
            if (r1.ok) {
                auto r2 = co_await command(s, k, fmt::format("UID EXPUNGE {}", uid));
                if (r2.ok) {
                    st_.lat[k].push_back(r1.dt + r2.dt);
                    uids.discard(uid);
                }
            }
            break;
        }
        case k_status:
            co_await single(s, k, fmt::format("STATUS {} (MESSAGES UNSEEN UIDNEXT)",
                                              folders[static_cast<std::size_t>(u[0] * folders.size())]));
            break;
        case k_list:
            co_await single(s, k, "LIST \"\" \"*\"");
            break;
        default:
            break;
        }
    }

    awaitable<void> one_cycle(const std::string& acct, const std::vector<draw_t>& ds) {
        auto t0 = now_s();
        session s;
        bool failed = false;
        try {
            s = co_await connect(acct);
        } catch (const std::exception& e) {
            st_.error(k_greeting, "connect", std::string("connection failed: ") + e.what(), false);
            failed = true;
        }
        if (failed) {
            asio::steady_timer t(sh_.io, std::chrono::milliseconds(100));
            co_await t.async_wait(use_awaitable);
            co_return;
        }
        st_.lat[k_greeting].push_back(now_s() - t0);
        try {
            auto r = co_await single(s, k_login, fmt::format("LOGIN {} \"{}\"", acct, sh_.opt.password));
            if (r.ok) {
                r = co_await single(s, k_select, "SELECT INBOX", {}, false, true);
                if (r.ok)
                    for (const auto& d : ds) co_await op(s, d);
                co_await single(s, k_logout, "LOGOUT");
            }
        } catch (const lost&) {
            ++st_.reconnects;
        }
        drop(s);
    }

    shared_state& sh_;
    stats& st_;
    int i_;
    std::mt19937_64 rnd_;
    std::map<std::string, std::vector<std::uint64_t>> own_;  // account -> UIDs this client appended, not yet expunged
    long draws_ = 0;
    std::vector<std::string> prefix_;
    std::vector<session> sessions_;
};

// Before the clock: the UIDs of acct's INBOX, as a client that synced once
// knows them.
awaitable<void> learn_uids(shared_state& sh, std::string acct) {
    session s;
    s.acct = acct;
    s.c = std::make_unique<connection>(sh.io);
    co_await s.c->open(sh.opt.port);
    auto r = co_await s.c->command(fmt::format("LOGIN {} \"{}\"", acct, sh.opt.password));
    if (!r.ok) throw std::runtime_error(acct + ": LOGIN: " + trim(r.tagged.substr(0, 200)));
    stats scratch;
    r = co_await s.c->command("SELECT INBOX");
    s.absorb(r.untagged, scratch, "", sh.uids[acct]);
    r = co_await s.c->command("UID FETCH 1:* (UID)");
    s.absorb(r.untagged, scratch, "", sh.uids[acct]);
    co_await s.c->command("LOGOUT");
    s.c->close();
}

// CPU seconds (user + system) of pid's process tree: each live process's
// own time plus what its reaped children used (servers.cpu_seconds).
double tree_cpu_seconds(int pid) {
    std::unordered_map<int, std::vector<int>> children;
    std::unordered_map<int, long> ticks;
    if (DIR* d = opendir("/proc")) {
        while (auto* e = readdir(d)) {
            if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
            std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
            std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            auto paren = text.rfind(')');
            if (paren == std::string::npos) continue;
            std::vector<std::string> fields;
            std::size_t i = paren + 2;
            while (i < text.size()) {
                auto sp = text.find(' ', i);
                fields.push_back(text.substr(i, sp - i));
                if (sp == std::string::npos) break;
                i = sp + 1;
            }
            if (fields.size() < 15) continue;
            int p = std::atoi(e->d_name);
            children[std::atoi(fields[1].c_str())].push_back(p);
            // After the command name: state is field 3; utime..cstime are 14..17.
            ticks[p] = std::atol(fields[11].c_str()) + std::atol(fields[12].c_str()) + std::atol(fields[13].c_str()) +
                       std::atol(fields[14].c_str());
        }
        closedir(d);
    }
    long total = 0;
    std::vector<int> todo{pid};
    while (!todo.empty()) {
        int p = todo.back();
        todo.pop_back();
        total += ticks[p];
        for (int c : children[p]) todo.push_back(c);
    }
    return static_cast<double>(total) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// --- JSON out --------------------------------------------------------------

std::string json_str(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
        else if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else if (c >= 0x80) out += fmt::format("\\u{:04x}", c);  // latin-1, as the Python generator decodes
        else out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string json_num(std::optional<double> v) {
    return v ? fmt::format("{}", *v) : "null";
}

std::optional<double> pct_ms(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return std::nullopt;
    auto i = std::min(sorted.size() - 1, static_cast<std::size_t>(static_cast<double>(sorted.size()) * q));
    return 1000 * sorted[i];
}

// Runs fn's coroutines at most `limit` at a time (population_load.py's
// Semaphore(8)), each to its end; rethrows the first failure.
awaitable<void> limited(asio::io_context& io, std::vector<std::function<awaitable<void>()>> jobs, int limit) {
    std::size_t next = 0;
    int running = 0;
    std::exception_ptr failure;
    asio::steady_timer wake(io, clock_type::time_point::max());
    while (next < jobs.size() || running > 0) {
        while (running < limit && next < jobs.size()) {
            ++running;
            asio::co_spawn(io, jobs[next++](), [&](std::exception_ptr e) {
                if (e && !failure) failure = e;
                --running;
                wake.cancel();
            });
        }
        boost::system::error_code ec;
        co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
        wake.expires_at(clock_type::time_point::max());
    }
    if (failure) std::rethrow_exception(failure);
}

awaitable<void> watchdog(shared_state& sh, bool& stop) {
    asio::steady_timer t(sh.io);
    while (!stop) {
        t.expires_after(std::chrono::seconds(1));
        co_await t.async_wait(use_awaitable);
        auto now = clock_type::now();
        for (auto* c : sh.live) c->check(now);
    }
}

awaitable<void> run(shared_state& sh, std::string& json) {
    const auto& opt = sh.opt;
    std::vector<std::string> accounts(opt.users.begin(), opt.users.begin() + opt.accounts);
    for (const auto& a : accounts) sh.uids[a];
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < opt.clients; ++i) clients.push_back(std::make_unique<client>(sh, i));

    std::vector<std::function<awaitable<void>()>> jobs;
    for (const auto& a : accounts) jobs.push_back([&sh, a] { return learn_uids(sh, a); });
    co_await limited(sh.io, std::move(jobs), 8);

    auto t0 = now_s();
    if (opt.variant == "open") {  // every connection logged in and INBOX selected before the clock
        jobs.clear();
        for (auto& c : clients) jobs.push_back([&c, &accounts] { return c->setup_open(accounts); });
        co_await limited(sh.io, std::move(jobs), 8);
    }
    double setup = now_s() - t0;
    double cpu0 = own_cpu_seconds();
    double server0 = opt.server_pid ? tree_cpu_seconds(opt.server_pid) : 0;
    double start = now_s(), deadline = start + opt.seconds;
    jobs.clear();
    for (auto& c : clients) {
        if (opt.variant == "open") jobs.push_back([&c, deadline] { return c->run_open(deadline); });
        else jobs.push_back([&c, deadline, &accounts] { return c->run_login(deadline, accounts); });
    }
    co_await limited(sh.io, std::move(jobs), opt.clients);
    double wall = 0;
    for (auto& c : clients) wall = std::max(wall, c->end - start);
    double cpu = own_cpu_seconds() - cpu0;
    // The server's CPU over the clocked part only: not the logins of the
    // open variant's set-up.
    double server_cpu = opt.server_pid ? tree_cpu_seconds(opt.server_pid) - server0 : 0;
    if (opt.variant == "open") {
        jobs.clear();
        for (auto& c : clients) jobs.push_back([&c] { return c->close_open(); });
        co_await limited(sh.io, std::move(jobs), opt.clients);
    }

    auto& st = sh.st;
    long commands = 0, draws = 0;
    for (auto n : st.cmds) commands += n;
    for (auto& c : clients) draws += c->draws();
    std::string kinds;
    for (int k = 0; k < k_count; ++k) {
        auto lat = st.lat[k];
        std::sort(lat.begin(), lat.end());
        if (!kinds.empty()) kinds += ", ";
        kinds += fmt::format("{}: {{\"n\": {}, \"commands\": {}, \"errors\": {}, \"p50_ms\": {}, \"p99_ms\": {}}}",
                             json_str(kind_names[k]), lat.size(), st.cmds[k], st.errors[k], json_num(pct_ms(lat, 0.5)),
                             json_num(pct_ms(lat, 0.99)));
    }
    std::vector<std::tuple<long, int, std::string, std::string>> errs;
    for (auto& [key, e] : st.error_lines) errs.emplace_back(e.count, key.first, e.cmd, e.text);
    std::stable_sort(errs.begin(), errs.end(), [](auto& a, auto& b) { return std::get<0>(a) > std::get<0>(b); });
    if (errs.size() > 100) errs.resize(100);
    std::string errors;
    for (auto& [n, k, cmd, text] : errs)
        errors += fmt::format("{}[{}, {}, {}, {}]", errors.empty() ? "" : ", ", n, json_str(kind_names[k]), json_str(cmd),
                              json_str(text));
    std::string violations, examples;
    for (auto& [what, n] : st.violations) violations += fmt::format("{}{}: {}", violations.empty() ? "" : ", ", json_str(what), n);
    for (auto& [what, ex] : st.violation_examples) {
        std::string list;
        for (auto& e : ex) list += (list.empty() ? "" : ", ") + json_str(e);
        examples += fmt::format("{}{}: [{}]", examples.empty() ? "" : ", ", json_str(what), list);
    }
    std::string prefixes;
    for (auto& c : clients) {
        std::string list;
        for (auto& p : c->prefix()) list += (list.empty() ? "" : ", ") + json_str(p);
        prefixes += fmt::format("{}[{}]", prefixes.empty() ? "" : ", ", list);
    }
    json = fmt::format(
        "{{\"variant\": {}, \"clients\": {}, \"accounts\": {}, \"conns\": {}, \"setup_s\": {}, \"wall_s\": {}, "
        "\"commands\": {}, \"commands_per_s\": {}, \"draws\": {}, \"cycles\": {}, \"reconnects\": {}, "
        "\"generator_cpu_s\": {}, \"server_cpu_s\": {}, \"kinds\": {{{}}}, \"error_lines\": [{}], "
        "\"violations\": {{{}}}, \"violation_examples\": {{{}}}, \"untagged\": {{\"EXISTS\": {}, \"EXPUNGE\": {}, "
        "\"FETCH\": {}, \"FLAGS\": {}}}, \"draw_prefix\": [{}], \"generator\": \"c++\"}}",
        json_str(opt.variant), opt.clients, opt.accounts, opt.conns, setup, wall, commands,
        wall > 0 ? static_cast<double>(commands) / wall : 0.0, draws, st.cycles, st.reconnects, cpu,
        opt.server_pid ? fmt::format("{}", server_cpu) : "null", kinds, errors, violations, examples,
        st.untagged_exists, st.untagged_expunge, st.untagged_fetch, st.untagged_flags, prefixes);
}

options parse_args(int argc, char** argv) {
    options o;
    std::string mode;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
            return argv[++i];
        };
        if (a == "run") mode = "run";
        else if (a == "--port") o.port = std::stoi(value());
        else if (a == "--users") {
            auto v = value();
            std::size_t p = 0;
            while (p <= v.size()) {
                auto c = v.find(',', p);
                if (c == std::string::npos) c = v.size();
                if (c > p) o.users.push_back(v.substr(p, c - p));
                p = c + 1;
            }
        } else if (a == "--password") o.password = value();
        else if (a == "--corpus") o.corpus = value();
        else if (a == "--corpus-limit") o.corpus_limit = std::stoi(value());
        else if (a == "--variant") o.variant = value();
        else if (a == "--accounts") o.accounts = std::stoi(value());
        else if (a == "--clients") o.clients = std::stoi(value());
        else if (a == "--conns") o.conns = std::stoi(value());
        else if (a == "--seconds") o.seconds = std::stod(value());
        else if (a == "--seed") o.seed = std::stoi(value());
        else if (a == "--server-pid") o.server_pid = std::stoi(value());
        else throw std::invalid_argument("unknown argument " + std::string(a));
    }
    if (mode != "run") throw std::invalid_argument("the mode must be run (populate is population_load.py's)");
    if (o.port <= 0 || o.corpus.empty() || o.users.empty()) throw std::invalid_argument("--port, --users and --corpus are required");
    if (o.variant != "open" && o.variant != "login") throw std::invalid_argument("--variant is open or login");
    if (o.accounts < 1 || static_cast<std::size_t>(o.accounts) > o.users.size())
        throw std::invalid_argument(fmt::format("only {} accounts given, --accounts {}", o.users.size(), o.accounts));
    if (o.clients < 1 || o.conns < 1) throw std::invalid_argument("--clients and --conns must be at least 1");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        auto opt = parse_args(argc, argv);
        rlimit lim{};
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
            lim.rlim_cur = lim.rlim_max;
            setrlimit(RLIMIT_NOFILE, &lim);
        }
        auto corpus = load_corpus(opt.corpus, opt.corpus_limit);
        if (corpus.empty()) throw std::runtime_error("the corpus has no messages");
        asio::io_context io(1);
        shared_state sh{io, opt, corpus, {}, {}, {}};
        std::string json;
        std::exception_ptr failure;
        bool stop = false;
        asio::co_spawn(io, watchdog(sh, stop), asio::detached);
        asio::co_spawn(io, run(sh, json), [&](std::exception_ptr e) {
            failure = e;
            stop = true;
            io.stop();
        });
        io.run();
        if (failure) std::rethrow_exception(failure);
        std::puts(json.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "population-load: %s\n", e.what());
        return 1;
    }
}
