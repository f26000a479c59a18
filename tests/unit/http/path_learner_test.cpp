// What the HTTPS bindings learn of a user's path (docs/http-binding.md,
// "Keepalives" and "Long polling"): halved below a loss, grown after three
// survivals up to 0.9 of the limit, kept per user and device, written out
// and read back over a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "http/binding_session.hpp"

namespace lemonade::http {
namespace {

using namespace std::chrono_literals;

TEST(HttpPathLearner, LossSurvivalAndRestart) {
  path_learner pings("websocket", 20s, 1680s, 1680s);
  const std::string phone = std::string("alice") + '\x1f' + "phone";
  const std::string tablet = std::string("alice") + '\x1f' + "tablet";
  EXPECT_EQ(pings.interval(""), 1680s);  // before login: nothing learned
  EXPECT_EQ(pings.interval(phone), 1680s);
  pings.loss(phone, 30s);  // the path forgot a connection quiet for 30 s
  EXPECT_EQ(pings.interval(phone), 20s);      // halved (15 s), not below the floor
  EXPECT_EQ(pings.interval(tablet), 1680s);   // another device's path is its own
  pings.loss(phone, 5s);  // right after traffic: radio churn, not counted
  EXPECT_EQ(pings.interval(phone), 20s);
  // Three survivals at the full interval: it grows, below 0.9 × 30 s.
  for (int i = 0; i < 3; ++i) pings.survived(phone, 20s);
  EXPECT_EQ(pings.interval(phone), 27s);
  EXPECT_TRUE(pings.changed());

  std::stringstream file;
  pings.save(file);
  EXPECT_FALSE(pings.changed());
  path_learner restarted("websocket", 20s, 1680s, 1680s);
  path_learner other("poll", 20s, 25s, 110s);
  EXPECT_EQ(other.load(file), 0u);  // another binding's lines are not its
  file.clear();
  file.seekg(0);
  EXPECT_EQ(restarted.load(file), 2u);  // the phone's and the tablet's
  EXPECT_EQ(restarted.interval(tablet), 1680s);
  EXPECT_EQ(restarted.interval(phone), 27s);
  // The limit came back too: growth still stops at 0.9 of it.
  for (int i = 0; i < 3; ++i) restarted.survived(phone, 27s);
  EXPECT_EQ(restarted.interval(phone), 27s);

  std::stringstream junk("websocket\talice\tx\t1\t2\nwebsocket\t\t1\t1\t1\nnonsense\n");
  path_learner none("websocket", 20s, 1680s, 1680s);
  EXPECT_EQ(none.load(junk), 0u);
}

TEST(HttpPathLearner, DevicesPerUser) {
  path_learner pings("websocket", 20s, 1680s, 1680s);
  auto key = [](int d) { return std::string("alice") + '\x1f' + "d" + std::to_string(d); };
  for (int d = 0; d < 16; ++d) pings.loss(key(d), 100s);  // 16 devices: each its own path
  EXPECT_EQ(pings.interval(key(15)), 50s);
  EXPECT_EQ(pings.interval(key(16)), 1680s);  // the 17th shares the device-less path...
  pings.loss(key(17), 60s);
  EXPECT_EQ(pings.interval(std::string("alice") + '\x1f'), 30s);  // ...and so does the 18th
  EXPECT_EQ(pings.interval(key(16)), 30s);
  EXPECT_EQ(pings.interval(std::string("bob") + '\x1f' + "d0"), 1680s);  // another user's are their own
}

TEST(HttpPathLearner, Devices) {
  EXPECT_TRUE(valid_device(""));
  EXPECT_TRUE(valid_device("pixel-7_a.2"));
  EXPECT_FALSE(valid_device("two words"));
  EXPECT_FALSE(valid_device(std::string(65, 'a')));
  EXPECT_FALSE(valid_device("tab\there"));
}

}  // namespace
}  // namespace lemonade::http
