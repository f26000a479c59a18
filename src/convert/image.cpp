#include "convert/image.hpp"

#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>

namespace lemonade::convert {
namespace {

// The formats we read: libvips loader, media type, and whether the loader
// shrinks while it decodes (only then may the input have more pixels
// than max_decode_pixels).
struct format {
  const char* loader;
  const char* type;
  const char* suffix;  // for the start-up check and for saving
  bool shrinks;
};
constexpr format formats[] = {
    {"jpegload_buffer", "image/jpeg", ".jpg", true},   {"pngload_buffer", "image/png", ".png", false},
    {"gifload_buffer", "image/gif", ".gif", false},    {"webpload_buffer", "image/webp", ".webp", true},
    // libheif shrinks only by taking an embedded thumbnail: decoded whole.
    {"heifload_buffer", "image/heif", ".heic", false},  {"tiffload_buffer", "image/tiff", ".tif", false},
};
constexpr const char* writable[] = {"image/jpeg", "image/png", "image/webp"};

// The format of what vips_foreign_find_load_buffer() found (a class
// name, "VipsForeignLoadJpegBuffer"), by the operation's nickname.
const format* by_loader_class(const char* loader_class) {
  if (!loader_class) return nullptr;
  const char* nick = vips_nickname_find(g_type_from_name(loader_class));
  if (!nick) return nullptr;
  for (auto& f : formats)
    if (std::strcmp(nick, f.loader) == 0) return &f;
  return nullptr;
}

void start_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (vips_init("lemonade") != 0) return;
    // Conversions run on our own worker threads, one at a time each: no
    // thread pool of vips' own, no cache of operations and their images.
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    // Loaders libvips marks unsafe for untrusted input (ImageMagick,
    // MATLAB, ...) cannot be picked by sniffing a crafted part.
    vips_block_untrusted_set(TRUE);
  });
}

struct image_ref {
  VipsImage* p = nullptr;
  ~image_ref() {
    if (p) g_object_unref(p);
  }
};

// vips keeps its last errors in one buffer per process: taken and cleared.
std::string vips_message() {
  // A copy taken under vips' lock (another thread may be adding to it).
  char* copy = vips_error_buffer_copy();
  std::string m = copy ? copy : "";
  g_free(copy);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

std::optional<std::string> save(VipsImage* in, std::string_view type, int quality) {
  std::string opts;
  if (type == "image/jpeg") opts = ".jpg[Q=" + std::to_string(quality) + ",strip,optimize_coding]";
  else if (type == "image/png") opts = ".png[compression=6,strip]";
  else if (type == "image/webp") opts = ".webp[Q=" + std::to_string(quality) + ",strip]";
  else return std::nullopt;
  void* buf = nullptr;
  size_t len = 0;
  if (vips_image_write_to_buffer(in, opts.c_str(), &buf, &len, nullptr) != 0) return std::nullopt;
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

// An 8x8 picture written in `suffix` and read back: the format works in
// this build of libvips (a loader can exist without its decoder).
bool round_trips(const format& f) {
  if (!vips_type_find("VipsOperation", f.loader)) return false;
  image_ref black;
  if (vips_black(&black.p, 8, 8, "bands", 3, nullptr) != 0) return false;
  void* buf = nullptr;
  size_t len = 0;
  if (vips_image_write_to_buffer(black.p, f.suffix, &buf, &len, nullptr) != 0) {
    vips_error_clear();
    return false;
  }
  std::string data(static_cast<const char*>(buf), len);
  g_free(buf);
  bool ok = by_loader_class(vips_foreign_find_load_buffer(data.data(), data.size())) == &f;
  if (ok) {
    image_ref back;
    double avg = 0;
    ok = (back.p = vips_image_new_from_buffer(data.data(), data.size(), "", nullptr)) != nullptr &&
         vips_avg(back.p, &avg, nullptr) == 0;
  }
  vips_error_clear();
  return ok;
}

struct deadline_watch {
  std::chrono::steady_clock::time_point until;
  std::atomic<bool> fired{false};
};

void on_eval(VipsImage* image, VipsProgress*, void* data) {
  auto* w = static_cast<deadline_watch*>(data);
  if (std::chrono::steady_clock::now() > w->until) {
    w->fired = true;
    vips_image_set_kill(image, TRUE);
  }
}

failure refused(const source& s, const std::string& to, std::string text, std::vector<param> params = {}) {
  failure f;
  f.what = failure::code::bad_parameters;
  f.text = std::move(text);
  f.from = s.type;
  f.to = to;
  f.params = std::move(params);
  return f;
}

}  // namespace

image_converter::image_converter(const limits& l) : limits_(l) {
  start_vips();
  for (auto& f : formats)
    if (round_trips(f)) sources_.push_back(f.type);
  for (auto* t : writable)
    if (std::find(sources_.begin(), sources_.end(), t) != sources_.end()) targets_.push_back(t);
}

std::string image_converter::version() const {
  return "vips-" + std::to_string(vips_version(0)) + "." + std::to_string(vips_version(1)) + "." +
         std::to_string(vips_version(2));
}

result image_converter::run(const source& s, const std::string& to, const request& r) const {
  // The octets decide the loader, among ours only; a part labelled
  // image/png holding a JPEG is read as the JPEG it is.
  const format* fmt = by_loader_class(vips_foreign_find_load_buffer(s.content.data(), s.content.size()));
  vips_error_clear();
  if (!fmt || std::find(sources_.begin(), sources_.end(), fmt->type) == sources_.end())
    return refused(s, to, "The part is not an image this server can read");
  // The header only: nothing is decoded yet.
  image_ref header;
  header.p = vips_image_new_from_buffer(s.content.data(), s.content.size(), "", nullptr);
  if (!header.p) return refused(s, to, "The image cannot be read: " + vips_message());
  std::uint64_t w = static_cast<std::uint64_t>(vips_image_get_width(header.p));
  std::uint64_t h = static_cast<std::uint64_t>(vips_image_get_height(header.p));
  std::uint64_t cap = fmt->shrinks ? limits_.max_shrink_pixels : limits_.max_decode_pixels;
  if (w * h > cap)
    return refused(s, to,
                   "The image has " + std::to_string(w) + "x" + std::to_string(h) + " pixels, more than " +
                       std::to_string(cap) + " this server converts");
  // And its octets once decoded: many bands (TIFF allows thousands) or
  // 16-bit samples count as more pixels of 8-bit RGBA.
  auto bands = static_cast<std::uint64_t>(std::max(1, vips_image_get_bands(header.p)));
  auto sample = static_cast<std::uint64_t>(std::max<std::size_t>(1, vips_format_sizeof(vips_image_get_format(header.p))));
  if (w * h * bands * sample > cap * 4)
    return refused(s, to,
                   "The image has " + std::to_string(bands) + " bands of " + std::to_string(sample) +
                       " octets a pixel, more than this server converts");
  // A photo the thumbnail will turn upright (EXIF orientation 5 to 8)
  // fits its box turned.
  if (vips_image_get_orientation(header.p) >= 5) std::swap(w, h);
  // The box it must fit in: pix-x wide, pix-y high, never larger than it
  // is (RFC 5259 §6: the server may drop detail beyond the device's).
  auto side = [&](const char* name, std::uint64_t own) {
    std::uint64_t v = own;
    if (auto* p = r.find(name)) v = std::min<std::uint64_t>(v, std::stoul(*p));
    auto most = std::min<std::uint64_t>(limits_.max_output_side, 65535);
    return static_cast<int>(std::clamp<std::uint64_t>(v, 1, most));
  };
  int box_w = side("pix-x", w), box_h = side("pix-y", h);
  image_ref thumb;
  // Shrink-on-load where the loader can; SIZE_DOWN: never enlarged.
  if (vips_thumbnail_buffer(const_cast<char*>(s.content.data()), s.content.size(), &thumb.p, box_w, "height", box_h,
                            "size", VIPS_SIZE_DOWN, nullptr) != 0)
    return refused(s, to, "The image cannot be converted: " + vips_message());
  image_ref flat;
  VipsImage* ready = thumb.p;
  if (to == "image/jpeg" && vips_image_hasalpha(thumb.p)) {
    // JPEG has no transparency: on white, as a page shows it.
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    int rc = vips_flatten(thumb.p, &flat.p, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (rc != 0) return refused(s, to, "The image cannot be converted: " + vips_message());
    ready = flat.p;
  }
  deadline_watch watch;
  watch.until = std::chrono::steady_clock::now() + limits_.image_time;
  vips_image_set_progress(ready, TRUE);
  g_signal_connect(ready, "eval", G_CALLBACK(on_eval), &watch);
  auto data = save(ready, to, limits_.quality);
  g_signal_handlers_disconnect_by_data(ready, &watch);
  if (!data) {
    if (watch.fired) {
      vips_error_clear();
      // Time depends on the server's load: it may work later (§9 TEMPFAIL).
      auto f = refused(s, to, "The image takes too long to convert now");
      f.what = failure::code::temp_fail;
      f.minutes = 1;
      return f;
    }
    return refused(s, to, "The image cannot be converted: " + vips_message());
  }
  output out;
  out.type = to;
  out.data = std::move(*data);
  return out;
}

}  // namespace lemonade::convert
