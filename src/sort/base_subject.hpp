#pragma once
// RFC 5256 §2.1 base subject extraction, used by SORT SUBJECT and by both
// THREAD algorithms, and the §2.1 definition of a reply or forward that
// THREAD=REFERENCES step 5 uses.
//
// The grammar (RFC 5256 §2.1) the steps match, case-insensitively:
//   subj-refwd   = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
//   subj-blob    = "[" *BLOBCHAR "]" *WSP
//   subj-fwd-hdr = "[fwd:"          subj-fwd-trl = "]"
//   subj-leader  = (*subj-blob subj-refwd) / WSP
//   subj-trailer = "(fwd)" / WSP
//   BLOBCHAR     = %x01-5a / %x5c / %x5e-ff   ; any octet but "[" and "]"
// Octets of UTF-8 sequences are BLOBCHARs and never match the ASCII words,
// so the steps work on the UTF-8 text directly.

#include <string>
#include <string_view>

namespace lemonade::sort {

struct base_subject {
  // The base subject as UTF-8, not yet collated (sort_info stores its
  // casemap_key).
  std::string text;
  // RFC 5256 §2.1: "the base subject extraction rules, applied to the
  // original subject, remove any of the following: a subj-refwd, a "(fwd)"
  // subj-trailer, or a subj-fwd-hdr and subj-fwd-trl". Removing a blob
  // alone does not make a reply.
  bool reply_or_forward = false;
  friend bool operator==(const base_subject&, const base_subject&) = default;
};

// RFC 5256 §2.1 steps (1)-(7) on a raw Subject: field value (folded or
// not): RFC 2047 encoded words decoded to UTF-8 (mime::decode_header_value;
// undeclared 8-bit octets read as ISO-8859-1), then steps (2)-(7) as
// extract_base_subject_utf8. Never throws except std::bad_alloc.
base_subject extract_base_subject(std::string_view raw_subject);

// The same on text already decoded to UTF-8: step (1)'s white space rule
// (tabs, CR and LF become spaces, runs of spaces one space), then steps
// (2)-(7): trailing "(fwd)" and white space removed, leading subj-leaders
// and blobs removed while any match (a blob only when text remains after
// it), a "[fwd: ...]" wrapper unwrapped, all repeated until nothing
// changes.
base_subject extract_base_subject_utf8(std::string_view subject);

}  // namespace lemonade::sort
