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
  EXPECT_EQ(parse_override("a=1_000.5").value.Scalar(), "1000.5");
  EXPECT_EQ(parse_override("a=__09_").value.Scalar(), "__09_");  // found by the fuzzer
  EXPECT_EQ(parse_override("a=1__0").value.Scalar(), "1__0");
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

TEST(Override, ParsesNestedContainersEscapesAndInterpolations) {
  const YAML::Node nested = parse_override("a=[1, [2, 'x,y'], {k: v w, n: [3]}]").value;
  ASSERT_TRUE(nested.IsSequence());
  EXPECT_EQ(nested[1][1].Scalar(), "x,y");
  EXPECT_EQ(nested[2]["k"].Scalar(), "v w");
  EXPECT_EQ(nested[2]["n"][0].Scalar(), "3");
  EXPECT_EQ(parse_override("a=[]").value.size(), 0u);
  EXPECT_EQ(parse_override("a={}").value.size(), 0u);
  const Override escaped = parse_override("a=x\\,y\\ ");
  EXPECT_FALSE(escaped.is_sweep());
  EXPECT_EQ(escaped.value.Scalar(), "x,y ");
  const Override interp = parse_override("a=${env:HOME,/tmp},b");
  ASSERT_TRUE(interp.is_sweep());
  EXPECT_EQ(interp.sweep[0].Scalar(), "${env:HOME,/tmp}");
  EXPECT_EQ(parse_override("a=b=c").value.Scalar(), "b=c");
  EXPECT_EQ(parse_override("db@backup=sqlite").package, "backup");
  EXPECT_EQ(parse_override("db@backup=sqlite").key, "db");
  EXPECT_EQ(parse_override("model/encoder=gru").key, "model/encoder");
  EXPECT_EQ(parse_override("a.list.0=5").key, "a.list.0");
}

std::vector<std::string> rendered(const Override& o) {
  std::vector<std::string> out;
  for (const auto& v : o.sweep)
    out.push_back(render_value(v));
  return out;
}

TEST(Override, SweepFunctionsAndCasts) {
  using V = std::vector<std::string>;
  EXPECT_EQ(rendered(parse_override("a=range(3)")), (V{"0", "1", "2"}));
  EXPECT_EQ(rendered(parse_override("a=range(start=1, stop=10, step=4)")), (V{"1", "5", "9"}));
  EXPECT_EQ(rendered(parse_override("a=range(1.0, 2.0, 0.5)")), (V{"1.0", "1.5"}));
  EXPECT_EQ(rendered(parse_override("a=sort(3,1,2)")), (V{"1", "2", "3"}));
  EXPECT_EQ(rendered(parse_override("a=sort(b,c,a, reverse=true)")), (V{"c", "b", "a"}));
  EXPECT_EQ(rendered(parse_override("a=sort(range(3), reverse=true)")), (V{"2", "1", "0"}));
  EXPECT_EQ(render_value(parse_override("a=sort([3,1,2])").value), "[1, 2, 3]");
  const V shuffled = rendered(parse_override("a=shuffle(1,2,3,4,5,6,7,8, seed=3)"));
  EXPECT_EQ(shuffled, rendered(parse_override("a=shuffle(1,2,3,4,5,6,7,8, seed=3)")));
  EXPECT_NE(shuffled, rendered(parse_override("a=shuffle(1,2,3,4,5,6,7,8, seed=4)")));
  V sorted = shuffled;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (V{"1", "2", "3", "4", "5", "6", "7", "8"}));
  EXPECT_EQ(rendered(parse_override("a=int(range(1.5, 3.5, 1.0))")), (V{"1", "2"}));
  EXPECT_EQ(rendered(parse_override("a=str(choice(1, true))")), (V{"'1'", "'true'"}));
  EXPECT_EQ(render_value(parse_override("a=float(3)").value), "3.0");
  EXPECT_EQ(render_value(parse_override("a=bool(0)").value), "false");
  EXPECT_EQ(render_value(parse_override("a=int([1.9, '2'])").value), "[1, 2]");
  EXPECT_EQ(parse_override("a=choice(x)").sweep.size(), 1u);
  // As in Hydra: spaces may stand before a function's parenthesis.
  EXPECT_EQ(rendered(parse_override("a=choice (1, 2)")), (V{"1", "2"}));
  EXPECT_EQ(rendered(parse_override("a=range (2)")), (V{"0", "1"}));
}

TEST(Override, GlobSelectsGroupOptions) {
  ParseContext context;
  context.group_options = [](const std::string& group) {
    return group == "attention" ? std::vector<std::string>{"additive", "dot", "general", "none"}
                                : std::vector<std::string>{};
  };
  EXPECT_EQ(rendered(parse_override("attention=glob(*)", context)),
            (std::vector<std::string>{"additive", "dot", "general", "none"}));
  EXPECT_EQ(rendered(parse_override("attention=glob([d*, g*])", context)),
            (std::vector<std::string>{"dot", "general"}));
  EXPECT_EQ(rendered(parse_override("attention=glob(*, exclude=none)", context)),
            (std::vector<std::string>{"additive", "dot", "general"}));
  EXPECT_THROW(parse_override("attention=glob(x*)", context), ConfigError);
  EXPECT_THROW(parse_override("task=glob(*)", context), ConfigError);
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
            "cannot parse override '=3'\n  =3\n  ^ expected a key, as in key=value");
  EXPECT_NE(error_of("train.lr").find("expected '=' and a value, as in train.lr=VALUE"),
            std::string::npos);
  const std::string unbalanced = error_of("a=[1,2");
  EXPECT_NE(unbalanced.find("\n        ^ unclosed '['"), std::string::npos) << unbalanced;
  EXPECT_NE(error_of("a b=1").find("' ' cannot appear in a key"), std::string::npos);
  EXPECT_NE(error_of("a=range()").find("range() needs a stop"), std::string::npos);
  EXPECT_NE(error_of("a=range(1,2,3,4)").find("at most 3 arguments"), std::string::npos);
  EXPECT_NE(error_of("a=range(1,x)").find("range() takes numbers"), std::string::npos);
  EXPECT_NE(error_of("a=range(1,5,size=2)").find("no argument 'size'; valid: start, stop, step"),
            std::string::npos);
  EXPECT_NE(error_of("a=range(1,5,0)").find("step must not be zero"), std::string::npos);
  EXPECT_NE(error_of("a=glob(*)").find("only known in a sweep"), std::string::npos);
  EXPECT_EQ(error_of("a=interval(0,1)")
                .rfind("cannot parse override 'a=interval(0,1)'\n"
                       "  a=interval(0,1)\n    ^ interval() describes",
                       0),
            0u);
  EXPECT_NE(error_of("a=foo(1)").find("unknown function 'foo'; valid: choice, range"),
            std::string::npos);
  EXPECT_NE(error_of("a=[choice(1,2)]").find("cannot be nested"), std::string::npos);
  // Sweeps do not nest: choice() of another sweep is refused, not flattened.
  EXPECT_NE(error_of("a=choice(range(2), 5)").find("choice() takes values, not another sweep"),
            std::string::npos)
      << error_of("a=choice(range(2), 5)");
  // A character outside keys is quoted whole, the caret under it whatever
  // its script.
  EXPECT_EQ(
      error_of("+\u043a\u043b\u044e\u0447=1"),
      "cannot parse override '+\u043a\u043b\u044e\u0447=1'\n  +\u043a\u043b\u044e\u0447=1\n   ^ "
      "'\u043a' cannot appear in a key (letters, digits, _ - . / @)");
  EXPECT_NE(error_of("a=[\u00e9,2").find("\n        ^ unclosed '['"), std::string::npos)
      << error_of("a=[\u00e9,2");
  EXPECT_NE(error_of("a=choice(1,2),3").find("cannot be part of a comma list"), std::string::npos);
  EXPECT_NE(error_of("a=${x.y").find("unclosed interpolation"), std::string::npos);
  EXPECT_NE(error_of("a=int(abc)").find("int() cannot convert 'abc'"), std::string::npos);
  EXPECT_NE(error_of("a='open").find("unterminated quote"), std::string::npos);
}

}  // namespace
}  // namespace attnlab::config
