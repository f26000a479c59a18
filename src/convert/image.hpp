#pragma once
// Image conversions of CONVERT (RFC 5259 §7.2: "Image conversions among
// the types image/gif, image/jpeg, and image/png for at least ... width
// ("pix-x" parameter) ... height ("pix-y" parameter)") by libvips.
//
// The input's header is read first: its loader (sniffed from the octets,
// only among the loaders listed here; libvips' untrusted loaders are
// blocked) and its pixel count, held against limits before any pixel is
// decoded. vips_thumbnail then shrinks while it loads where the format
// allows (JPEG by up to 8 times, WebP, HEIF), so a 50-megapixel photo is
// never decoded whole; an image is only ever made smaller. A conversion
// that runs past its time is stopped (vips' kill flag from its progress
// signal). One vips worker thread per conversion; no operation cache.

#include <string>
#include <vector>

#include "convert/convert.hpp"

namespace lemonade::convert {

class image_converter {
 public:
  explicit image_converter(const limits& l);
  // Media types this libvips build reads and writes.
  const std::vector<std::string>& sources() const { return sources_; }
  const std::vector<std::string>& targets() const { return targets_; }
  // "vips-8.14.1": a cached result's key holds it.
  std::string version() const;
  // `to` is one of targets(); pix-x / pix-y already checked.
  result run(const source& s, const std::string& to, const request& r) const;

 private:
  limits limits_;
  std::vector<std::string> sources_;
  std::vector<std::string> targets_;
};

}  // namespace lemonade::convert
