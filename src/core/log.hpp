#pragma once
// Logging: spdlog, one line per event, key=value fields so lines can be
// grepped and parsed ("conn=17 event=connect remote=127.0.0.1:50312").
// Passwords and message content are never logged.

#include <string>

#include <spdlog/spdlog.h>

namespace lemonade::core {

// Sets up the default logger; throws std::runtime_error for a bad level or
// an unwritable file.
void init_logging(const std::string& level, const std::string& file);

}  // namespace lemonade::core
