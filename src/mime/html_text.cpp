#include "mime/html_text.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/strings.hpp"

namespace lemonade::mime {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Elements that end a line before and after them.
bool is_block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_TR: case GUMBO_TAG_TD:
    case GUMBO_TAG_TH: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_TABLE: case GUMBO_TAG_UL:
    case GUMBO_TAG_OL: case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD:
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE: case GUMBO_TAG_MAIN: case GUMBO_TAG_FORM: case GUMBO_TAG_CENTER:
    case GUMBO_TAG_CAPTION: case GUMBO_TAG_TBODY: case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT:
      return true;
    default:
      return false;
  }
}

// Blocks set apart by a blank line.
bool is_paragraph(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE: case GUMBO_TAG_TABLE:
    case GUMBO_TAG_DL:
      return true;
    default:
      return false;
  }
}

const char* attribute(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a ? a->value : nullptr;
}

const GumboVector& children_of(const GumboNode* n) {
  return n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
}

// A table with a border or header cells holds data: rows stay rows.
bool data_table(const GumboNode* table) {
  if (auto* b = attribute(table, "border"); b && std::strcmp(b, "0") != 0 && *b) return true;
  // Its own rows only (tbody/thead/tfoot, then tr): a nested table
  // decides for itself.
  for (unsigned i = 0; i < table->v.element.children.length; ++i) {
    auto* sect = static_cast<const GumboNode*>(table->v.element.children.data[i]);
    if (sect->type != GUMBO_NODE_ELEMENT) continue;
    auto& rows = sect->v.element.children;
    for (unsigned j = 0; j < rows.length; ++j) {
      auto* row = static_cast<const GumboNode*>(rows.data[j]);
      if (row->type != GUMBO_NODE_ELEMENT || row->v.element.tag != GUMBO_TAG_TR) continue;
      for (unsigned k = 0; k < row->v.element.children.length; ++k) {
        auto* cell = static_cast<const GumboNode*>(row->v.element.children.data[k]);
        if (cell->type == GUMBO_NODE_ELEMENT && cell->v.element.tag == GUMBO_TAG_TH) return true;
      }
    }
  }
  return false;
}

// Builds the text line by line.
class writer {
 public:
  explicit writer(const html_text_options& o) : opts_(o) {}

  void text(std::string_view t) {
    if (pre_ > 0) {
      for (char c : t) {
        if (c == '\r') continue;
        if (c == '\n') hard_break();
        else put(c);
      }
      return;
    }
    for (char c : t) {
      if (is_space(c)) {
        space_ = !line_.empty() && !at_prefix_end();
        continue;
      }
      if (space_) {
        put(' ');
        space_ = false;
      }
      put(c);
    }
  }
  // Ends the line in progress, if any.
  void line_break() {
    if (!content_) return;
    hard_break();
  }
  // Ends the line, and leaves one blank line (not at the start).
  // (Written before the next line, with that line's quote marks: a
  // blank line closing a quote is not quoted.)
  void blank_line() {
    line_break();
    if (!out_.empty()) pending_blank_ = true;
  }
  // <br>: a line end even on an empty line.
  void hard_break() { emit_line(); }
  // s as a word of its own: after a space.
  void word(std::string_view s) {
    if (content_) space_ = true;
    literal(s);
  }
  void literal(std::string_view s) {
    if (space_) {
      put(' ');
      space_ = false;
    }
    for (char c : s) put(c);
  }
  // Inline text since mark() (a link's own text).
  std::size_t mark() const { return written_; }
  std::string since(std::size_t mark) const {
    if (mark >= written_ || written_ - mark > recent_.size()) return {};
    return recent_.substr(recent_.size() - (written_ - mark));
  }

  std::vector<std::string> prefixes;  // per level: "> ", "  ", "- " (first line only)
  bool first_line_of_item = false;
  int pre_ = 0;

  std::string finish() {
    line_break();
    while (!out_.empty() && out_.size() >= 2 && out_.ends_with("\n\n")) out_.pop_back();
    if (out_ == "\n") out_.clear();
    return std::move(out_);
  }

 private:
  bool at_prefix_end() const { return !content_; }
  void put(char c) {
    if (!content_) start_line();
    line_ += c;
    content_ = true;
    ++written_;
    recent_ += c;
    if (recent_.size() > 4096) recent_.erase(0, 2048);
  }
  void start_line() {
    if (pending_blank_) {
      pending_blank_ = false;
      // Quoted as deep as both the line before and the line after.
      std::size_t depth = 0;
      for (auto& p : prefixes)
        if (p == "> ") ++depth;
      out_.append(std::min(depth, last_depth_), '>');
      out_ += '\n';
    }
    line_.clear();
    for (auto& p : prefixes) line_ += p;
    // A list item's marker shows on its first line; later lines get its
    // width in spaces.
    for (auto& p : prefixes)
      if (p.size() >= 2 && p != "> " && p.find_first_not_of(' ') != std::string::npos) p.assign(p.size(), ' ');
  }
  void emit_line() {
    if (!content_) start_line();
    std::string_view l = line_;
    while (!l.empty() && l.back() == ' ') l.remove_suffix(1);
    wrap(l);
    line_.clear();
    content_ = false;
    space_ = false;
  }
  // RFC 3676 §4.2: a flowed line ends in a space where it continues on
  // the next; §4.4: a line starting with a space, ">" (not a quote of
  // ours) or "From " is space-stuffed.
  void wrap(std::string_view l) {
    std::size_t quote = 0;
    while (l.substr(quote).starts_with("> ")) quote += 2;
    std::string lead(l.substr(0, quote));
    std::string_view body = l.substr(quote);
    if (opts_.wrap == 0 || l.size() <= opts_.wrap) {
      put_line(lead, body, false);
      return;
    }
    std::size_t width = opts_.wrap > lead.size() + 10 ? opts_.wrap - lead.size() : 10;
    while (body.size() > width) {
      // Break after the last space within the width (counting octets:
      // UTF-8 text wraps a little early, never inside a character).
      auto cut = body.rfind(' ', width);
      if (cut == std::string_view::npos || cut == 0) cut = body.find(' ', width);
      if (cut == std::string_view::npos) break;
      put_line(lead, body.substr(0, cut + 1), true);
      body.remove_prefix(cut + 1);
    }
    put_line(lead, body, false);
  }
  void put_line(const std::string& lead, std::string_view body, bool soft) {
    last_depth_ = lead.size() / 2;
    out_ += lead;
    if (opts_.wrap && (body.starts_with(" ") || body.starts_with(">") || body.starts_with("From ")) &&
        lead.empty())
      out_ += ' ';
    out_ += body;
    (void)soft;  // a soft break keeps its trailing space
    out_ += '\n';
  }

  const html_text_options& opts_;
  std::string out_;
  std::string line_;
  bool content_ = false;  // line_ holds text (not only prefixes)
  bool space_ = false;
  bool pending_blank_ = false;  // a blank line before the next one
  std::size_t last_depth_ = 0;  // quote depth of the last line out
  std::size_t written_ = 0;
  std::string recent_;
};

struct frame {
  const GumboNode* node;
  unsigned next = 0;
  std::size_t link_mark = 0;
  int counter = 0;          // <ol>: the next item's number
  bool data_table = false;  // <table>
  bool first_cell = true;   // <tr> of a data table
  bool pushed_prefix = false;
  bool block = false;       // ends lines before and after
};

bool linkable(std::string_view href) {
  return href.starts_with("http://") || href.starts_with("https://") || href.starts_with("mailto:") ||
         href.starts_with("ftp://");
}

}  // namespace

std::size_t html_nesting_estimate(std::string_view html) {
  static constexpr std::string_view no_content[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                                    "link", "meta", "param", "source", "track", "wbr",
                                                    // closed by their next sibling's start
                                                    "p", "li", "td", "th", "tr", "dt", "dd", "option"};
  std::size_t depth = 0, deepest = 0;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    ++i;
    if (i >= html.size()) break;
    if (html.substr(i).starts_with("!--")) {
      auto end = html.find("-->", i + 3);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    bool closing = html[i] == '/';
    if (closing) ++i;
    std::size_t start = i;
    while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '-')) ++i;
    if (i == start) continue;
    auto name = core::to_lower(html.substr(start, i - start));
    if (std::find(std::begin(no_content), std::end(no_content), name) != std::end(no_content)) continue;
    auto gt = html.find('>', i);
    if (!closing && gt != std::string_view::npos && gt > 0 && html[gt - 1] == '/') continue;  // <x/>
    if (closing) {
      if (depth > 0) --depth;
      continue;
    }
    deepest = std::max(deepest, ++depth);
    if (name == "script" || name == "style") {
      auto end = html.find("</", i);
      i = end == std::string_view::npos ? html.size() : end;
    }
  }
  return deepest;
}

std::optional<std::string> html_text(std::string_view html, const html_text_options& opts) {
  if (html_nesting_estimate(html) > opts.max_depth) return std::nullopt;
  GumboOutput* parsed = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
  writer w(opts);
  // A stack of our own: nesting depth costs no recursion.
  std::vector<frame> stack{{parsed->root}};
  while (!stack.empty()) {
    auto& f = stack.back();
    const GumboNode* n = f.node;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA || n->type == GUMBO_NODE_WHITESPACE) {
      w.text(n->v.text.text);
      stack.pop_back();
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT && n->type != GUMBO_NODE_TEMPLATE) {
      stack.pop_back();
      continue;
    }
    bool element = n->type != GUMBO_NODE_DOCUMENT;
    GumboTag tag = element ? n->v.element.tag : GUMBO_TAG_UNKNOWN;
    if (f.next == 0 && element) {
      // Opening the element.
      if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_HEAD || tag == GUMBO_TAG_TITLE ||
          tag == GUMBO_TAG_TEMPLATE || (opts.skip_quotes && tag == GUMBO_TAG_BLOCKQUOTE)) {
        stack.pop_back();
        continue;
      }
      frame* parent = stack.size() >= 2 ? &stack[stack.size() - 2] : nullptr;
      f.block = is_block(tag);
      // A data table's cells share their row's line.
      if ((tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) && parent && parent->node->type == GUMBO_NODE_ELEMENT &&
          parent->node->v.element.tag == GUMBO_TAG_TR) {
        for (auto it = stack.rbegin() + 1; it != stack.rend(); ++it)
          if (it->node->type == GUMBO_NODE_ELEMENT && it->node->v.element.tag == GUMBO_TAG_TABLE) {
            if (it->data_table) {
              f.block = false;
              if (!parent->first_cell) w.literal(" | ");
              parent->first_cell = false;
            }
            break;
          }
      }
      if (is_paragraph(tag)) w.blank_line();
      else if (f.block) w.line_break();
      switch (tag) {
        case GUMBO_TAG_BR: w.hard_break(); break;
        case GUMBO_TAG_HR: w.line_break(); w.literal("----------"); w.line_break(); break;
        case GUMBO_TAG_IMG:
          if (auto* alt = attribute(n, "alt"); alt && *alt) w.word("[" + std::string(alt) + "]");
          break;
        case GUMBO_TAG_PRE: ++w.pre_; break;
        case GUMBO_TAG_BLOCKQUOTE: w.prefixes.push_back("> "); f.pushed_prefix = true; break;
        case GUMBO_TAG_OL: {
          auto* s = attribute(n, "start");
          f.counter = s ? std::max(0, std::atoi(s)) : 1;
          break;
        }
        case GUMBO_TAG_LI: {
          // The nearest list above it numbers it.
          std::string marker = "- ";
          for (auto it = stack.rbegin() + 1; it != stack.rend(); ++it) {
            if (it->node->type != GUMBO_NODE_ELEMENT) continue;
            auto t = it->node->v.element.tag;
            if (t == GUMBO_TAG_OL) {
              marker = std::to_string(it->counter++) + ". ";
              break;
            }
            if (t == GUMBO_TAG_UL) break;
          }
          w.prefixes.push_back(opts.list_markers ? marker : "");
          f.pushed_prefix = true;
          break;
        }
        case GUMBO_TAG_DD: w.prefixes.push_back("    "); f.pushed_prefix = true; break;
        case GUMBO_TAG_TABLE: f.data_table = data_table(n); break;
        case GUMBO_TAG_A: f.link_mark = w.mark(); break;
        default: break;
      }
    }
    const GumboVector& children = children_of(n);
    if (f.next < children.length) {
      auto* child = static_cast<const GumboNode*>(children.data[f.next++]);
      stack.push_back({child});
      continue;
    }
    if (element) {
      // Closing the element.
      switch (tag) {
        case GUMBO_TAG_PRE: --w.pre_; break;
        case GUMBO_TAG_A:
          if (auto* href = attribute(n, "href"); opts.links && href && linkable(href)) {
            std::string_view h = href;
            auto shown_text = w.since(f.link_mark);
            std::string_view shown = shown_text;
            while (!shown.empty() && shown.front() == ' ') shown.remove_prefix(1);
            std::string_view bare = h.starts_with("mailto:") ? h.substr(7) : h;
            if (!shown.empty() && shown != h && shown != bare) w.word("<" + std::string(h) + ">");
          }
          break;
        default: break;
      }
      if (f.pushed_prefix) w.prefixes.pop_back();
      if (is_paragraph(tag)) w.blank_line();
      else if (f.block) w.line_break();
    }
    stack.pop_back();
  }
  gumbo_destroy_output(&kGumboDefaultOptions, parsed);
  return w.finish();
}

}  // namespace lemonade::mime
