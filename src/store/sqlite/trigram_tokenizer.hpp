#pragma once
// The SEARCH index's tokenizer, "lemonade_trigram": every sequence of three
// UTF-8 characters of the text, as FTS5's built-in trigram tokenizer cuts
// it, but each distinct one once per text, and unchanged. The index keeps
// which messages hold a trigram, not where (detail=none), so a repeat adds
// nothing to it and is not handed to FTS5: about two in three of a mail's
// trigrams are repeats, and FTS5 spent as much looking each up again as
// on a new one. No case folding: the stored SEARCH text and the needles
// are folded already (mime/text.hpp), and the needle is checked against
// that text anyway.

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

namespace lemonade::store::sqlite {

// Registers the tokenizer on a connection (every connection that writes
// or queries the index). Throws db_error if FTS5 is missing.
void register_trigram_tokenizer(sqlite3* h);

// The tokens the tokenizer gives for text, in its order (tests).
std::vector<std::string> trigram_tokens(std::string_view text);

}  // namespace lemonade::store::sqlite
