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
  // RFC 3676 §4.5: a quoted line starts with its quote depth in ">"
  // characters, together, then one space; list indentation follows.
  void start_line() {
    std::size_t depth = 0;
    for (auto& p : prefixes)
      if (p == "> ") ++depth;
    if (pending_blank_) {
      pending_blank_ = false;
      // Quoted as deep as both the line before and the line after.
      out_.append(std::min(depth, last_depth_), '>');
      out_ += '\n';
    }
    line_.assign(depth, '>');
    if (depth) line_ += ' ';
    for (auto& p : prefixes)
      if (p != "> ") line_ += p;
    line_depth_ = depth;
    lead_ = line_.size();
    // A list item's marker shows on its first line; later lines get its
    // width in spaces.
    for (auto& p : prefixes)
      if (p.size() >= 2 && p != "> " && p.find_first_not_of(' ') != std::string::npos) p.assign(p.size(), ' ');
  }
  void emit_line() {
    if (!content_) start_line();
    std::string_view l = line_;
    // Trailing white space goes, but for the signature separator "-- "
    // (RFC 3676 §4.3).
    if (l.substr(lead_) != "-- ")
      while (!l.empty() && l.back() == ' ') l.remove_suffix(1);
    wrap(l);
    line_.clear();
    content_ = false;
    space_ = false;
  }
  // RFC 3676 §4.2: a flowed line ends in a space where it continues on
  // the next; §4.4: an unquoted line starting with a space, ">" or
  // "From " is space-stuffed (a quoted line's space after its ">"s is
  // that stuffing already).
  void wrap(std::string_view l) {
    std::size_t quote = line_depth_ ? std::min(l.size(), line_depth_ + 1) : 0;
    std::string lead(l.substr(0, quote));
    std::string_view body = l.substr(quote);
    if (opts_.wrap == 0 || l.size() <= opts_.wrap) {
      put_line(lead, body);
      return;
    }
    std::size_t width = opts_.wrap > lead.size() + 10 ? opts_.wrap - lead.size() : 10;
    while (body.size() > width) {
      // Break after the last space within the width (counting octets:
      // UTF-8 text wraps a little early, never inside a character). The
      // space stays at the end of the line: a soft break.
      auto cut = body.rfind(' ', width);
      if (cut == std::string_view::npos || cut == 0) cut = body.find(' ', width);
      if (cut == std::string_view::npos) break;
      put_line(lead, body.substr(0, cut + 1));
      body.remove_prefix(cut + 1);
    }
    put_line(lead, body);
  }
  void put_line(const std::string& lead, std::string_view body) {
    last_depth_ = line_depth_;
    out_ += lead;
    if (opts_.wrap && lead.empty() && (body.starts_with(" ") || body.starts_with(">") || body.starts_with("From ")))
      out_ += ' ';
    out_ += body;
    out_ += '\n';
  }

  const html_text_options& opts_;
  std::string out_;
  std::string line_;
  bool content_ = false;  // line_ holds text (not only prefixes)
  bool space_ = false;
  bool pending_blank_ = false;  // a blank line before the next one
  std::size_t last_depth_ = 0;  // quote depth of the last line out
  std::size_t line_depth_ = 0;  // quote depth of line_
  std::size_t lead_ = 0;        // octets of line_'s quote marks and indentation
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
  // An upper bound rather than the parser's exact tree: end tags close
  // only an element open near the top of the stack (a stray one closes
  // nothing), "/>" closes nothing outside SVG and MathML (HTML ignores
  // it), and inside those every start tag nests.
  static constexpr std::string_view void_elements[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                                       "link", "meta", "param", "source", "track", "wbr"};
  // Start tags that close an open element of their family first.
  auto closes = [](std::string_view start, std::string_view open) {
    if (start == "td" || start == "th") return open == "td" || open == "th";
    if (start == "tr") return open == "td" || open == "th" || open == "tr";
    if (start == "dt" || start == "dd") return open == "dt" || open == "dd";
    if (start == "li" || start == "p" || start == "option") return open == start;
    return false;
  };
  std::vector<std::string> open;
  std::size_t foreign = 0;  // svg / math elements open
  std::size_t deepest = 0;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    ++i;
    if (i >= html.size()) break;
    if (html[i] == '!' || html[i] == '?') {
      // Comments ("<!-->" is a whole one), doctype, processing
      // instructions: nothing nests.
      if (html.substr(i).starts_with("!--")) {
        if (html.substr(i).starts_with("!-->")) { i += 4; continue; }
        if (html.substr(i).starts_with("!--->")) { i += 5; continue; }
        auto end = html.find("-->", i + 3);
        if (end == std::string_view::npos) break;
        i = end + 3;
      }
      continue;
    }
    bool closing = html[i] == '/';
    if (closing) ++i;
    std::size_t start = i;
    while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '-' || html[i] == ':'))
      ++i;
    if (i == start) continue;
    auto name = core::to_lower(html.substr(start, i - start));
    // The tag's end, looked for only up to the next tag's start (a
    // document of unclosed "<a" must not be read once per tag).
    auto next_lt = html.find('<', i);
    auto gt = html.substr(0, next_lt == std::string_view::npos ? html.size() : next_lt).find('>', i);
    bool self_closing = gt != std::string_view::npos && gt > i && html[gt - 1] == '/';
    if (closing) {
      // Only an element among the top few: a stray end tag closes nothing.
      for (std::size_t k = 0; k < 8 && k < open.size(); ++k) {
        if (open[open.size() - 1 - k] != name) continue;
        for (std::size_t pop = 0; pop <= k; ++pop) {
          if (open.back() == "svg" || open.back() == "math") --foreign;
          open.pop_back();
        }
        break;
      }
      continue;
    }
    if (foreign == 0) {
      if (std::find(std::begin(void_elements), std::end(void_elements), name) != std::end(void_elements)) continue;
      while (!open.empty() && closes(name, open.back())) open.pop_back();
    } else if (self_closing) {
      continue;
    }
    open.push_back(name);
    if (name == "svg" || name == "math") ++foreign;
    deepest = std::max(deepest, open.size());
    if (foreign == 0 && (name == "script" || name == "style" || name == "textarea" || name == "title")) {
      // Raw text up to its end tag.
      auto end = html.find("</", i);
      i = end == std::string_view::npos ? html.size() : end;
    }
  }
  return deepest;
}

std::optional<std::string> html_text(std::string_view html, const html_text_options& opts) {
  if (html_nesting_estimate(html) > opts.max_depth) return std::nullopt;
  // No parse errors recorded: gumbo copies its stack of open elements
  // into every one (a deep document full of stray end tags made
  // gigabytes of them).
  GumboOptions gopts = kGumboDefaultOptions;
  gopts.max_errors = 0;
  GumboOutput* parsed = gumbo_parse_with_options(&gopts, html.data(), html.size());
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
          // Clamped: a counter of a billion items is no list.
          f.counter = s ? static_cast<int>(std::clamp(std::strtol(s, nullptr, 10), 0L, 1000000L)) : 1;
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
  gumbo_destroy_output(&gopts, parsed);
  return w.finish();
}

}  // namespace lemonade::mime
