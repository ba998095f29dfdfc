// The layout plans: transpose, slice (steps, negative starts, clamping) and
// pad (constant, reflect, edge) offset tables against hand-computed offsets,
// the concat pieces, and the error texts.
#include <catch2/catch.hpp>

#include "backends/common/LayoutPlan.h"

using namespace nutshell;
using common::kPadEntry;
using common::OffsetTables;
using Ints = std::vector<int64_t>;

namespace {

/// The input offset of every output element, row-major, as the gather reads
/// it (kPadEntry where any table pads).
Ints gatherOffsets(const OffsetTables& tables) {
  Ints offsets{0};
  for (const Ints& t : tables) {
    Ints next;
    for (int64_t base : offsets)
      for (int64_t v : t) next.push_back(base == kPadEntry || v == kPadEntry ? kPadEntry : base + v);
    offsets = next;
  }
  return offsets;
}

}  // namespace

TEST_CASE("layout: transpose tables", "[common][layout]") {
  auto t = common::planTranspose({2, 3}, {1, 0});
  REQUIRE(t.ok());
  CHECK(t->outShape == Ints{3, 2});
  CHECK(t->tables == OffsetTables{{0, 1, 2}, {0, 3}});
  // out[i][j] = in[j][i] of a row-major 2x3 input.
  CHECK(gatherOffsets(t->tables) == Ints{0, 3, 1, 4, 2, 5});

  auto reversed = common::planTranspose({2, 3}, {});
  REQUIRE(reversed.ok());
  CHECK(reversed->tables == t->tables);

  auto three = common::planTranspose({2, 3, 4}, {2, 0, 1});
  REQUIRE(three.ok());
  CHECK(three->outShape == Ints{4, 2, 3});
  CHECK(three->tables == OffsetTables{{0, 1, 2, 3}, {0, 12}, {0, 4, 8}});

  CHECK(common::planTranspose({2, 3}, {1}).message() == "perm has 1 entries for rank 2");
  CHECK(common::planTranspose({2, 3}, {0, 2}).message() == "perm entry 2 out of range");
}

TEST_CASE("layout: slice tables with steps", "[common][layout]") {
  // [5,6] rows 1,3 and columns 5,3,1.
  auto s = common::planSlice({5, 6}, {2, 3}, {1, 5}, {0, 1}, {2, -2});
  REQUIRE(s.ok());
  CHECK(*s == OffsetTables{{6, 18}, {5, 3, 1}});
  CHECK(gatherOffsets(*s) == Ints{11, 9, 7, 23, 21, 19});

  // Default axes and steps; a negative start counts from the end.
  auto tail = common::planSlice({2, 3}, {2, 2}, {0, -2}, {}, {});
  REQUIRE(tail.ok());
  CHECK(*tail == OffsetTables{{0, 3}, {1, 2}});
  // A negative axis, and a start past the end clamped for a backward walk.
  auto back = common::planSlice({2, 4}, {2, 4}, {10}, {-1}, {-1});
  REQUIRE(back.ok());
  CHECK(*back == OffsetTables{{0, 4}, {3, 2, 1, 0}});

  CHECK(common::planSlice({4}, {2}, {0}, {}, {0}).message() == "slice step 0");
  CHECK(common::planSlice({4}, {2}, {0}, {0, 1}, {}).message() ==
        "starts, axes and steps must have the same length");
  CHECK(common::planSlice({4}, {2}, {0}, {2}, {}).message() == "axis 2 out of range");
  CHECK(common::planSlice({4}, {3}, {2}, {}, {}).message() == "slice reads outside its input");
  CHECK(common::planSlice({4}, {2, 2}, {0}, {}, {}).message() == "result rank 2 differs from input rank 1");
}

TEST_CASE("layout: pad tables in each mode", "[common][layout]") {
  const int64_t P = kPadEntry;
  auto constant = common::planPad({3}, {6}, {2, 1}, "constant");
  REQUIRE(constant.ok());
  CHECK(*constant == OffsetTables{{P, P, 0, 1, 2, P}});
  auto reflect = common::planPad({3}, {6}, {2, 1}, "reflect");
  REQUIRE(reflect.ok());
  CHECK(*reflect == OffsetTables{{2, 1, 0, 1, 2, 1}});
  auto edge = common::planPad({3}, {6}, {2, 1}, "edge");
  REQUIRE(edge.ok());
  CHECK(*edge == OffsetTables{{0, 0, 0, 1, 2, 2}});
  // A single element reflects onto itself.
  CHECK(*common::planPad({1}, {3}, {1, 1}, "reflect") == OffsetTables{{0, 0, 0}});

  // [2,3] with one row before and one column after: offsets scale by the
  // input strides, and a padded row pads every element in it.
  auto twoD = common::planPad({2, 3}, {3, 4}, {1, 0, 0, 1}, "constant");
  REQUIRE(twoD.ok());
  CHECK(*twoD == OffsetTables{{P, 0, 3}, {0, 1, 2, P}});
  CHECK(gatherOffsets(*twoD) == Ints{P, P, P, P, 0, 1, 2, P, 3, 4, 5, P});

  CHECK(common::planPad({3}, {6}, {2}, "constant").message() == "pads has 1 entries for rank 1");
  CHECK(common::planPad({3}, {6}, {2, 1}, "wrap").message() == "unknown mode 'wrap'");
  CHECK(common::planPad({3}, {5}, {2, 1}, "edge").message() == "result shape disagrees with pads");
}

TEST_CASE("layout: contiguous runs and padding", "[common][layout]") {
  CHECK(common::isContiguousRun({3, 4, 5}));
  CHECK(common::isContiguousRun({7}));
  CHECK(common::isContiguousRun({}));
  CHECK_FALSE(common::isContiguousRun({3, 5}));
  CHECK_FALSE(common::isContiguousRun({kPadEntry, kPadEntry + 1}));
  CHECK(common::hasPadEntries({{0, 1}, {2, kPadEntry}}));
  CHECK_FALSE(common::hasPadEntries({{0, 1}, {2, 3}}));
  CHECK(common::denseStrides({2, 3, 4}) == Ints{12, 4, 1});
  CHECK(common::denseStrides({}).empty());
}

TEST_CASE("layout: concat pieces", "[common][layout]") {
  for (int64_t axis : {1, -2}) {
    auto c = common::planConcat({2, 5, 3}, {{2, 2, 3}, {2, 3, 3}}, axis);
    REQUIRE(c.ok());
    CHECK(c->axis == 1);
    CHECK(c->outer == 2);
    CHECK(c->rowElems == 15);
    CHECK(c->pieceElems == Ints{6, 9});
  }
  auto first = common::planConcat({4, 2}, {{1, 2}, {3, 2}}, 0);
  REQUIRE(first.ok());
  CHECK(first->outer == 1);
  CHECK(first->rowElems == 8);
  CHECK(first->pieceElems == Ints{2, 6});
  CHECK(common::planConcat({2, 5, 3}, {{2, 5, 3}}, 3).message() == "axis 3 out of range for rank 3");
  CHECK(common::planConcat({2, 5, 3}, {{2, 5, 3}}, -4).message() == "axis -1 out of range for rank 3");
  CHECK(common::planConcat({2, 5}, {{5}}, 1).message() == "operand 0 has rank 1 for a result of rank 2");
}

TEST_CASE("layout: tile and expand tables", "[common][layout]") {
  auto tile = common::planTile({2, 2}, {2, 6});
  REQUIRE(tile.ok());
  CHECK(gatherOffsets(*tile) == Ints{0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3});
  CHECK_THAT(common::planTile({2, 2}, {3, 2}).message(), Catch::Contains("not a multiple"));
  auto expand = common::planExpand({3, 1}, {2, 3, 2});
  REQUIRE(expand.ok());
  CHECK(gatherOffsets(*expand) == Ints{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2});
  CHECK_THAT(common::planExpand({3}, {4}).message(), Catch::Contains("does not broadcast"));
}

TEST_CASE("layout: depth_to_space and space_to_depth tables", "[common][layout]") {
  // [1,8,1,1], blocksize 2: dcr reads channel (i*2 + j)*2 + c, crd c*4 + i*2 + j.
  auto dcr = common::planDepthToSpace({1, 8, 1, 1}, 2, false);
  REQUIRE(dcr.ok());
  CHECK(gatherOffsets(*dcr) == Ints{0, 2, 4, 6, 1, 3, 5, 7});
  auto crd = common::planDepthToSpace({1, 8, 1, 1}, 2, true);
  REQUIRE(crd.ok());
  CHECK(gatherOffsets(*crd) == Ints{0, 1, 2, 3, 4, 5, 6, 7});
  // space_to_depth of [1,1,2,2]: channel i*2 + j holds element (i, j).
  auto s2d = common::planSpaceToDepth({1, 1, 2, 2}, 2);
  REQUIRE(s2d.ok());
  CHECK(gatherOffsets(*s2d) == Ints{0, 1, 2, 3});
  CHECK_THAT(common::planDepthToSpace({1, 6, 1, 1}, 2, false).message(), Catch::Contains("divisible by 4"));
  CHECK_THAT(common::planSpaceToDepth({1, 1, 3, 2}, 2).message(), Catch::Contains("divisible by 2"));
}
