#include "convert/convert.hpp"

#include <algorithm>

#include "convert/image.hpp"
#include "convert/worker.hpp"
#include "core/strings.hpp"
#include "mime/charset.hpp"
#include "mime/html_text.hpp"

namespace lemonade::convert {
namespace {

// RFC 5259 §7.1: "MUST support recognition of the "charset" parameter
// for text/plain, text/html, text/css, text/csv, text/enriched, and
// text/xml": each converts to itself in another charset. text/enriched
// has no converter to text/plain here, so it has only that.
constexpr std::string_view text_types[] = {"text/plain", "text/html", "text/css", "text/csv", "text/enriched",
                                           "text/xml"};
const std::vector<std::string> text_params = {"charset", "unknown-character-replacement"};
const std::vector<std::string> image_params = {"pix-x", "pix-y"};

// A pix-x / pix-y value: RFC 2534 §3.1 a positive integer.
std::optional<std::uint32_t> pixels(const std::string& v) {
  if (v.empty() || v.size() > 6) return std::nullopt;
  std::uint32_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (n == 0) return std::nullopt;
  return n;
}

std::string lower(std::string_view s) { return core::to_lower(s); }

}  // namespace

bool matches(std::string_view pattern, std::string_view type) {
  if (pattern == "*") return true;
  if (pattern.ends_with("/*")) return type.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == type;
}

const std::string* request::find(std::string_view name) const {
  for (auto& p : params)
    if (p.name == name) return &p.value;
  return nullptr;
}

struct converter::impl {
  image_converter images;
  std::vector<conversion> table;
  explicit impl(const limits& l) : images(l) {}
};

converter::converter(const limits& l) : limits_(l), impl_(std::make_unique<impl>(l)) {
  auto& t = impl_->table;
  for (auto type : text_types) t.push_back({std::string(type), std::string(type), text_params});
  t.push_back({"text/html", "text/plain", text_params});
  for (auto& from : impl_->images.sources())
    for (auto& to : impl_->images.targets()) t.push_back({from, to, image_params});
  fingerprint_ = "q" + std::to_string(l.quality) + ",side" + std::to_string(l.max_output_side) + ",wrap" +
                 std::to_string(l.wrap) + ",depth" + std::to_string(l.max_html_depth) + "," +
                 impl_->images.version();
}

converter::~converter() = default;

bool converter::available() const {
  auto has = [&](std::string_view from, std::string_view to) {
    for (auto& c : impl_->table)
      if (c.from == from && c.to == to) return true;
    return false;
  };
  return has("text/plain", "text/plain") && has("text/html", "text/plain") && has("image/jpeg", "image/jpeg") &&
         has("image/png", "image/png") && has("image/png", "image/jpeg");
}

std::vector<conversion> converter::conversions(std::string_view from_pattern, std::string_view to_pattern) const {
  std::vector<conversion> out;
  for (auto& c : impl_->table)
    if (matches(from_pattern, c.from) && matches(to_pattern, c.to)) out.push_back(c);
  return out;
}

std::optional<std::string> converter::default_target(std::string_view from) const {
  // RFC 5259 §6: "the most standard or widely deployed media type
  // available in that media category, for example, to convert to text/
  // plain, image/jpeg": text to text/plain in UTF-8 (text/html read as
  // text), images to JPEG, or PNG for a PNG or GIF (often drawn, with
  // transparency).
  auto has = [&](std::string_view to) {
    for (auto& c : impl_->table)
      if (c.from == from && c.to == to) return true;
    return false;
  };
  if (from.starts_with("text/")) {
    if (has("text/plain")) return std::string("text/plain");
    if (has(from)) return std::string(from);
    return std::nullopt;
  }
  if ((from == "image/png" || from == "image/gif") && has("image/png")) return std::string("image/png");
  if (has("image/jpeg")) return std::string("image/jpeg");
  return std::nullopt;
}

std::vector<std::string> converter::targets(std::string_view from, const request& r) const {
  std::vector<std::string> out;
  for (auto& c : impl_->table) {
    if (c.from != from || (r.to && *r.to != c.to)) continue;
    bool all_apply = std::all_of(r.params.begin(), r.params.end(), [&](const param& p) {
      return std::find(c.params.begin(), c.params.end(), p.name) != c.params.end();
    });
    if (all_apply) out.push_back(c.to);
  }
  return out;
}

std::optional<failure> converter::check(std::string_view from, const request& r) const {
  auto to = r.to ? std::optional<std::string>(*r.to) : default_target(from);
  failure f;
  f.from = std::string(from);
  f.to = to.value_or(r.to.value_or(""));
  if (!to) {
    f.text = "No conversion of " + std::string(from) + " is available";
    f.to = std::string(from);
    return f;
  }
  const conversion* row = nullptr;
  for (auto& c : impl_->table)
    if (c.from == from && c.to == *to) row = &c;
  if (!row) {
    // §9: "The transcoding-params can be omitted, in which case, it means
    // that the conversion from the from-concrete-mime-type to the to-mime-
    // type is not possible."
    f.text = "Conversion from " + std::string(from) + " to " + *to + " is not available";
    return f;
  }
  // §9: "All unrecognized or irrelevant parameters MUST be listed in the
  // transcoding-params. It is not legal behavior to ignore irrelevant
  // parameters." A parameter given twice is not understood either.
  for (std::size_t i = 0; i < r.params.size(); ++i) {
    auto& p = r.params[i];
    bool twice = false;
    for (std::size_t j = 0; j < r.params.size(); ++j) twice = twice || (j != i && r.params[j].name == p.name);
    if (twice) {
      f.params.push_back(p);
      continue;
    }
    bool known = std::find(row->params.begin(), row->params.end(), p.name) != row->params.end();
    if (!known) {
      f.params.push_back(p);
      continue;
    }
    if (p.name == "pix-x" || p.name == "pix-y") {
      auto n = pixels(p.value);
      if (!n) f.params.push_back(p);
    } else if (p.name == "charset") {
      if (!mime::iconv_name_of(p.value)) f.params.push_back(p);
    } else if (p.name == "unknown-character-replacement") {
      if (p.value.size() > limits_.max_replacement) f.params.push_back(p);
    }
  }
  if (!f.params.empty()) {
    f.text = "Conversion parameters not understood or not valid for " + std::string(from) + " to " + *to;
    return f;
  }
  // §9 example b003: "CHARSET must be specified for text conversions",
  // unless the server picks the target (the default conversion: UTF-8).
  if (to->starts_with("text/") && r.to && !r.find("charset")) {
    f.what = failure::code::missing_parameters;
    f.text = "CHARSET must be specified for text conversions";
    f.params.push_back({"charset", ""});
    return f;
  }
  return std::nullopt;
}

void converter::isolate(std::string program, unsigned workers, std::uint64_t memory) {
  workers_ = std::make_unique<worker_pool>(std::move(program), workers, memory, limits_);
}

result converter::run(const source& s, const request& r) const {
  if (auto f = check(s.type, r)) return *f;
  return run_checked(s, r);
}

result converter::run_checked(const source& s, const request& r) const {
  if (workers_) return workers_->run(s, r);
  return run_here(s, r);
}

result converter::run_here(const source& s, const request& r) const {
  auto to = r.to ? *r.to : *default_target(s.type);
  if (to.starts_with("image/")) return impl_->images.run(s, to, r);
  // Text: to UTF-8 first (read as the part labels it), then to the target.
  auto charset = r.find("charset") ? *r.find("charset") : std::string("utf-8");
  auto text = mime::charset_to_utf8(s.content, s.charset);
  output out;
  out.type = to;
  if (s.type == "text/html" && to == "text/plain") {
    if (text.size() > limits_.max_html) {
      failure f{failure::code::bad_parameters, "The document is too large to convert", s.type, to, {}, 0};
      return f;
    }
    mime::html_text_options opts;
    opts.wrap = limits_.wrap;
    opts.max_depth = limits_.max_html_depth;
    auto plain = mime::html_text(text, opts);
    if (!plain) {
      failure f{failure::code::bad_parameters, "The document is nested too deeply to convert", s.type, to, {}, 0};
      return f;
    }
    text = std::move(*plain);
    out.type_params.push_back({"format", "flowed"});
  }
  // IMAP text is CRLF-ended (RFC 3516 §6).
  std::string crlf;
  crlf.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) crlf += '\r';
    crlf += text[i];
  }
  auto enc = mime::encode_utf8(crlf, charset, r.find("unknown-character-replacement"));
  using st = mime::encoded::status;
  if (enc.result == st::ok && enc.text.size() > limits_.max_output) {
    failure f{failure::code::bad_parameters, "The converted text would be too large", s.type, to, {}, 0};
    return f;
  }
  if (enc.result != st::ok) {
    failure f;
    f.from = s.type;
    f.to = to;
    f.text = enc.result == st::unrepresentable  ? "Source text has characters " + charset + " cannot hold"
             : enc.result == st::bad_replacement ? "The replacement cannot be written in " + charset
                                                 : "Unknown charset " + charset;
    // §9 example: the parameters that could not be honoured.
    for (auto& p : r.params)
      if (p.name == "charset" || (enc.result == st::bad_replacement && p.name == "unknown-character-replacement"))
        f.params.push_back(p);
    return f;
  }
  out.type_params.insert(out.type_params.begin(), {"charset", lower(charset)});
  out.data = std::move(enc.text);
  return out;
}

}  // namespace lemonade::convert
