// Composition: defaults list, group choices, experiments, value overrides,
// and the errors a user sees, with file positions.
#include "config/compose.h"

#include <gtest/gtest.h>

#include "config/errors.h"
#include "config/settings.h"

namespace attnlab::config {
namespace {

const std::filesystem::path kData = ATTNLAB_TEST_DATA;

Composed compose_with(const std::vector<std::string>& overrides,
                      const std::string& experiment = "") {
  ComposeRequest request;
  request.config_dir = kData / "configs";
  request.experiment_dir = kData / "experiments";
  request.experiment = experiment;
  for (const auto& o : overrides)
    request.overrides.push_back(parse_override(o));
  return compose(request);
}

std::string error_of(const std::vector<std::string>& overrides,
                     const std::string& experiment = "") {
  try {
    compose_with(overrides, experiment);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Compose, MergesTheDefaultsListUnderGroupKeys) {
  const Composed c = compose_with({});
  EXPECT_EQ(c.root["task"]["vocab_size"].as<int>(), 10);
  EXPECT_EQ(c.root["attention"]["name"].as<std::string>(), "additive");
  EXPECT_EQ(c.root["seed"].as<int>(), 7);
  EXPECT_FALSE(c.root["defaults"].IsDefined());
  EXPECT_EQ(c.choices.at("attention"), "additive");
  EXPECT_EQ(c.where("task.vocab_size"), (kData / "configs/task/reverse.yaml").string() + ":2:13");
}

TEST(Compose, GroupAndValueOverridesApplyInOrder) {
  const Composed c = compose_with({"attention=dot", "train.lr=0.5", "+extra.note=hi", "~seed"});
  EXPECT_EQ(c.root["attention"]["name"].as<std::string>(), "dot");
  EXPECT_EQ(c.root["train"]["lr"].as<double>(), 0.5);
  EXPECT_EQ(c.root["extra"]["note"].as<std::string>(), "hi");
  EXPECT_FALSE(c.root["seed"].IsDefined());
  EXPECT_EQ(c.where("train.lr"), "override 'train.lr=0.5'");
  EXPECT_EQ(compose_with({"++seed=9"}).root["seed"].as<int>(), 9);
}

TEST(Compose, ExperimentOverridesGroupsAndValuesBeforeTheCommandLine) {
  const Composed c = compose_with({}, "short");
  EXPECT_EQ(c.root["attention"]["name"].as<std::string>(), "dot");
  EXPECT_EQ(c.root["train"]["steps"].as<int>(), 5);
  EXPECT_EQ(c.experiment_sweep["attention"].as<std::string>(), "none,dot");
  EXPECT_FALSE(c.root["sweep"].IsDefined());
  EXPECT_EQ(compose_with({"attention=none"}, "short").root["attention"]["name"].as<std::string>(),
            "none");
}

TEST(Compose, ResolvesInterpolationsAfterOverrides) {
  ::setenv("ATTNLAB_TEST_VAR", "from-env", 1);
  ::unsetenv("ATTNLAB_UNSET_VAR");
  const Composed c = compose_with(
      {"++extra.n=${train.steps}", "++extra.text=n=${train.steps}!",
       "++extra.env=${env:ATTNLAB_TEST_VAR}", "++extra.fallback=${oc.env:ATTNLAB_UNSET_VAR,dflt}",
       "++extra.tree=${task}", "++extra.chain=${extra.n}", "train.steps=33"});
  EXPECT_EQ(c.root["extra"]["n"].as<int>(), 33);
  EXPECT_EQ(c.root["extra"]["text"].as<std::string>(), "n=33!");
  EXPECT_EQ(c.root["extra"]["env"].as<std::string>(), "from-env");
  EXPECT_EQ(c.root["extra"]["fallback"].as<std::string>(), "dflt");
  EXPECT_EQ(c.root["extra"]["tree"]["vocab_size"].as<int>(), 10);
  EXPECT_EQ(c.root["extra"]["chain"].as<int>(), 33);
  EXPECT_NE(error_of({"++a=${b}", "++b=${a}"}).find("interpolation cycle"), std::string::npos);
  EXPECT_EQ(error_of({"++a=${nope.x}"}),
            "override '++a=${nope.x}': a: interpolation '${nope.x}' refers to 'nope.x', which is "
            "not in the config");
  EXPECT_NE(error_of({"++a=${env:ATTNLAB_UNSET_VAR}"}).find("'ATTNLAB_UNSET_VAR' is not set"),
            std::string::npos);
}

TEST(Compose, ErrorsNameTheKeyTheOptionAndTheValidChoices) {
  EXPECT_EQ(error_of({"train.lrr=1"}),
            "Could not override 'train.lrr'. To append to your config use +train.lrr=1\n"
            "Key 'train.lrr' is not in the config (did you mean 'lr'?); valid keys here: steps, "
            "batch_size, lr, clip_norm, log_every, eval_every");
  EXPECT_EQ(error_of({"attention=dott"}),
            "override 'attention=dott': Could not find 'attention/dott' (did you mean 'dot'?)\n"
            "Available options in 'attention': additive, bogus, dot, local_p, multihead, none");
  EXPECT_NE(error_of({"+seed=1"}).find("An item is already at 'seed'"), std::string::npos);
  EXPECT_NE(error_of({"~nothing"}).find("'nothing' does not exist"), std::string::npos);
  EXPECT_NE(error_of({"attention=none,dot"}).find("is a sweep; use `attnlab sweep`"),
            std::string::npos);
  EXPECT_NE(error_of({}, "nope").find("no experiment 'nope'"), std::string::npos);
}

TEST(Compose, NonScalarKeysAreRejectedAtAnyDepth) {
  // Found by the fuzzer: a complex key below the top level.
  try {
    parse_yaml("task:\n  ? [a, b]\n  : 1\n", "f.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "f.yaml:2:5: keys must be plain names");
  }
  EXPECT_EQ(parse_yaml("a: {b: [1, {c: 2}]}", "f.yaml")["a"]["b"][1]["c"].as<int>(), 2);
}

TEST(Compose, MalformedYamlNamesFileLineAndColumn) {
  ComposeRequest request;
  request.config_dir = kData / "bad_yaml";
  try {
    compose(request);
    FAIL() << "malformed YAML was accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind((kData / "bad_yaml/config.yaml").string() + ":4:", 0), 0u) << message;
    EXPECT_NE(message.find("malformed YAML"), std::string::npos);
  }
}

}  // namespace
}  // namespace attnlab::config

namespace attnlab::config {
namespace {

Composed compose_packages(const std::vector<std::string>& overrides) {
  ComposeRequest request;
  request.config_dir = kData / "packages";
  for (const auto& o : overrides)
    request.overrides.push_back(parse_override(o));
  return compose(request);
}

std::string packages_error(const std::vector<std::string>& overrides) {
  try {
    compose_packages(overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ComposePackages, PlacesOptionsByPackageHeaderAndEntry) {
  const Composed c = compose_packages({});
  EXPECT_EQ(c.root["db"]["driver"].as<std::string>(), "sqlite");
  EXPECT_EQ(c.root["backup"]["driver"].as<std::string>(), "postgres");     // db@backup
  EXPECT_EQ(c.root["server"]["site"]["title"].as<std::string>(), "blog");  // nested group
  EXPECT_EQ(c.root["flat_key"].as<int>(), 1);                              // _global_
  EXPECT_EQ(c.root["name"].as<std::string>(), "from-flat");  // after _self_, so it wins
  EXPECT_FALSE(c.root["extras"].IsDefined());                // optional and missing
  EXPECT_EQ(c.choices.at("db@backup"), "postgres");
  EXPECT_EQ(c.where("backup.port"), (kData / "packages/db/postgres.yaml").string() + ":3:7");
}

TEST(ComposePackages, CommandLineChangesAddsAndRemovesEntries) {
  const Composed c = compose_packages({"db@backup=sqlite", "server/site=shop", "extras=other",
                                       "+db@third=postgres", "~db", "backup.port=7"});
  EXPECT_EQ(c.root["backup"]["driver"].as<std::string>(), "sqlite");
  EXPECT_EQ(c.root["backup"]["port"].as<int>(), 7);
  EXPECT_EQ(c.root["server"]["site"]["title"].as<std::string>(), "shop");
  EXPECT_EQ(c.root["settings"]["extra"]["level"].as<int>(), 3);
  EXPECT_FALSE(c.root["db"].IsDefined());
  EXPECT_EQ(c.root["third"]["port"].as<int>(), 5432);
  EXPECT_EQ(packages_error({"db@other=sqlite"}),
            "override 'db@other=sqlite': Could not override 'db@other'. No match in the defaults "
            "list; entries: db, db@backup, extras, server/site, flat; to add it use "
            "+db@other=sqlite");
  EXPECT_NE(packages_error({"+db=postgres"}).find("'db' is already there"), std::string::npos);
  EXPECT_NE(packages_error({"name@x=1"}).find("takes no @package"), std::string::npos);
  EXPECT_NE(packages_error({"server/site=cafe"}).find("Could not find 'server/site/cafe'"),
            std::string::npos);
}

}  // namespace
}  // namespace attnlab::config

namespace attnlab::config {
namespace {

TEST(ComposeNested, OptionFilesHaveTheirOwnDefaultsLists) {
  const Composed c = compose_packages({});
  EXPECT_EQ(c.root["server"]["site"]["title"].as<std::string>(), "blog");
  EXPECT_EQ(c.root["server"]["site"]["theme"]["color"].as<std::string>(), "white");  // relative
  EXPECT_EQ(c.root["site_db"]["driver"].as<std::string>(), "sqlite");                // absolute
  EXPECT_EQ(c.choices.at("server/site/theme"), "light");
  EXPECT_FALSE(c.root["server"]["site"]["defaults"].IsDefined());
}

TEST(ComposeNested, OverridesReachNestedEntries) {
  EXPECT_EQ(compose_packages({"server/site/theme=dark"})
                .root["server"]["site"]["theme"]["color"]
                .as<std::string>(),
            "black");
  EXPECT_FALSE(
      compose_packages({"~server/site/theme"}).root["server"]["site"]["theme"].IsDefined());
  EXPECT_EQ(compose_packages({"db@site_db=postgres"}).root["site_db"]["port"].as<int>(), 5432);
  // The shop option has no theme entry, so nothing matches.
  EXPECT_NE(packages_error({"server/site=shop", "server/site/theme=dark"})
                .find("Could not override 'server/site/theme'. No match in the defaults list"),
            std::string::npos);
}

TEST(Compose, AnOptionFileOverridesALaterGroupButNotTheCommandLine) {
  EXPECT_EQ(compose_with({"model=transformer"}).choices.at("attention"), "multihead");
  EXPECT_EQ(compose_with({"model=transformer", "attention=dot"}).choices.at("attention"), "dot");
  const std::string error = error_of({"model=late"});
  EXPECT_NE(error.find("model/late.yaml:3:5: 'override /task' comes after that group was merged; "
                       "an option file can override only groups that come later in the defaults "
                       "list"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace attnlab::config
