// The bootstrap: known answers, pairing, determinism.
#include "report/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace attnlab::report {
namespace {

std::string outcomes(int ones, int zeros) {
  return std::string(static_cast<size_t>(ones), '1') + std::string(static_cast<size_t>(zeros), '0');
}

TEST(Bootstrap, EvidenceCountsOutcomes) {
  const SeedEvidence s = single("1101", 0.0);
  EXPECT_EQ(s.examples, 4);
  EXPECT_EQ(s.plus, 3);
  EXPECT_EQ(s.minus, 0);
  EXPECT_DOUBLE_EQ(s.mean(), 0.75);
  const SeedEvidence v = single("", 0.4);
  EXPECT_EQ(v.examples, 0);
  EXPECT_DOUBLE_EQ(v.mean(), 0.4);
}

TEST(Bootstrap, PairedDifferenceCountsDisagreements) {
  const SeedEvidence d = paired_difference("11001", "10101", 0, 0);
  EXPECT_EQ(d.examples, 5);
  EXPECT_EQ(d.plus, 1);   // example 2: A right, B wrong
  EXPECT_EQ(d.minus, 1);  // example 3: B right, A wrong
  EXPECT_DOUBLE_EQ(d.mean(), 0.0);
  // Without matching outcomes, only the values remain.
  const SeedEvidence v = paired_difference("11", "101", 0.9, 0.6);
  EXPECT_EQ(v.examples, 0);
  EXPECT_NEAR(v.mean(), 0.3, 1e-12);
}

TEST(Bootstrap, OneSeedOfHalfRightMatchesTheBinomialInterval) {
  // 400 examples, 200 right: the normal approximation gives 0.5 +- 0.049.
  const Interval i = bootstrap_interval({single(outcomes(200, 200), 0)}, 7);
  EXPECT_DOUBLE_EQ(i.estimate, 0.5);
  EXPECT_NEAR(i.lo, 0.451, 0.012);
  EXPECT_NEAR(i.hi, 0.549, 0.012);
}

TEST(Bootstrap, CertaintyHasNoWidth) {
  const Interval i =
      bootstrap_interval({single(outcomes(50, 0), 0), single(outcomes(80, 0), 0)}, 1);
  EXPECT_DOUBLE_EQ(i.estimate, 1.0);
  EXPECT_DOUBLE_EQ(i.lo, 1.0);
  EXPECT_DOUBLE_EQ(i.hi, 1.0);
}

TEST(Bootstrap, SeedsAreResampled) {
  // Three seeds without outcomes: the estimates are means of three draws
  // from {0.2, 0.5, 0.8}, so the interval lies inside [0.2, 0.8] and is wide.
  const Interval i = bootstrap_interval({single("", 0.2), single("", 0.5), single("", 0.8)}, 3);
  EXPECT_NEAR(i.estimate, 0.5, 1e-12);
  EXPECT_GE(i.lo, 0.2 - 1e-12);
  EXPECT_LE(i.lo, 0.35);
  EXPECT_GE(i.hi, 0.65);
  EXPECT_LE(i.hi, 0.8 + 1e-12);
}

TEST(Bootstrap, PairingNarrowsTheInterval) {
  // Two settings right on the same 150 of 200 examples, A also on 10 more:
  // paired, the difference 0.05 is clearly positive.
  const std::string a = outcomes(160, 40);
  const std::string b = outcomes(150, 50);
  const Interval d = bootstrap_interval({paired_difference(a, b, 0, 0)}, 11);
  EXPECT_NEAR(d.estimate, 0.05, 1e-12);
  EXPECT_GT(d.lo, 0.0);
  EXPECT_LT(d.hi, 0.1);
}

TEST(Bootstrap, TheSameStreamGivesTheSameInterval) {
  const std::vector<SeedEvidence> seeds = {single(outcomes(30, 70), 0),
                                           single(outcomes(45, 55), 0)};
  const Interval x = bootstrap_interval(seeds, stream_of("dot"));
  const Interval y = bootstrap_interval(seeds, stream_of("dot"));
  const Interval z = bootstrap_interval(seeds, stream_of("general"));
  EXPECT_EQ(x.lo, y.lo);
  EXPECT_EQ(x.hi, y.hi);
  EXPECT_TRUE(x.lo != z.lo || x.hi != z.hi);
  EXPECT_NE(stream_of("a"), stream_of("b"));
}

}  // namespace
}  // namespace attnlab::report
