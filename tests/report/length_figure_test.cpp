// The figure and summary, drawn by the real gnuplot from a real database.
#include "report/length_figure.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace attnlab::report {
namespace {

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("attnlab-report-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    store_ = std::make_unique<store::RunStore>(dir_ / "r.db", store::OpenMode::kReadWrite);
    sweep_ =
        store_->begin_sweep("demo", "[]", {{"[]", "1111111111aa", ""}, {"[]", "2222222222bb", ""}});
    add_run("1111111111aa", "none", {1.0, 0.5, 0.1, 0.0});
    add_run("2222222222bb", "additive", {1.0, 1.0, 0.9, 0.4});
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void add_run(const std::string& hash, const std::string& attention,
               const std::vector<double>& accuracy) {
    store::NewRun run;
    run.sweep_id = sweep_;
    run.config_hash = hash;
    run.config_yaml = "{}";
    run.overrides_json = "[]";
    run.task = "reverse";
    run.model = "rnn";
    run.attention = attention;
    run.hidden_size = 64;
    run.train_min_length = 1;
    run.train_max_length = 3;
    const std::string id = store_->begin_run(run);
    std::vector<store::LengthEval> evals;
    for (size_t i = 0; i < accuracy.size(); ++i) {
      store::LengthEval e;
      e.length = static_cast<int>(i) + 1;
      e.n = 100;
      e.token_accuracy = e.sequence_accuracy = accuracy[i];
      evals.push_back(e);
    }
    store_->finish_run(id, evals, 10);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::RunStore> store_;
  std::string sweep_;
};

TEST_F(ReportTest, SummarySeparatesTrainingAndLongerLengths) {
  const auto rows = sweep_summary(*store_, sweep_);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, "none");
  EXPECT_NEAR(rows[0].train_accuracy, (1.0 + 0.5 + 0.1) / 3, 1e-12);
  EXPECT_DOUBLE_EQ(rows[0].longest_accuracy, 0.1);
  EXPECT_DOUBLE_EQ(rows[0].beyond_accuracy, 0.0);
  EXPECT_DOUBLE_EQ(rows[1].longest_accuracy, 0.9);
  EXPECT_DOUBLE_EQ(rows[1].beyond_accuracy, 0.4);
  const std::string table = summary_table(rows);
  EXPECT_NE(table.find("additive"), std::string::npos);
  EXPECT_NE(table.find("90.0%"), std::string::npos);
}

TEST_F(ReportTest, GnuplotWritesPngAndSvgWithEverySeries) {
  const auto page =
      write_sweep_report(*store_, sweep_, sweep_summary(*store_, sweep_), {}, dir_ / "out");
  EXPECT_EQ(page, dir_ / "out" / "index.md");
  std::ifstream png(dir_ / "out" / "accuracy_vs_length.png", std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  std::ifstream svg(dir_ / "out" / "accuracy_vs_length.svg");
  std::stringstream text;
  text << svg.rdbuf();
  EXPECT_NE(text.str().find("<svg"), std::string::npos);
  EXPECT_NE(text.str().find(">none<"), std::string::npos);
  EXPECT_NE(text.str().find(">additive<"), std::string::npos);
  EXPECT_NE(text.str().find("training lengths"), std::string::npos);
}

TEST_F(ReportTest, EmptySweepIsAnError) {
  const std::string empty = store_->begin_sweep("empty", "[]", {});
  EXPECT_THROW(write_length_figure(sweep_figure(*store_, empty), dir_ / "x"), std::runtime_error);
}

}  // namespace
}  // namespace attnlab::report
