// UniqueHandle with a fake handle type whose destructions are counted: a move hands the
// handle over, every handle is destroyed exactly once, self-moves keep it.
#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "base/unique_handle.hpp"

namespace cpb {
namespace {

// How many times each fake handle was destroyed.
std::map<int, int>& destroyed() {
  static std::map<int, int> counts;
  return counts;
}

struct FakeTraits {
  using Handle = int;
  static Handle null() { return 0; }
  static void destroy(Handle h) { ++destroyed()[h]; }
};
using Fake = UniqueHandle<FakeTraits>;

class UniqueHandleTest : public ::testing::Test {
 protected:
  void SetUp() override { destroyed().clear(); }
};

TEST_F(UniqueHandleTest, DestroysOnceOnDestruction) {
  { Fake h(7); }
  EXPECT_EQ(destroyed(), (std::map<int, int>{{7, 1}}));
  { Fake empty; }
  EXPECT_EQ(destroyed(), (std::map<int, int>{{7, 1}}));  // null is never destroyed
}

TEST_F(UniqueHandleTest, MoveConstructionTransfersOwnership) {
  {
    Fake a(3);
    Fake b(std::move(a));
    EXPECT_TRUE(a.empty());  // the moved-from state is part of the contract
    EXPECT_EQ(b.get(), 3);
    EXPECT_TRUE(destroyed().empty());
  }
  EXPECT_EQ(destroyed(), (std::map<int, int>{{3, 1}}));
}

TEST_F(UniqueHandleTest, MoveAssignmentDestroysTheOldHandle) {
  {
    Fake a(1), b(2);
    b = std::move(a);
    EXPECT_EQ(destroyed(), (std::map<int, int>{{2, 1}}));
    EXPECT_EQ(b.get(), 1);
    EXPECT_TRUE(a.empty());
  }
  EXPECT_EQ(destroyed(), (std::map<int, int>{{1, 1}, {2, 1}}));
}

TEST_F(UniqueHandleTest, SelfMoveKeepsTheHandle) {
  {
    Fake a(5);
    Fake& same = a;
    a = std::move(same);
    EXPECT_EQ(a.get(), 5);
    EXPECT_TRUE(destroyed().empty());
  }
  EXPECT_EQ(destroyed(), (std::map<int, int>{{5, 1}}));
}

TEST_F(UniqueHandleTest, ReleaseAndReset) {
  Fake a(4);
  EXPECT_EQ(a.release(), 4);
  EXPECT_TRUE(a.empty());
  a.reset(6);
  a.reset(8);
  EXPECT_EQ(destroyed(), (std::map<int, int>{{6, 1}}));
  a.reset();
  EXPECT_EQ(destroyed(), (std::map<int, int>{{6, 1}, {8, 1}}));
  EXPECT_TRUE(a.empty());
}

TEST_F(UniqueHandleTest, OwnersInAGrowingVectorDestroyEachHandleOnce) {
  {
    std::vector<Fake> owners;
    for (int h = 1; h <= 20; ++h) owners.emplace_back(h);  // reallocations move the owners
    EXPECT_TRUE(destroyed().empty());
  }
  ASSERT_EQ(destroyed().size(), 20u);
  for (const auto& count : destroyed()) EXPECT_EQ(count.second, 1) << "handle " << count.first;
}

}  // namespace
}  // namespace cpb
