// text/html -> text/plain (mime/html_text.hpp): what CONVERT and PREVIEW
// make of a document's structure.
#include "mime/html_text.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace lemonade::mime {
namespace {

std::string text(std::string_view html, html_text_options opts = {}) { return html_text(html, opts).value(); }

TEST(html_text, paragraphs_and_headings_are_set_apart) {
  EXPECT_EQ(text("<h1>Title</h1><p>First   para\ngraph.</p><p>Second<br>line</p>"),
            "Title\n\nFirst para graph.\n\nSecond\nline\n");
}

TEST(html_text, script_style_and_head_are_left_out) {
  EXPECT_EQ(text("<html><head><title>T</title><style>p{}</style></head><body><script>x=1</script>"
                 "Hello&nbsp;&amp; you</body></html>"),
            "Hello\xc2\xa0& you\n");
}

TEST(html_text, lists_keep_markers_and_nest) {
  EXPECT_EQ(text("<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul><ol start=3><li>three</li><li>four</li></ol>"),
            "- one\n- two\n  - inner\n3. three\n4. four\n");
}

TEST(html_text, links_show_their_address_when_the_text_is_not_it) {
  EXPECT_EQ(text("<p>See <a href=\"https://example.com/x\">the page</a> or "
                 "<a href=\"https://example.com/\">https://example.com/</a> or "
                 "<a href=\"mailto:bob@example.com\">bob@example.com</a>; <a href=\"#top\">top</a>.</p>"),
            "See the page <https://example.com/x> or https://example.com/ or bob@example.com; top.\n");
  html_text_options no_links;
  no_links.links = false;
  EXPECT_EQ(text("<a href=\"https://example.com/x\">the page</a>", no_links), "the page\n");
}

TEST(html_text, data_tables_keep_rows_layout_tables_are_read_as_blocks) {
  EXPECT_EQ(text("<table><tr><th>Name</th><th>Qty</th></tr><tr><td>Apple</td><td>3</td></tr></table>"),
            "Name | Qty\nApple | 3\n");
  EXPECT_EQ(text("<table border=1><tr><td>a</td><td>b</td></tr></table>"), "a | b\n");
  EXPECT_EQ(text("<table><tr><td>Left column</td><td>Right column</td></tr></table>"),
            "Left column\nRight column\n");
}

TEST(html_text, quotes_pre_images_and_rules) {
  EXPECT_EQ(text("<p>Reply</p><blockquote><p>quoted</p><p>more</p></blockquote>"),
            "Reply\n\n> quoted\n>\n> more\n");
  // RFC 3676 §4.5: the depth is the number of ">" together.
  EXPECT_EQ(text("<blockquote>one<blockquote>two</blockquote></blockquote>"), "> one\n>\n>> two\n");
  EXPECT_EQ(text("<blockquote>q</blockquote><p>after</p>"), "> q\n\nafter\n");
  EXPECT_EQ(text("<pre>a  b\n  c</pre>"), "a  b\n  c\n");
  EXPECT_EQ(text("x<img src=a.png alt=\"Logo\">y<hr>z"), "x [Logo]y\n----------\nz\n");
  html_text_options skip;
  skip.skip_quotes = true;
  EXPECT_EQ(text("<p>Reply</p><blockquote>quoted</blockquote>", skip), "Reply\n");
}

// RFC 3676 §4.2: a flowed line that continues ends in a space; §4.4: a
// line starting with a space, ">" or "From " is space-stuffed.
TEST(html_text, wraps_as_format_flowed) {
  html_text_options opts;
  opts.wrap = 20;
  EXPECT_EQ(text("<p>The quick brown fox jumps over the lazy dog.</p><pre>From here</pre>", opts),
            "The quick brown fox \njumps over the lazy \ndog.\n\n From here\n");
  // Text that only looks like a quote is stuffed; "-- " keeps its space.
  EXPECT_EQ(text("<p>&gt; 5 items</p><pre>-- \nsig</pre>", opts), " > 5 items\n\n-- \nsig\n");
}

TEST(html_text, deep_nesting_is_refused_before_parsing) {
  std::string bomb;
  for (int i = 0; i < 100000; ++i) bomb += "<div>";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(html_text(bomb), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // Unclosed paragraphs and void elements do not nest.
  std::string flat;
  for (int i = 0; i < 5000; ++i) flat += "<p>x<br><img src=a>";
  EXPECT_EQ(html_nesting_estimate(flat), 1u);
  // Ways around a count of start and end tags (each nests in the parser):
  // stray end tags, "/>" on a non-void element, table cells inside SVG,
  // an empty comment "<!-->" before the rest.
  auto deep = [](std::string unit) {
    std::string d;
    for (int i = 0; i < 3000; ++i) d += unit;
    return d;
  };
  EXPECT_GE(html_nesting_estimate(deep("<div></b>")), 3000u);
  EXPECT_GE(html_nesting_estimate(deep("<div/>")), 3000u);
  EXPECT_GE(html_nesting_estimate("<svg>" + deep("<td>")), 3000u);
  EXPECT_GE(html_nesting_estimate("<!-->" + deep("<div>")), 3000u);
  EXPECT_EQ(html_nesting_estimate("<svg><rect/><rect/></svg><table><tr><td>a<td>b<tr><td>c</table>"), 3u);
  // Just under the limit, then a megabyte of stray end tags: each was a
  // parse error holding a copy of the open elements.
  std::string strays;
  for (int i = 0; i < 1990; ++i) strays += "<div>";
  for (int i = 0; i < 250000; ++i) strays += "</b>";
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(html_text(strays).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A document of unclosed tags is read once, not once per tag.
  std::string unclosed;
  for (int i = 0; i < 200000; ++i) unclosed += "<a";
  start = std::chrono::steady_clock::now();
  html_nesting_estimate(unclosed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(html_nesting_estimate("<div><div></div><span><b>x</b></span></div><!-- <div><div><div> -->"), 3u);
}

}  // namespace
}  // namespace lemonade::mime
