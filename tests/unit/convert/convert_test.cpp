// RFC 5259 CONVERT's conversions (convert/convert.hpp), apart from IMAP:
// the table CONVERSIONS answers from, parameter checks (§9), charset
// conversions (§7.1), HTML to text, and images by libvips, checked by
// reading the output back with the library (format, dimensions), not by
// its bytes.
#include "convert/convert.hpp"
#include "core/strings.hpp"

#include <gtest/gtest.h>
#include <vips/vips.h>
#include <zlib.h>

#include <chrono>

namespace lemonade::convert {

void PrintTo(const param& p, std::ostream* os) { *os << p.name << "=" << p.value; }

namespace {

const converter& conv() {
  static converter c{limits{}};
  return c;
}

request to(std::optional<std::string> type, std::vector<param> params = {}) { return {std::move(type), std::move(params)}; }

output ok(const result& r) {
  if (auto* f = std::get_if<failure>(&r)) {
    ADD_FAILURE() << "conversion failed: " << f->text;
    return {};
  }
  return std::get<output>(r);
}

failure failed(const result& r) {
  EXPECT_TRUE(std::holds_alternative<failure>(r));
  if (auto* f = std::get_if<failure>(&r)) return *f;
  return {};
}

TEST(convert, available_with_text_and_images) {
  EXPECT_TRUE(conv().available());
  // §7.1: 'CONVERSIONS "text/plain" "text/plain"' MUST return "charset"
  // and "unknown-character-replacement".
  auto rows = conv().conversions("text/plain", "text/plain");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].params, (std::vector<std::string>{"charset", "unknown-character-replacement"}));
  EXPECT_FALSE(conv().conversions("image/*", "image/jpeg").empty());
  EXPECT_TRUE(conv().conversions("image/*", "text/*").empty());
  for (auto c : conv().conversions("*", "*")) EXPECT_TRUE(c.from.find('/') != std::string::npos);
  EXPECT_EQ(core::mime_type_pattern("TEXT/*"), "text/*");
  EXPECT_EQ(core::mime_type_pattern("text"), std::nullopt);
  EXPECT_EQ(core::concrete_mime_type("text/*"), std::nullopt);
}

// §7.1: "MUST support charset conversions from iso-8859-1, ... and
// iso-8859-15 to utf-8".
TEST(convert, charsets_to_utf8) {
  std::string latin1 = "caf\xe9 \xa4";
  auto o = ok(conv().run({"text/plain", "iso-8859-15", latin1}, to("text/plain", {{"charset", "UTF-8"}})));
  EXPECT_EQ(o.data, "caf\xc3\xa9 \xe2\x82\xac");  // 0xA4 is the euro sign in 8859-15
  EXPECT_EQ(o.type_params, (std::vector<param>{{"charset", "utf-8"}}));
  for (int n : {1, 2, 3, 4, 5, 6, 7, 8}) {
    auto cs = "iso-8859-" + std::to_string(n);
    EXPECT_TRUE(std::holds_alternative<output>(conv().run({"text/plain", cs, "a\xe0"}, to("text/plain", {{"charset", "utf-8"}}))))
        << cs;
  }
}

// §7.1: a character the target cannot hold fails the conversion (ERROR
// BADPARAMETERS) unless unknown-character-replacement is given; a
// replacement it cannot hold fails too.
TEST(convert, unrepresentable_characters) {
  source s{"text/plain", "utf-8", "na\xc3\xafve \xe2\x82\xac"};
  auto f = failed(conv().run(s, to("text/plain", {{"charset", "us-ascii"}})));
  EXPECT_EQ(f.what, failure::code::bad_parameters);
  EXPECT_EQ(f.params, (std::vector<param>{{"charset", "us-ascii"}}));
  auto o = ok(conv().run(s, to("text/plain", {{"charset", "us-ascii"}, {"unknown-character-replacement", "?"}})));
  EXPECT_EQ(o.data, "na?ve ?");
  auto bad = failed(conv().run(s, to("text/plain", {{"charset", "us-ascii"}, {"unknown-character-replacement", "\xc3\xa9"}})));
  EXPECT_EQ(bad.params.size(), 2u);
  auto latin1 = ok(conv().run(s, to("text/plain", {{"charset", "iso-8859-1"}, {"unknown-character-replacement", "E"}})));
  EXPECT_EQ(latin1.data, "na\xefve E");
}

// §9: a text target without CHARSET is MISSINGPARAMETERS (example b003);
// unknown or irrelevant parameters are listed, never ignored.
TEST(convert, parameter_errors) {
  source s{"text/plain", "", "x"};
  auto m = failed(conv().run(s, to("text/plain")));
  EXPECT_EQ(m.what, failure::code::missing_parameters);
  EXPECT_EQ(m.params[0].name, "charset");
  auto u = failed(conv().run(s, to("text/plain", {{"charset", "utf-8"}, {"pix-x", "10"}})));
  EXPECT_EQ(u.params, (std::vector<param>{{"pix-x", "10"}}));
  auto c = failed(conv().run(s, to("text/plain", {{"charset", "no-such-charset"}})));
  EXPECT_EQ(c.params, (std::vector<param>{{"charset", "no-such-charset"}}));
  auto none = failed(conv().run(s, to("application/pdf")));
  EXPECT_TRUE(none.params.empty());
  EXPECT_EQ(none.to, "application/pdf");
  auto long_repl = failed(conv().run(s, to("text/plain", {{"charset", "utf-8"}, {"unknown-character-replacement", std::string(40, '?')}})));
  EXPECT_EQ(long_repl.params.size(), 1u);
  // The default conversion (NIL) needs no CHARSET: UTF-8.
  EXPECT_EQ(ok(conv().run(s, to(std::nullopt))).type_params, (std::vector<param>{{"charset", "utf-8"}}));
}

TEST(convert, html_to_flowed_text) {
  source s{"text/html", "utf-8", "<p>Hello <b>there</b></p><ul><li>one</li></ul>"};
  auto o = ok(conv().run(s, to("text/plain", {{"charset", "utf-8"}})));
  EXPECT_EQ(o.data, "Hello there\r\n\r\n- one\r\n");
  EXPECT_EQ(o.type_params, (std::vector<param>{{"charset", "utf-8"}, {"format", "flowed"}}));
  EXPECT_EQ(ok(conv().run(s, to(std::nullopt))).type, "text/plain");
  std::string bomb;
  for (int i = 0; i < 50000; ++i) bomb += "<div>";
  auto f = failed(conv().run({"text/html", "", bomb}, to("text/plain", {{"charset", "utf-8"}})));
  EXPECT_NE(f.text.find("nested"), std::string::npos);
}

// --- images

std::string picture(int w, int h, const char* suffix, int bands = 3) {
  VipsImage* img = nullptr;
  EXPECT_EQ(vips_black(&img, w, h, "bands", bands, nullptr), 0);
  VipsImage* lit = nullptr;
  EXPECT_EQ(vips_linear1(img, &lit, 1.0, 120.0, nullptr), 0);
  g_object_unref(img);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_image_write_to_buffer(lit, suffix, &buf, &len, nullptr), 0);
  g_object_unref(lit);
  std::string out(static_cast<char*>(buf), len);
  g_free(buf);
  return out;
}

struct shape {
  std::string loader;
  int w = 0, h = 0;
};

shape read_back(const std::string& data) {
  shape s;
  if (auto* l = vips_foreign_find_load_buffer(data.data(), data.size())) s.loader = vips_nickname_find(g_type_from_name(l));
  VipsImage* img = vips_image_new_from_buffer(data.data(), data.size(), "", nullptr);
  if (!img) return s;
  s.w = vips_image_get_width(img);
  s.h = vips_image_get_height(img);
  g_object_unref(img);
  return s;
}

TEST(convert, image_thumbnails_fit_the_box) {
  auto png = picture(1600, 1200, ".png");
  auto o = ok(conv().run({"image/png", "", png}, to("image/jpeg", {{"pix-x", "320"}, {"pix-y", "320"}})));
  EXPECT_EQ(o.type, "image/jpeg");
  auto got = read_back(o.data);
  EXPECT_EQ(got.loader, "jpegload_buffer");
  EXPECT_EQ(got.w, 320);
  EXPECT_EQ(got.h, 240);
  // Only pix-y: the height decides; never enlarged.
  auto jpeg = picture(800, 400, ".jpg");
  auto y = read_back(ok(conv().run({"image/jpeg", "", jpeg}, to("image/png", {{"pix-y", "100"}}))).data);
  EXPECT_EQ(y.loader, "pngload_buffer");
  EXPECT_EQ(y.w, 200);
  EXPECT_EQ(y.h, 100);
  auto same = read_back(ok(conv().run({"image/jpeg", "", jpeg}, to("image/jpeg", {{"pix-x", "5000"}}))).data);
  EXPECT_EQ(same.w, 800);
  // Transparency flattened for JPEG.
  auto rgba = picture(64, 64, ".png", 4);
  EXPECT_EQ(read_back(ok(conv().run({"image/png", "", rgba}, to("image/jpeg"))).data).w, 64);
  // The default conversion: PNG stays PNG, JPEG stays JPEG.
  EXPECT_EQ(ok(conv().run({"image/png", "", png}, to(std::nullopt, {{"pix-x", "100"}}))).type, "image/png");
}

TEST(convert, bad_image_parameters) {
  auto png = picture(16, 16, ".png");
  for (auto v : {"0", "-5", "abc", "99999999", "12px"}) {
    auto f = failed(conv().run({"image/png", "", png}, to("image/jpeg", {{"pix-x", v}})));
    EXPECT_EQ(f.params, (std::vector<param>{{"pix-x", v}})) << v;
  }
  auto f = failed(conv().run({"image/png", "", png}, to("image/jpeg", {{"charset", "utf-8"}})));
  EXPECT_EQ(f.params, (std::vector<param>{{"charset", "utf-8"}}));
}

// A PNG whose header promises 10000 x 5000 pixels (50 megapixels) is
// refused from its header, before anything is decoded.
TEST(convert, png_bomb_refused_from_its_header) {
  auto be32 = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  auto chunk = [&](std::string type, std::string data) {
    std::string td = type + data;
    auto crc = crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()));
    return be32(static_cast<std::uint32_t>(data.size())) + td + be32(static_cast<std::uint32_t>(crc));
  };
  std::string ihdr = be32(10000) + be32(5000) + std::string{8, 2, 0, 0, 0};
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", "x") + chunk("IEND", "");
  auto start = std::chrono::steady_clock::now();
  auto f = failed(conv().run({"image/png", "", png}, to("image/jpeg", {{"pix-x", "100"}})));
  EXPECT_NE(f.text.find("10000x5000"), std::string::npos) << f.text;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(convert, broken_images_fail_cleanly) {
  auto jpeg = picture(640, 480, ".jpg");
  // Truncated: libjpeg reads what is there (the rest grey) or fails; it
  // never crashes, and whatever comes out is a readable JPEG.
  auto r = conv().run({"image/jpeg", "", std::string_view(jpeg).substr(0, jpeg.size() / 2)}, to("image/jpeg", {{"pix-x", "64"}}));
  if (auto* o = std::get_if<output>(&r)) {
    EXPECT_EQ(read_back(o->data).w, 64);
  }
  auto junk = failed(conv().run({"image/jpeg", "", "not an image at all"}, to("image/png")));
  EXPECT_EQ(junk.what, failure::code::bad_parameters);
  // A format we do not read, whatever the label says (an SVG).
  failed(conv().run({"image/png", "", "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"}, to("image/png")));
}

}  // namespace
}  // namespace lemonade::convert
