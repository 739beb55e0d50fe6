// The override grammar: actions, typing, quoting, sweeps, and error carets.
#include "config/override.h"

#include <gtest/gtest.h>

#include "config/errors.h"

namespace attnlab::config {
namespace {

TEST(Override, ParsesActionsAndKeys) {
  EXPECT_EQ(parse_override("train.lr=0.1").action, OverrideAction::kSet);
  EXPECT_EQ(parse_override("+extra.key=1").action, OverrideAction::kAdd);
  EXPECT_EQ(parse_override("++extra=1").action, OverrideAction::kForceAdd);
  const Override d = parse_override("~model.cell");
  EXPECT_EQ(d.action, OverrideAction::kDelete);
  EXPECT_EQ(d.key, "model.cell");
  EXPECT_FALSE(d.has_value);
  EXPECT_EQ(parse_override("+extra.key=1").key, "extra.key");
}

TEST(Override, TypesValuesLikeHydra) {
  EXPECT_EQ(parse_override("a=1_000").value.Scalar(), "1000");
  EXPECT_EQ(parse_override("a=-7").value.Scalar(), "-7");
  EXPECT_EQ(parse_override("a=1e-05").value.Scalar(), "1e-05");
  EXPECT_EQ(parse_override("a=INF").value.Scalar(), ".inf");
  EXPECT_EQ(parse_override("a=NaN").value.Scalar(), ".nan");
  EXPECT_EQ(parse_override("a=True").value.Scalar(), "true");
  EXPECT_TRUE(parse_override("a=null").value.IsNull());
  const Override s = parse_override("a=123abc");
  EXPECT_EQ(s.value.Scalar(), "123abc");
  EXPECT_NE(s.value.Tag(), "!");
  const YAML::Node list = parse_override("a=[1, 2]").value;
  ASSERT_TRUE(list.IsSequence());
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].as<int>(), 2);
}

TEST(Override, QuotedTextIsAStringAndNeverASweep) {
  const Override o = parse_override("a='1,2'");
  EXPECT_FALSE(o.is_sweep());
  EXPECT_EQ(o.value.Scalar(), "1,2");
  EXPECT_EQ(o.value.Tag(), "!");
  EXPECT_EQ(parse_override("a=\"it\\\"s\"").value.Scalar(), "it\"s");
  EXPECT_EQ(parse_override("a=  padded value  ").value.Scalar(), "padded value");
}

TEST(Override, ExpandsSweepValues) {
  const Override comma = parse_override("attention=none,dot , general");
  ASSERT_EQ(comma.sweep.size(), 3u);
  EXPECT_EQ(comma.sweep[1].Scalar(), "dot");
  EXPECT_EQ(comma.sweep[2].Scalar(), "general");
  const Override range = parse_override("h=range(32,129,32)");
  ASSERT_EQ(range.sweep.size(), 4u);
  EXPECT_EQ(range.sweep[0].Scalar(), "32");
  EXPECT_EQ(range.sweep[3].Scalar(), "128");
  const Override down = parse_override("h=range(5,0,-2)");
  ASSERT_EQ(down.sweep.size(), 3u);
  EXPECT_EQ(down.sweep[2].Scalar(), "1");
  const Override floats = parse_override("lr=range(0.1,0.35,0.1)");
  ASSERT_EQ(floats.sweep.size(), 3u);
  EXPECT_EQ(floats.sweep[2].Scalar(), "0.3");
  EXPECT_EQ(parse_override("a=choice(1,[2,3])").sweep[1].size(), 2u);
  EXPECT_EQ(parse_override("lengths=[1,2],[3,4]").sweep.size(), 2u);
}

TEST(Override, RendersJobsInOverrideSyntax) {
  const Override o = parse_override("attention=none,dot");
  EXPECT_EQ(o.with_value(o.sweep[1]), "attention=dot");
  EXPECT_EQ(parse_override("+x=a,b").with_value(YAML::Node("b")), "+x=b");
  EXPECT_EQ(render_value(parse_override("a='10'").value), "'10'");
}

std::string error_of(const std::string& text) {
  try {
    parse_override(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Override, ErrorsPointAtTheProblem) {
  EXPECT_EQ(error_of("=3"),
            "Error parsing override '=3'\n  =3\n  ^ expected a key, as in key=value");
  EXPECT_NE(error_of("train.lr").find("expected '=' and a value, as in train.lr=VALUE"),
            std::string::npos);
  const std::string unbalanced = error_of("a=[1,2");
  EXPECT_NE(unbalanced.find("\n        ^ unclosed '['"), std::string::npos) << unbalanced;
  EXPECT_NE(error_of("a b=1").find("' ' cannot appear in a key"), std::string::npos);
  EXPECT_NE(error_of("a=range(1)").find("range() takes 2 or 3 arguments"), std::string::npos);
  EXPECT_NE(error_of("a=range(1,5,0)").find("step must not be zero"), std::string::npos);
  EXPECT_NE(error_of("a=glob(*)").find("glob() is not supported yet"), std::string::npos);
  EXPECT_NE(error_of("a='open").find("unterminated quote"), std::string::npos);
}

}  // namespace
}  // namespace attnlab::config
