#pragma once
// RFC 5259 CONVERT: the conversions themselves, apart from IMAP. A body
// part (its media type, charset and decoded content) and what the client
// asked for (a target media type or the default, and conversion
// parameters) go in; the converted octets with their media type, or an
// error of RFC 5259 §9 (BADPARAMETERS, MISSINGPARAMETERS, TEMPFAIL), come
// out. Every conversion is done by a library:
//
//   text/*  -> the same type in another charset  glibc iconv (mime/charset)
//   text/html -> text/plain (format=flowed)      gumbo (mime/html_text)
//   image/* -> image/jpeg, image/png, image/webp libvips, shrink-on-load
//
// CONVERSIONS (§5.1) and AVAILABLECONVERSIONS (§8.4) answer from the same
// table the conversions run from (converter::conversions), so nothing is
// listed that does not work. Thread-safe: run() may be called from several
// threads at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lemonade::convert {

// A conversion parameter (RFC 2506 feature tag): name lower-case (§7:
// "case-insensitive"), value as given.
struct param {
  std::string name;
  std::string value;
  bool operator==(const param&) const = default;
};

// What the client asked for: a target media type (lower-case), or the
// default conversion (RFC 5259 §6, "NIL"), with parameters.
struct request {
  std::optional<std::string> to;
  std::vector<param> params;
  const std::string* find(std::string_view name) const;
};

// The part to convert.
struct source {
  std::string type;  // "text/html", lower-case
  std::string charset;  // of a text/* part, as labelled ("" if none)
  std::string_view content;  // transfer encoding undone
};

struct output {
  std::string type;  // "text/plain"
  std::vector<param> type_params;  // "charset", "format" (BODYPARTSTRUCTURE)
  std::string data;
};

// RFC 5259 §9 convert-error-code.
struct failure {
  enum class code { bad_parameters, missing_parameters, temp_fail } what = code::bad_parameters;
  std::string text;  // convert-err-descript
  std::string from;  // "" when the part does not exist (NIL)
  std::string to;
  // bad_parameters: those not understood or not honoured (may be empty:
  // the conversion itself is not possible); missing_parameters: the names
  // of those needed.
  std::vector<param> params;
  int minutes = 0;  // temp_fail: wait before a retry
};

using result = std::variant<output, failure>;

// RFC 5259 §5.1 patterns: "*", "type/*" or a type (all lower-case).
bool matches(std::string_view pattern, std::string_view type);

// One row of CONVERSIONS (RFC 5259 §5.2).
struct conversion {
  std::string from;
  std::string to;
  std::vector<std::string> params;
};

struct limits {
  // Images: pixels of an input decoded whole (PNG, GIF, TIFF) and of an
  // input that shrinks while it loads (JPEG, WebP, HEIF) at most; output
  // pixels on either side.
  std::uint64_t max_decode_pixels = 25'000'000;
  std::uint64_t max_shrink_pixels = 120'000'000;
  std::uint32_t max_output_side = 4096;
  // Wall time of one image conversion.
  std::chrono::milliseconds image_time{10'000};
  // text/html converted at most (octets), and its nesting depth.
  std::size_t max_html = 2 * 1024 * 1024;
  std::size_t max_html_depth = 500;
  // unknown-character-replacement (RFC 5259 §12.1), octets.
  std::size_t max_replacement = 16;
  // format=flowed line width of text made from HTML.
  std::size_t wrap = 76;
  // JPEG and WebP quality (1..100).
  int quality = 80;
  // Converted octets at most (text in UTF-32 is four times its UTF-8).
  std::size_t max_output = 64 * 1024 * 1024;
};

class converter {
 public:
  explicit converter(const limits& l);
  ~converter();
  converter(const converter&) = delete;
  converter& operator=(const converter&) = delete;

  // CONVERT is advertised only when this is true: the text conversions
  // and at least JPEG and PNG image conversions work.
  bool available() const;
  // §5.1: rows whose source and target match the patterns ("*",
  // "type/*", "type/subtype"; case-insensitive).
  std::vector<conversion> conversions(std::string_view from_pattern, std::string_view to_pattern) const;
  // §8.4 AVAILABLECONVERSIONS: the targets `from` converts to with every
  // one of the request's parameters applying.
  std::vector<std::string> targets(std::string_view from, const request& r) const;
  // The target a default conversion (§6, NIL) of `from` picks; nullopt if
  // none.
  std::optional<std::string> default_target(std::string_view from) const;
  // A request checked against the table before any work: the failure it
  // meets, if any (unknown target, a parameter that does not apply or is
  // invalid, a missing one).
  std::optional<failure> check(std::string_view from, const request& r) const;
  // Converts. Never throws for bad input: it fails with bad_parameters
  // (an undecodable image, too many pixels, a document nested too deep)
  // or temp_fail (out of time, or the worker process lost). In worker
  // processes once isolate() was called, else in this one. The request is
  // checked first (a worker's own converter is not isolated: it checks
  // and runs, in its own process).
  result run(const source& s, const request& r) const;
  // The same for a request the caller has just check()ed.
  result run_checked(const source& s, const request& r) const;
  // RFC 5259 §13: conversions from now on in up to `workers` processes
  // of `program` (the lemonade executable; worker.hpp), each limited to
  // `memory` octets of address space.
  void isolate(std::string program, unsigned workers, std::uint64_t memory);

  const limits& settings() const { return limits_; }
  // What decides a conversion's result beside its input and request (the
  // limits, the libraries' versions): part of a cached result's key, so a
  // change of either never serves an old one.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  struct impl;
  limits limits_;
  std::unique_ptr<impl> impl_;
  std::string fingerprint_;
  std::unique_ptr<class worker_pool> workers_;
  // Converts a request check() passed, in this process.
  result run_here(const source& s, const request& r) const;
};

}  // namespace lemonade::convert
