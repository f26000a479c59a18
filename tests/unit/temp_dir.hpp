#pragma once
// A directory of its own under the system's temporary directory for one
// unit test, removed with everything in it when the test ends.

#include <filesystem>
#include <random>
#include <string>

namespace lemonade::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() / ("lemonade-unit-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace lemonade::test
