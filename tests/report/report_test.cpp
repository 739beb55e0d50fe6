// A study read from a real database, drawn by the real gnuplot.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "report/page.h"
#include "report/study.h"

namespace attnlab::report {
namespace {
namespace fs = std::filesystem;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kExperiment = R"(# @package _global_
# Does attention help?
# A second line of the question.
#
# A second paragraph.
defaults:
  - override /task: reverse
sweep:
  attention: none,additive
  seed: 1,2
report:
  headline: [2, 3]
claims:
  - text: additive gets at least a tenth of the training lengths right
    where: {attention.name: additive}
    lengths: train
    at_least: 0.1
  - text: additive learns the training lengths
    where: {attention.name: additive}
    lengths: train
    at_least: 0.9
)";

// What a run cost, as a finished run records it.
struct Cost {
  store::Environment environment;
  double steps_per_second = 0, flops_per_step = 0, peak_gflops = 0;
  int trained_steps = 0;
};

class StudyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnlab-study-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    store_ = std::make_unique<store::RunStore>(dir_ / "r.db", store::OpenMode::kReadWrite);
    std::vector<store::PlannedJob> plan;
    for (const char* hash : {"a1", "a2", "b1", "b2"})
      plan.push_back({static_cast<int>(plan.size()) + 1, {}, hash, ""});
    sweep_ = store_->begin_sweep("demo", "[]", plan, "", kExperiment);
    // Lengths 1-4, trained on 1-3; 4 examples per length.
    add_run("a1", "none", 1, {"1111", "1100", "1000", "0000"});
    add_run("a2", "none", 2, {"1111", "1110", "0000", "0000"});
    add_run("b1", "additive", 1, {"1111", "1111", "1110", "1000"});
    add_run("b2", "additive", 2, {"1111", "1111", "1111", "1100"});
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void add_run(const std::string& hash, const std::string& attention, int seed,
               const std::vector<std::string>& outcomes, const Cost& cost = {}) {
    store::NewRun run;
    run.environment = cost.environment;
    run.sweep_id = sweep_;
    run.config_hash = hash;
    run.config_yaml = "{}";
    run.overrides_json = "[\"attention=" + attention + "\", \"seed=" + std::to_string(seed) + "\"]";
    run.seed = static_cast<std::uint64_t>(seed);
    run.task = "reverse";
    run.model = "rnn";
    run.attention = attention;
    run.hidden_size = 64;
    run.train_min_length = 1;
    run.train_max_length = 3;
    run.length_unit = "symbols";
    const std::string id = store_->begin_run(run);
    store_->set_params(id, {{"attention.name", attention},
                            {"seed", std::int64_t{seed}},
                            {"model.hidden_size", std::int64_t{64}}});
    std::vector<store::MetricPoint> metrics;
    for (int step = 10; step <= 30; step += 10) {
      metrics.push_back({step, "train_loss", 2.0 / step});
      metrics.push_back({step, "dev_exact", step / 40.0});
    }
    if (cost.peak_gflops > 0) {
      metrics.push_back({cost.trained_steps, "steps_per_second", cost.steps_per_second});
      metrics.push_back({cost.trained_steps, "flops_per_step", cost.flops_per_step});
      metrics.push_back({cost.trained_steps, "peak_gflops", cost.peak_gflops});
    }
    store_->log_metrics(id, metrics);
    std::vector<store::LengthEval> evals;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      store::LengthEval e;
      e.length = static_cast<int>(i) + 1;
      e.n = static_cast<int>(outcomes[i].size());
      e.outcomes = outcomes[i];
      e.sequence_accuracy =
          static_cast<double>(std::count(outcomes[i].begin(), outcomes[i].end(), '1')) / e.n;
      e.token_accuracy = e.sequence_accuracy;
      if (attention != "none") e.aer = 1 - e.sequence_accuracy;  // measured where it attends
      e.bleu = e.length >= 2 ? 80 * e.sequence_accuracy : std::nan("");  // undefined on 1
      evals.push_back(e);
    }
    store::DecodedExample example;
    example.length = 3;
    example.source = "a b c";
    example.reference = "c b a";
    example.prediction = attention == "none" ? "c a a" : "c b a";
    example.source_tokens = {"a", "b", "c"};
    example.output_tokens = {"c", "b", "a", "<eos>"};
    if (attention != "none") {
      example.weights = {0.1f, 0.1f, 0.8f, 0.1f, 0.8f, 0.1f, 0.8f, 0.1f, 0.1f, 0.3f, 0.3f, 0.4f};
    }
    store_->finish_run(id, {evals, {}, {example}, 12.5, cost.trained_steps, cost.trained_steps});
  }

  fs::path dir_;
  std::unique_ptr<store::RunStore> store_;
  std::string sweep_;
};

TEST_F(StudyTest, SettingsSeedsAndSpecComeFromTheDatabase) {
  const Study study = load_study(*store_, sweep_);
  EXPECT_EQ(study.swept, std::vector<std::string>{"attention.name"});
  EXPECT_EQ(study.seeds, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(study.settings, (std::vector<std::string>{"none", "additive"}));
  EXPECT_EQ(study.spec.lines, std::vector<std::string>{"attention.name"});
  EXPECT_EQ(study.spec.facets, "");
  EXPECT_EQ(study.spec.headline.kind, LengthSelection::Kind::kRange);
  EXPECT_EQ(study.length_unit, "symbols");
  EXPECT_EQ(study.description,
            "Does attention help? A second line of the question.\n\nA second paragraph.");
  // Additive's two seeds, 11 and 12 of 12: 0.958, but two seeds of 12
  // examples cannot show that it clears 0.9.
  ASSERT_EQ(study.claims.size(), 2u);
  EXPECT_EQ(study.claims[0].verdict, ClaimOutcome::Verdict::kPass);
  EXPECT_EQ(study.claims[1].verdict, ClaimOutcome::Verdict::kInconclusive);
}

TEST_F(StudyTest, HeadlinePoolsTheSelectedLengths) {
  const Study study = load_study(*store_, sweep_);
  const Headline h = headline_of(study.runs[0], study.spec.headline);  // none, seed 1, lengths 2-3
  EXPECT_EQ(h.examples, 8);
  EXPECT_DOUBLE_EQ(h.value, 3.0 / 8);
  EXPECT_EQ(h.outcomes, "11001000");
  const auto all = headlines(study, study.spec.headline);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].setting, "additive");
  EXPECT_EQ(all[1].seeds, 2);
  EXPECT_DOUBLE_EQ(all[1].value.estimate, (7.0 / 8 + 8.0 / 8) / 2);
}

TEST_F(StudyTest, ComparisonsArePairedAndOriented) {
  const Study study = load_study(*store_, sweep_);
  const auto pairs = compare_settings(study);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].a, "additive");
  EXPECT_EQ(pairs[0].b, "none");
  EXPECT_EQ(pairs[0].seeds, 2);
  EXPECT_TRUE(pairs[0].outcomes);
  // Seed 1: 7/8 - 3/8; seed 2: 8/8 - 3/8.
  EXPECT_DOUBLE_EQ(pairs[0].difference.estimate, (4.0 / 8 + 5.0 / 8) / 2);
  // Two seeds of 8 examples: the interval spans zero, and one comparison
  // needs no adjustment.
  EXPECT_LT(pairs[0].difference.lo, 0.0);
  EXPECT_LE(pairs[0].difference.hi, 1.0);
  EXPECT_GT(pairs[0].difference.p_value, 0.05);
  EXPECT_DOUBLE_EQ(pairs[0].holm_p, pairs[0].difference.p_value);
  EXPECT_FALSE(pairs[0].clear());
}

TEST_F(StudyTest, ReportHasEveryFigureInEveryFormatAndBothPages) {
  const Study study = load_study(*store_, sweep_);
  const auto files = write_report(study, dir_ / "out");
  std::vector<std::string> names;
  for (const auto& f : files.figures)
    names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"accuracy_by_length", "bleu_by_length",
                                             "alignment_error_by_length", "grid_lengths",
                                             "comparisons", "learning_curves", "alignment_L3"}));
  for (const auto& name : names) {
    EXPECT_EQ(read(dir_ / "out" / (name + ".png")).substr(1, 3), "PNG") << name;
    EXPECT_EQ(read(dir_ / "out" / (name + ".pdf")).substr(0, 5), "%PDF-") << name;
    EXPECT_TRUE(contains(read(dir_ / "out" / (name + ".svg")), "<svg")) << name;
  }
  // The alignment error: the runs that attend, none of the runs without attention.
  const std::string aer = read(dir_ / "out" / "alignment_error_by_length.svg");
  EXPECT_TRUE(contains(aer, "alignment error rate (%)"));
  EXPECT_FALSE(contains(aer, ">none<"));
  EXPECT_TRUE(contains(read(dir_ / "out" / "accuracy_by_length.svg"), ">none<"));
  // BLEU: from length 2 on, where it is defined; its axis in BLEU points.
  const std::string bleu = read(dir_ / "out" / "bleu_by_length.svg");
  EXPECT_TRUE(contains(bleu, ">BLEU<"));
  EXPECT_TRUE(contains(read(dir_ / "out" / "bleu_by_length.dat"), "$p0l0 << EOD\n2 "));
  const std::string figure = read(dir_ / "out" / "accuracy_by_length.svg");
  EXPECT_TRUE(contains(figure, ">additive<"));
  EXPECT_TRUE(contains(figure, "trained on 1-3"));
  EXPECT_TRUE(contains(figure, "input length (symbols)"));
  EXPECT_TRUE(contains(read(dir_ / "out" / "alignment_L3.svg"), "&lt;eos>"));

  const std::string html = read(files.html);
  EXPECT_TRUE(contains(html, "<title>attnlab report: demo</title>"));
  EXPECT_TRUE(contains(html, "<img src=\"accuracy_by_length.svg\""));
  EXPECT_TRUE(contains(html, "<a href=\"comparisons.pdf\">PDF</a>"));
  EXPECT_TRUE(contains(html, "Does attention help? A second line of the question."));
  EXPECT_TRUE(contains(html, "additive learns the training lengths"));
  EXPECT_TRUE(contains(html, "<td class=\"pass\">pass</td>"));
  EXPECT_TRUE(contains(html, "<td class=\"inconclusive\">inconclusive</td>"));
  EXPECT_TRUE(contains(html, "1 comparison. The 95 % intervals"));
  EXPECT_FALSE(contains(html, "src=\"/"));  // relative links only
  EXPECT_FALSE(contains(html, "<script"));
  const std::string md = read(files.markdown);
  // The alignment error has no per-example outcomes: its band is over seeds alone.
  const auto aer_caption = md.find("Alignment error rate of the attention");
  ASSERT_NE(aer_caption, std::string::npos);
  const std::string caption = md.substr(aer_caption, md.find('\n', aer_caption) - aer_caption);
  EXPECT_TRUE(contains(caption, "the band is the 95 % Student-t interval over the seeds."))
      << caption;
  EXPECT_FALSE(contains(caption, "never narrower")) << caption;
  EXPECT_TRUE(contains(md, "![Exact match by input length](accuracy_by_length.svg)"));
  EXPECT_TRUE(contains(md, "| additive | none | 2 | 56.2 |"));
  // The summary: additive on lengths 2-3 is 93.8 % on average.
  EXPECT_TRUE(contains(summary_text(study), "93.8 ["));
}

// Runs of one study on two devices: each device's wall time beside its
// cost at its own measured peak. One device: no such table.
TEST_F(StudyTest, CostByHardwareNormalisesWallTimeByEachDevicesPeak) {
  EXPECT_FALSE(contains(read(write_report(load_study(*store_, sweep_), dir_ / "one").markdown),
                        "Cost by hardware"));
  std::vector<store::PlannedJob> plan;
  for (const char* hash : {"c1", "g1"})
    plan.push_back({static_cast<int>(plan.size()) + 1, {}, hash, ""});
  sweep_ = store_->begin_sweep("devices", "[]", plan, "", kExperiment);
  Cost cpu, gpu;
  cpu.environment.device = "cpu";
  cpu.environment.cpu = "AMD EPYC";
  cpu.environment.threads = 1;
  cpu.steps_per_second = 300;
  cpu.flops_per_step = 1e8;
  cpu.peak_gflops = 100;
  cpu.trained_steps = 3000;
  gpu = cpu;
  gpu.environment.device = "cuda";
  gpu.environment.gpu = "NVIDIA H200";
  gpu.steps_per_second = 150;
  gpu.peak_gflops = 40000;
  add_run("c1", "additive", 1, {"1111", "1111", "1110", "1000"}, cpu);
  add_run("g1", "additive", 1, {"1111", "1111", "1110", "1000"}, gpu);
  const std::string md = read(write_report(load_study(*store_, sweep_), dir_ / "two").markdown);
  EXPECT_TRUE(contains(md, "## Cost by hardware")) << md;
  // 12.5 s a run; 3000 steps x 1e8 FLOPs = 0.3 TFLOP; MFU 300 x 1e8 / 1e11 =
  // 30 % and 150 x 1e8 / 4e13 = 0.0375 %; 12.5 s x peak = 1.25 and 500 TFLOP.
  EXPECT_TRUE(
      contains(md, "| cpu (AMD EPYC, 1 thread) | 1 | 12.5 | 300.0 | 0.300 | 100 | 30.0 | 1.25 |"))
      << md;
  EXPECT_TRUE(
      contains(md, "| cuda (NVIDIA H200) | 1 | 12.5 | 150.0 | 0.300 | 40000 | 0.0375 | 500 |"))
      << md;
}

TEST_F(StudyTest, RegeneratingGivesByteIdenticalSvgAndHtml) {
  const auto first = write_report(load_study(*store_, sweep_), dir_ / "a");
  const auto second = write_report(load_study(*store_, sweep_), dir_ / "b");
  EXPECT_EQ(read(first.html), read(second.html));
  EXPECT_EQ(read(first.markdown), read(second.markdown));
  for (const auto& f : first.figures) {
    EXPECT_EQ(read(dir_ / "a" / (f.name + ".svg")), read(dir_ / "b" / (f.name + ".svg"))) << f.name;
  }
}

TEST_F(StudyTest, FacetsAndGridsFollowTheSweptSettings) {
  // A second swept setting: hidden size, one panel each and a grid.
  for (const auto& [hash, attention, hidden] :
       {std::tuple<std::string, std::string, int>{"c1", "none", 128}, {"d1", "additive", 128}}) {
    (void)hash;
    store::NewRun run;
    run.sweep_id = sweep_;
    run.config_hash = hash;
    run.config_yaml = "{}";
    run.overrides_json =
        "[\"attention=" + attention + "\", \"model.hidden_size=" + std::to_string(hidden) + "\"]";
    run.train_max_length = 3;
    run.train_min_length = 1;
    const std::string id = store_->begin_run(run);
    store_->set_params(id, {{"attention.name", attention},
                            {"seed", std::int64_t{1}},
                            {"model.hidden_size", std::int64_t{hidden}}});
    store::LengthEval e;
    e.length = 2;
    e.n = 2;
    e.outcomes = "10";
    e.sequence_accuracy = 0.5;
    store_->finish_run(id, {{e}, {}, {}, 1});
  }
  store_->database().exec(
      "INSERT INTO sweep_jobs (sweep_id, job_index, overrides, config_hash) "
      "SELECT sweep_id, 4, '[]', 'c1' FROM sweeps; "
      "INSERT INTO sweep_jobs (sweep_id, job_index, overrides, config_hash) "
      "SELECT sweep_id, 5, '[]', 'd1' FROM sweeps;");
  const Study study = load_study(*store_, sweep_);
  EXPECT_EQ(study.swept, (std::vector<std::string>{"attention.name", "model.hidden_size"}));
  EXPECT_EQ(study.spec.facets, "model.hidden_size");
  EXPECT_EQ(study.settings,
            (std::vector<std::string>{"none, hidden_size=64", "additive, hidden_size=64",
                                      "none, hidden_size=128", "additive, hidden_size=128"}));
  const auto files = write_report(study, dir_ / "f");
  std::vector<std::string> names;
  for (const auto& f : files.figures)
    names.push_back(f.name);
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[2], "alignment_error_by_length");
  EXPECT_EQ(names[3], "grid_attention_hidden_size");
  const std::string figure = read(dir_ / "f" / "accuracy_by_length.svg");
  EXPECT_TRUE(contains(figure, "hidden_size = 128"));
  EXPECT_TRUE(contains(read(dir_ / "f" / "grid_attention_hidden_size.svg"), ">50.0<"));
}

TEST_F(StudyTest, SettingsTheLinesNameLabelRunsThatTheOverridesDoNot) {
  // As with model=rnnencdec,rnnsearch (both "rnn"): the runs differ in a key
  // no override names, and the report's lines name it.
  store_->database().exec(
      "INSERT INTO params (run_id, key, value) SELECT run_id, 'model.decoder', "
      "CASE WHEN attention = 'none' THEN 'cho' ELSE 'bahdanau' END FROM runs;");
  YAML::Node report;
  report["lines"].push_back("model.decoder");
  const Study study = load_study(*store_, sweep_, report);
  EXPECT_EQ(study.swept, (std::vector<std::string>{"model.decoder", "attention.name"}));
  EXPECT_EQ(study.settings,
            (std::vector<std::string>{"cho, attention=none", "bahdanau, attention=additive"}));
  // Unnamed, it is no swept setting.
  EXPECT_EQ(load_study(*store_, sweep_).swept, (std::vector<std::string>{"attention.name"}));
}

TEST(ReportSpec, ErrorsNameTheLineAndTheValidChoices) {
  const auto error_of = [](const std::string& yaml) {
    try {
      parse_report_spec(YAML::Load(yaml)["report"], "e.yaml");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("report:\n  line: attention.name\n"),
            "e.yaml:2:3: report: unknown key 'line'; valid: lines, facets, headline, figures");
  EXPECT_EQ(error_of("report:\n  facets: [a, b]\n"),
            "e.yaml:2:11: report.facets: must be one setting, or none");
  EXPECT_EQ(error_of("report:\n  headline: middle\n"),
            "e.yaml:2:13: report.headline: 'middle' is not a length selection; valid: all, "
            "train, beyond, longest_train, [lo, hi]");
  EXPECT_EQ(error_of("report: 3\n"),
            "e.yaml:1:9: report: must be a map with keys lines, facets, headline, figures");
  EXPECT_EQ(error_of("report:\n  figures: [heatmap]\n"),
            "e.yaml:2:13: report.figures: 'heatmap' is not a figure; valid: accuracy_by_length, "
            "bleu_by_length, alignment_error_by_length, summary_grid, comparisons, "
            "learning_curves, alignments");
  EXPECT_EQ(error_of("claims: []\n"), "no error");
  const ReportSpec spec =
      parse_report_spec(YAML::Load("report: {lines: [a, b], facets: none}")["report"], "");
  EXPECT_EQ(spec.lines, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(spec.no_facets);
}

}  // namespace
}  // namespace attnlab::report
