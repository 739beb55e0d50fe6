// The base layer: name lists and suggestions, number and Markdown
// formatting, the registry's lookup and error, the keyed error, and golden values that pin
// the hash and the random stream (splits, seeds and shuffles of stored runs
// depend on them).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "base/errors.h"
#include "base/hash.h"
#include "base/registry.h"
#include "base/text.h"

namespace attnlab::base {
namespace {

TEST(Text, JoinsNames) {
  EXPECT_EQ(join({}), "");
  EXPECT_EQ(join({"a"}), "a");
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"a", "b"}, " | "), "a | b");
}

TEST(Text, SuggestsOnlyCloseNames) {
  const std::vector<std::string> keys = {"steps", "batch_size", "seed"};
  EXPECT_EQ(did_you_mean("stpes", keys), " (did you mean 'steps'?)");  // a swap is one edit
  EXPECT_EQ(did_you_mean("batch_sise", keys), " (did you mean 'batch_size'?)");
  EXPECT_EQ(did_you_mean("learning_rate", keys), "");
  EXPECT_EQ(did_you_mean("x", {}), "");
}

TEST(Text, FormatsFixedPointAndMarkdownCells) {
  EXPECT_EQ(fixed(2.0 / 3.0, 3), "0.667");
  EXPECT_EQ(fixed(12.5, 0), "12");  // round half to even, as printf does
  EXPECT_EQ(fixed(-0.05, 1), "-0.1");
  EXPECT_EQ(markdown_cell("a | b\nc\r\nd"), "a \\| b c  d");
}

TEST(Registry, FindsByNameInTableOrderAndNamesTheValidOnes) {
  const Registry<int> numbers("number", {{"one", 1}, {"two", 2}, {"three", 3}});
  EXPECT_EQ(numbers.names(), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(numbers.at("two"), 2);
  ASSERT_NE(numbers.find("three"), nullptr);
  EXPECT_EQ(*numbers.find("three"), 3);
  EXPECT_EQ(numbers.find("four"), nullptr);
  try {
    numbers.at("four");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "unknown number 'four'; valid: one, two, three");
  }
  EXPECT_EQ(numbers.name_of(3), "three");
  EXPECT_THROW(numbers.name_of(4), std::logic_error);
}

TEST(KeyError, CarriesTheKeyAndSaysItFirst) {
  const KeyError e("task.path", "cannot read x.tsv");
  EXPECT_EQ(e.key(), "task.path");
  EXPECT_EQ(std::string(e.what()), "task.path: cannot read x.tsv");
  const std::invalid_argument& plain = e;  // callers that do not care still catch it
  EXPECT_EQ(std::string(plain.what()), "task.path: cannot read x.tsv");
}

TEST(Hash, GoldenValues) {
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ULL);
  SplitMix64 rng(42);
  EXPECT_EQ(rng.next(), 13679457532755275413ULL);
  SplitMix64 zero(0);
  EXPECT_EQ(zero.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(zero.next(), 0x6e789e6aa1b965f4ULL);
}

}  // namespace
}  // namespace attnlab::base
