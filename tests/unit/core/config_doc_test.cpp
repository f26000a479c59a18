// README.md's table of settings is the operator's reference: it must list
// every key config_keys() knows, with the same default and meaning.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/config.hpp"

namespace lemonade::core {
namespace {

TEST(core_config_doc, readme_lists_every_key_with_its_default) {
  std::ifstream in(std::string(LEMONADE_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "cannot read README.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  for (const auto& k : config_keys()) {
    std::string row = "| `" + k.key + "` | `" + k.default_value + "` | " + k.description + " |\n";
    EXPECT_NE(readme.find(row), std::string::npos) << "README.md lacks the row:\n" << row;
  }
}

}  // namespace
}  // namespace lemonade::core
