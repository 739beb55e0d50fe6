// Reading a sweep for its report, and the numbers its figures share.
#include "report/study.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "base/text.h"

namespace attnlab::report {
namespace {

const std::vector<std::string> kReportKeys = {"lines", "facets", "headline", "figures"};
constexpr size_t kAllPairsUpTo = 10;  // settings; beyond, each is compared with the best

std::string text_of(const store::Param& p) {
  if (const auto* i = std::get_if<std::int64_t>(&p.value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&p.value)) return nlohmann::json(*d).dump();
  if (const auto* s = std::get_if<std::string>(&p.value)) return *s;
  return "";
}

std::vector<std::string> parse_keys(const YAML::Node& node, const std::string& file,
                                    const std::string& path) {
  std::vector<std::string> keys;
  if (node.IsScalar() && !node.Scalar().empty()) {
    keys.push_back(node.Scalar());
  } else if (node.IsSequence() && node.size() > 0) {
    for (const auto& element : node) {
      if (!element.IsScalar() || element.Scalar().empty()) {
        yaml_error(element, file, path, "list elements must be setting names");
      }
      keys.push_back(element.Scalar());
    }
  } else {
    yaml_error(node, file, path, "must be a setting (e.g. attention.name) or a list of settings");
  }
  return keys;
}

// The leading comment block of an experiment file, without its
// `# @package` line, as paragraphs separated by blank lines.
std::string leading_comment(const std::string& yaml) {
  std::istringstream in(yaml);
  std::string line, out, paragraph;
  const auto flush = [&] {
    if (paragraph.empty()) return;
    out += (out.empty() ? "" : "\n\n") + paragraph;
    paragraph.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '#') break;
    std::string text =
        line.substr(line.find_first_not_of('#') == std::string::npos ? line.size()
                                                                     : line.find_first_not_of('#'));
    const auto start = text.find_first_not_of(' ');
    text = start == std::string::npos ? "" : text.substr(start);
    if (text.rfind("@package", 0) == 0) continue;
    if (text.empty()) {
      flush();
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + text;
    }
  }
  flush();
  return out;
}

// The flattened settings the runs' overrides name (attention=dot names
// attention.name), in the order they first appear.
std::vector<std::string> overridden_settings(const std::vector<StudyRun>& runs) {
  std::vector<std::string> keys;
  for (const auto& run : runs) {
    nlohmann::json overrides;
    try {
      overrides = nlohmann::json::parse(run.record.run.overrides_json);
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    if (!overrides.is_array()) continue;
    for (const auto& o : overrides) {
      if (!o.is_string()) continue;
      std::string key = o.get<std::string>();
      key = key.substr(0, key.find('='));
      key.erase(0, key.find_first_not_of("+~"));
      key = key.substr(0, key.find('@'));
      const std::string setting = run.result.params.count(key) > 0             ? key
                                  : run.result.params.count(key + ".name") > 0 ? key + ".name"
                                                                               : "";
      if (!setting.empty() && std::find(keys.begin(), keys.end(), setting) == keys.end()) {
        keys.push_back(setting);
      }
    }
  }
  return keys;
}

bool varies(const std::vector<StudyRun>& runs, const std::string& key) {
  std::set<std::string> values;
  for (const auto& run : runs)
    values.insert(run.value(key));
  return values.size() > 1;
}

}  // namespace

const std::vector<std::string>& figure_kinds() {
  static const std::vector<std::string> kKinds = {
      "accuracy_by_length", "bleu_by_length", "alignment_error_by_length",
      "summary_grid",       "comparisons",    "learning_curves",
      "alignments"};
  return kKinds;
}

bool ReportSpec::draws(const std::string& kind) const {
  return figures.empty() || std::find(figures.begin(), figures.end(), kind) != figures.end();
}

ReportSpec parse_report_spec(const YAML::Node& node, const std::string& file) {
  ReportSpec spec;
  if (!node.IsDefined() || node.IsNull()) return spec;
  if (!node.IsMap()) {
    yaml_error(node, file, "report", "must be a map with keys " + base::join(kReportKeys));
  }
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    const std::string path = "report." + key;
    if (key == "lines") {
      spec.lines = parse_keys(item.second, file, path);
    } else if (key == "facets") {
      if (item.second.IsScalar() && item.second.Scalar() == "none") {
        spec.no_facets = true;
      } else {
        const auto keys = parse_keys(item.second, file, path);
        if (keys.size() != 1) {
          yaml_error(item.second, file, path, "must be one setting, or none");
        }
        spec.facets = keys[0];
      }
    } else if (key == "headline") {
      spec.headline = parse_length_selection(item.second, file, path);
    } else if (key == "figures") {
      const YAML::Node& list = item.second;
      if (!list.IsSequence()) {
        yaml_error(list, file, path, "must be a list of figures, of " + base::join(figure_kinds()));
      }
      for (const auto& element : list) {
        const auto& kinds = figure_kinds();
        if (!element.IsScalar() ||
            std::find(kinds.begin(), kinds.end(), element.Scalar()) == kinds.end()) {
          yaml_error(element, file, path,
                     "'" + element.Scalar() + "' is not a figure; valid: " + base::join(kinds));
        }
        spec.figures.push_back(element.Scalar());
      }
    } else {
      yaml_error(item.first, file, "report",
                 "unknown key '" + key + "'; valid: " + base::join(kReportKeys));
    }
  }
  return spec;
}

std::string StudyRun::value(const std::string& key) const {
  const auto it = result.params.find(key);
  return it == result.params.end() ? "" : it->second;
}

std::string short_name(const std::string& key) {
  std::string name = key;
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".name") == 0) {
    name.resize(name.size() - 5);
  }
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

namespace {

// One run of the sweep, with what a report needs of it; its results, when
// it finished, are appended to `finished`.
StudyRun load_run(store::RunStore& store, const store::RunRecord& record,
                  std::vector<RunResult>* finished) {
  StudyRun run;
  run.record = record;
  run.result.run_id = record.run_id;
  for (const auto& p : store.params(record.run_id))
    run.result.params[p.key] = text_of(p);
  run.result.train_lengths = {record.run.train_min_length, record.run.train_max_length};
  run.metrics = store.metrics(record.run_id);
  if (run.finished()) {
    run.result.evals = store.evals(record.run_id);
    run.result.splits = store.splits(record.run_id);
    run.examples = store.examples(record.run_id);
    finished->push_back(run.result);
  }
  run.seed = run.value("seed");
  if (run.seed.empty()) run.seed = std::to_string(record.run.seed);
  return run;
}

// Throws when no run has setting `key` (named at `path` in `file`).
void check_setting(const std::string& file, const std::string& path, const std::string& key,
                   const Study& study) {
  std::set<std::string> known;
  for (const auto& run : study.runs)
    for (const auto& [name, value] : run.result.params)
      known.insert(name);
  if (known.count(key)) return;
  throw std::invalid_argument(
      file + ": " + path + ": no run has the setting '" + key + "'" +
      base::did_you_mean(key, {known.begin(), known.end()}) + "; the swept settings: " +
      (study.swept.empty() ? std::string("none") : base::join(study.swept)));
}

// The report's lines and facets: the ones the experiment names (checked
// against the runs), else the first swept settings.
void choose_lines_and_facets(const std::string& file, Study* study) {
  ReportSpec& spec = study->spec;
  for (const auto& key : spec.lines)
    check_setting(file, "report.lines", key, *study);
  if (!spec.facets.empty()) check_setting(file, "report.facets", spec.facets, *study);
  if (spec.lines.empty() && !study->swept.empty()) {
    for (const auto& key : study->swept) {
      if (key != spec.facets) {
        spec.lines.push_back(key);
        break;
      }
    }
  }
  if (spec.facets.empty() && !spec.no_facets) {
    for (const auto& key : study->swept) {
      if (std::find(spec.lines.begin(), spec.lines.end(), key) == spec.lines.end()) {
        spec.facets = key;
        break;
      }
    }
  }
}

// Settings the report's lines or facets name that vary join the swept ones,
// first: a swept group whose options share a name (model=rnnencdec,rnnsearch,
// both "rnn") is told apart by the keys the experiment names (model.decoder).
void add_named_settings(Study* study) {
  std::vector<std::string> named = study->spec.lines;
  if (!study->spec.facets.empty()) named.push_back(study->spec.facets);
  auto at = study->swept.begin();
  for (const auto& key : named) {
    if (std::find(study->swept.begin(), study->swept.end(), key) != study->swept.end() ||
        !varies(study->runs, key)) {
      continue;
    }
    at = std::next(study->swept.insert(at, key));
  }
}

// Each run's setting: its values of the swept settings ("dot, hidden_size=64").
void label_settings(Study* study) {
  for (auto& run : study->runs) {
    std::string label;
    for (const auto& key : study->swept) {
      label += label.empty() ? run.value(key) : ", " + short_name(key) + "=" + run.value(key);
    }
    run.setting = label.empty() ? run.record.run.attention : label;
    if (std::find(study->settings.begin(), study->settings.end(), run.setting) ==
        study->settings.end()) {
      study->settings.push_back(run.setting);
    }
    if (study->length_unit.empty()) study->length_unit = run.record.run.length_unit;
  }
  if (study->length_unit.empty()) study->length_unit = "tokens";
}

constexpr char kCommandLine[] = "the command line";

// Replaces the keys of `spec` that `report` gives.
void replace_report_keys(const YAML::Node& report, ReportSpec* spec) {
  const ReportSpec given = parse_report_spec(report, kCommandLine);
  if (report["lines"]) spec->lines = given.lines;
  if (report["facets"]) {
    spec->facets = given.facets;
    spec->no_facets = given.no_facets;
  }
  if (report["headline"]) spec->headline = given.headline;
  if (report["figures"]) spec->figures = given.figures;
}

}  // namespace

Study load_study(store::RunStore& store, const std::string& sweep_id, const YAML::Node& report) {
  Study study;
  const auto sweep = store.find_sweep(sweep_id);
  if (!sweep) throw std::invalid_argument("no sweep " + sweep_id);
  study.sweep = *sweep;
  study.experiment_yaml = store.sweep_experiment(sweep->sweep_id);
  study.description = leading_comment(study.experiment_yaml);
  const std::string file = "the experiment of sweep " + sweep->sweep_id;
  YAML::Node experiment;
  if (!study.experiment_yaml.empty()) experiment = YAML::Load(study.experiment_yaml);
  if (experiment.IsMap()) study.spec = parse_report_spec(experiment["report"], file);
  const bool restyled = report.IsMap() && report.size() > 0;
  if (restyled) replace_report_keys(report, &study.spec);

  std::vector<RunResult> finished;
  for (const auto& record : store.sweep_runs(sweep->sweep_id)) {
    StudyRun run = load_run(store, record, &finished);
    if (std::find(study.seeds.begin(), study.seeds.end(), run.seed) == study.seeds.end()) {
      study.seeds.push_back(run.seed);
    }
    study.runs.push_back(std::move(run));
  }
  for (const auto& key : overridden_settings(study.runs)) {
    if (key != "seed" && varies(study.runs, key)) study.swept.push_back(key);
  }
  add_named_settings(&study);
  choose_lines_and_facets(restyled ? kCommandLine : file, &study);
  label_settings(&study);
  const auto claims =
      experiment.IsMap() ? parse_claims(experiment["claims"], file) : std::vector<Claim>{};
  if (!claims.empty()) study.claims = evaluate_claims(claims, finished);
  return study;
}

std::string lengths_label(const LengthSelection& lengths) {
  switch (lengths.kind) {
    case LengthSelection::Kind::kAll:
      return "all";
    case LengthSelection::Kind::kTrain:
      return "train";
    case LengthSelection::Kind::kBeyond:
      return "beyond";
    case LengthSelection::Kind::kLongestTrain:
      return "longest train";
    case LengthSelection::Kind::kRange:
      return std::to_string(lengths.lo) + "-" + std::to_string(lengths.hi);
  }
  return "";
}

Headline headline_of(const StudyRun& run, const LengthSelection& lengths) {
  Headline h;
  bool complete = true;
  std::int64_t exact = 0;
  for (const auto& e : run.result.evals) {
    if (e.n <= 0 || !selected(run.result, lengths, e.length)) continue;
    h.examples += e.n;
    exact += std::llround(e.sequence_accuracy * e.n);
    complete = complete && static_cast<int>(e.outcomes.size()) == e.n;
    h.outcomes += e.outcomes;
  }
  if (!complete) h.outcomes.clear();
  h.value = h.examples > 0 ? static_cast<double>(exact) / h.examples : 0;
  return h;
}

std::vector<SettingHeadline> headlines(const Study& study, const LengthSelection& lengths) {
  std::vector<SettingHeadline> out;
  for (const auto& setting : study.settings) {
    std::vector<SeedEvidence> seeds;
    for (const auto& run : study.runs) {
      if (run.setting != setting || !run.finished()) continue;
      const Headline h = headline_of(run, lengths);
      if (h.examples > 0) seeds.push_back(single(h.outcomes, h.value));
    }
    if (seeds.empty()) continue;
    out.push_back({setting, static_cast<int>(seeds.size()), accuracy_interval(seeds)});
  }
  return out;
}

namespace {

// Which settings to compare: every pair of a few, else the best against each
// of the others.
std::vector<std::pair<std::string, std::string>> pairs_to_compare(
    const Study& study, const std::vector<std::string>& settings) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (settings.size() <= kAllPairsUpTo) {
    for (size_t i = 0; i < settings.size(); ++i)
      for (size_t j = i + 1; j < settings.size(); ++j)
        pairs.emplace_back(settings[i], settings[j]);
    return pairs;
  }
  std::string best;
  double best_value = -1;
  for (const auto& h : headlines(study, study.spec.headline)) {
    if (h.value.estimate > best_value) {
      best_value = h.value.estimate;
      best = h.setting;
    }
  }
  for (const auto& s : settings)
    if (s != best) pairs.emplace_back(best, s);
  return pairs;
}

}  // namespace

std::vector<Comparison> compare_settings(const Study& study) {
  // setting -> seed -> headline
  std::map<std::string, std::map<std::string, Headline>> by_setting;
  for (const auto& run : study.runs) {
    if (!run.finished()) continue;
    const Headline h = headline_of(run, study.spec.headline);
    if (h.examples > 0) by_setting[run.setting][run.seed] = h;
  }
  std::vector<std::string> settings;
  for (const auto& s : study.settings)
    if (by_setting.count(s) > 0) settings.push_back(s);

  const auto evidence = [&](const std::string& a, const std::string& b) {
    std::vector<SeedEvidence> seeds;
    for (const auto& [seed, ha] : by_setting[a]) {
      const auto hb = by_setting[b].find(seed);
      if (hb == by_setting[b].end()) continue;
      seeds.push_back(
          paired_difference(ha.outcomes, hb->second.outcomes, ha.value, hb->second.value));
    }
    return seeds;
  };
  std::vector<Comparison> out;
  for (auto [a, b] : pairs_to_compare(study, settings)) {
    auto seeds = evidence(a, b);
    if (seeds.empty()) continue;
    double mean = 0;
    for (const auto& s : seeds)
      mean += s.mean();
    if (mean < 0) {
      std::swap(a, b);
      seeds = evidence(a, b);
    }
    Comparison c;
    c.a = a;
    c.b = b;
    c.seeds = static_cast<int>(seeds.size());
    c.outcomes = std::all_of(seeds.begin(), seeds.end(),
                             [](const SeedEvidence& s) { return s.examples > 0; });
    c.difference = difference_interval(seeds);
    out.push_back(c);
  }
  std::vector<double> p_values;
  for (const auto& c : out)
    p_values.push_back(c.difference.p_value);
  const auto adjusted = holm_adjust(p_values);
  for (size_t i = 0; i < out.size(); ++i)
    out[i].holm_p = adjusted[i];
  return out;
}

}  // namespace attnlab::report
