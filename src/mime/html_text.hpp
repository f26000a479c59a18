#pragma once
// text/html reduced to readable plain text by an HTML parser (gumbo): the
// one converter behind PREVIEW (RFC 8970) and CONVERT's text/html ->
// text/plain (RFC 5259 §7.2: "preserve at the minimum the document
// structure and tables").
//
// Paragraphs, headings and block elements become lines (a blank line
// between paragraphs); list items start with "- " or "1. " and nest by
// two spaces; a data table (a border, or header cells) keeps a row per
// line with its cells between " | ", a layout table (a newsletter's) is
// read cell by cell as blocks; a link whose text is not its address is
// followed by " <address>"; an image by its alt text in brackets; a
// blockquote's lines start with "> "; <pre> keeps its spacing; <script>,
// <style> and <head> are left out.
//
// gumbo's time grows with input size times nesting depth (100,000 nested
// <div>s took 100 s): callers bound the input, and documents nested deeper
// than max_depth are refused (deep_nesting) before they are parsed.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::mime {

struct html_text_options {
  bool skip_quotes = false;  // leave <blockquote> out (a reply's quote)
  bool links = true;         // " <address>" after a link
  bool list_markers = true;  // "- " and "1. " before list items
  // Lines longer than this are wrapped as RFC 3676 format=flowed text
  // (a soft break ends in a space; lines are space-stuffed); 0: no wrap.
  std::size_t wrap = 0;
  std::size_t max_depth = 2000;
};

// The text, lines ended by "\n"; nullopt when the document is nested
// deeper than max_depth (counted before parsing, by its start and end
// tags).
std::optional<std::string> html_text(std::string_view html, const html_text_options& opts = {});

// The nesting depth a document reaches, estimated from its tags without
// parsing: start tags of elements that can hold others, less end tags.
std::size_t html_nesting_estimate(std::string_view html);

}  // namespace lemonade::mime
