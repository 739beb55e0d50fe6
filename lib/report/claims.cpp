// Parsing and checking experiment claims; see claims.h for the grammar.
#include "report/claims.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "base/registry.h"
#include "base/text.h"

namespace attnlab::report {
namespace {

using base::fixed;
using base::join;

const std::vector<std::string> kClaimKeys = {"text",    "where", "metric", "lengths",    "at_least",
                                             "at_most", "below", "above",  "by_at_least"};
const std::vector<std::string> kRelationKeys = {"at_least", "at_most", "below", "above"};
const base::Registry<Metric> kMetrics("metric",
                                      {{"token_accuracy", Metric::kTokenAccuracy},
                                       {"sequence_accuracy", Metric::kSequenceAccuracy},
                                       {"error_rate", Metric::kErrorRate},
                                       {"bleu", Metric::kBleu},
                                       {"perplexity", Metric::kPerplexity},
                                       {"aer", Metric::kAer},
                                       {"alignment_accuracy", Metric::kAlignmentAccuracy}});
const base::Registry<LengthSelection::Kind> kLengthNames(
    "length selection", {{"all", LengthSelection::Kind::kAll},
                         {"train", LengthSelection::Kind::kTrain},
                         {"beyond", LengthSelection::Kind::kBeyond},
                         {"longest_train", LengthSelection::Kind::kLongestTrain}});

std::string metric_name(Metric metric) {
  for (const auto& [name, value] : kMetrics.entries())
    if (value == metric) return name;
  return "?";
}

// Parses the claims of one file; every error names the file position and the
// key path ("claims[2].metric") of what is wrong, and what would be valid.
class ClaimParser {
 public:
  explicit ClaimParser(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& message) const {
    yaml_error(node, file_, path, message);
  }

  std::string line_of(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return file_;
    return (file_.empty() ? "line " : file_ + ":") + std::to_string(mark.line + 1);
  }

  std::vector<Claim> parse(const YAML::Node& claims) const {
    if (!claims.IsDefined() || claims.IsNull()) return {};
    if (!claims.IsSequence()) {
      fail(claims, "claims", "must be a list of claims, each a map with keys " + join(kClaimKeys));
    }
    std::vector<Claim> out;
    for (size_t i = 0; i < claims.size(); ++i) {
      out.push_back(parse_claim(claims[i], "claims[" + std::to_string(i) + "]"));
    }
    return out;
  }

  LengthSelection parse_lengths(const YAML::Node& node, const std::string& path) const {
    const std::string valid = "valid: " + join(kLengthNames.names()) + ", [lo, hi]";
    LengthSelection lengths;
    if (node.IsScalar()) {
      if (const auto* kind = kLengthNames.find(node.Scalar())) {
        lengths.kind = *kind;
        return lengths;
      }
      fail(node, path, "'" + node.Scalar() + "' is not a length selection; " + valid);
    }
    if (!node.IsSequence() || node.size() != 2) {
      fail(node, path, "must be a name or a list of two lengths; " + valid);
    }
    int bounds[2] = {0, 0};
    for (size_t i = 0; i < 2; ++i) {
      try {
        bounds[i] = node[i].as<int>();
      } catch (const YAML::Exception&) {
        fail(node[i], path, "'" + node[i].Scalar() + "' is not a whole number; " + valid);
      }
    }
    if (bounds[0] < 0 || bounds[0] > bounds[1]) {
      fail(node, path,
           "[" + std::to_string(bounds[0]) + ", " + std::to_string(bounds[1]) +
               "] is not a range; need 0 <= lo <= hi");
    }
    lengths.kind = LengthSelection::Kind::kRange;
    lengths.lo = bounds[0];
    lengths.hi = bounds[1];
    return lengths;
  }

 private:
  Claim parse_claim(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node, path, "must be a map with keys " + join(kClaimKeys));
    Claim claim;
    claim.position = line_of(node);
    std::string relation_key;
    YAML::Node margin_node;  // by_at_least, checked once the relation is known
    bool has_margin = false;
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      const std::string key_path = path + "." + key;
      const YAML::Node& value = item.second;
      if (std::find(kClaimKeys.begin(), kClaimKeys.end(), key) == kClaimKeys.end()) {
        fail(item.first, path, "unknown key '" + key + "'; valid: " + join(kClaimKeys));
      }
      if (key == "text") {
        if (!value.IsScalar() || value.Scalar().empty()) {
          fail(value, key_path, "must be the statement as a non-empty string");
        }
        claim.text = value.Scalar();
      } else if (key == "where") {
        claim.where = parse_selector(value, key_path, nullptr);
      } else if (key == "metric") {
        claim.metric = parse_metric(value, key_path);
      } else if (key == "lengths") {
        claim.lengths = parse_lengths(value, key_path);
      } else if (key == "by_at_least") {
        margin_node.reset(value);
        has_margin = true;
      } else {
        if (!relation_key.empty()) {
          fail(item.first, path,
               "has both '" + relation_key + "' and '" + key + "'; give exactly one of " +
                   join(kRelationKeys));
        }
        relation_key = key;
        if (key == "at_least" || key == "at_most") {
          claim.relation = key == "at_least" ? Relation::kAtLeast : Relation::kAtMost;
          claim.threshold = parse_number(value, key_path);
        } else {
          claim.relation = key == "below" ? Relation::kBelow : Relation::kAbove;
          claim.others = parse_selector(value, key_path, &claim.other_lengths);
        }
      }
    }
    check_claim(node, path, relation_key, &claim);
    if (has_margin) read_margin(margin_node, path, relation_key, &claim);
    return claim;
  }

  // What every claim must have, and its threshold in the metric's units.
  void check_claim(const YAML::Node& node, const std::string& path, const std::string& relation_key,
                   Claim* claim) const {
    if (claim->text.empty()) fail(node, path, "missing 'text' (the statement the report shows)");
    if (claim->where.empty()) {
      fail(node, path, "missing 'where' (the runs the claim is about, e.g. {attention.name: dot})");
    }
    if (relation_key.empty()) fail(node, path, "needs exactly one of " + join(kRelationKeys));
    if (relation_key == "at_least" || relation_key == "at_most") {
      check_units(claim->threshold, claim->metric, node[relation_key], path + "." + relation_key);
    }
  }

  // by_at_least: the margin of a comparison.
  void read_margin(const YAML::Node& margin_node, const std::string& path,
                   const std::string& relation_key, Claim* claim) const {
    if (relation_key != "below" && relation_key != "above") {
      fail(margin_node, path + ".by_at_least",
           "applies only to 'below' and 'above', not to '" + relation_key + "'");
    }
    claim->margin = parse_number(margin_node, path + ".by_at_least");
    if (claim->margin < 0) {
      fail(margin_node, path + ".by_at_least", "must not be negative (it is a margin)");
    }
    check_units(claim->margin, claim->metric, margin_node, path + ".by_at_least");
  }

  // A selector; `lengths`, when not null, takes the key `lengths` (the
  // other side's length selection of a comparison).
  std::vector<SelectorKey> parse_selector(const YAML::Node& node, const std::string& path,
                                          std::optional<LengthSelection>* lengths) const {
    const std::string shape =
        "must be a non-empty map of setting -> value or list of values, e.g. "
        "{attention.name: [dot, additive]}";
    if (!node.IsMap() || node.size() == 0) fail(node, path, shape);
    std::vector<SelectorKey> keys;
    for (const auto& item : node) {
      SelectorKey key{item.first.Scalar(), {}};
      const std::string key_path = path + "." + key.key;
      if (key.key.empty()) fail(item.first, path, "a setting name must not be empty");
      if (key.key == "lengths" && node.size() == 1 && lengths != nullptr) {
        *lengths = parse_lengths(item.second, key_path);  // each group against itself
        continue;
      }
      if (key.key == "lengths") {
        if (lengths == nullptr) {
          fail(item.first, path,
               "'lengths' is not a setting: give the claim's lengths beside 'where', and the "
               "other side's inside 'below' or 'above'");
        }
        *lengths = parse_lengths(item.second, key_path);
        continue;
      }
      const YAML::Node& value = item.second;
      if (value.IsScalar()) {
        key.values.push_back(value.Scalar());
      } else if (value.IsSequence() && value.size() > 0) {
        for (const auto& element : value) {
          if (!element.IsScalar()) {
            fail(element, key_path,
                 "list elements must be plain values (quote a list to match it: \"[1,15]\")");
          }
          if (std::find(key.values.begin(), key.values.end(), element.Scalar()) !=
              key.values.end()) {
            fail(element, key_path, "'" + element.Scalar() + "' is listed twice");
          }
          key.values.push_back(element.Scalar());
        }
      } else {
        fail(value, key_path, "must be a value or a non-empty list of values");
      }
      keys.push_back(std::move(key));
    }
    return keys;
  }

  Metric parse_metric(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      if (const auto* metric = kMetrics.find(node.Scalar())) return *metric;
    }
    const std::string shown = node.IsScalar() ? "'" + node.Scalar() + "'" : "this";
    fail(node, path, shown + " is not a metric; valid: " + join(kMetrics.names()));
  }

  double parse_number(const YAML::Node& node, const std::string& path) const {
    double x = 0;
    bool ok = node.IsScalar();
    if (ok) {
      try {
        x = node.as<double>();
      } catch (const YAML::Exception&) {
        ok = false;
      }
    }
    if (!ok || !std::isfinite(x)) {
      fail(
          node, path,
          (node.IsScalar() ? "'" + node.Scalar() + "'" : std::string("this")) + " is not a number");
    }
    return x;
  }

  void check_units(double x, Metric metric, const YAML::Node& node, const std::string& path) const {
    if (metric == Metric::kPerplexity) {
      if (x >= 0) return;
      fail(node, path, node.Scalar() + " is negative: perplexity is 1 or more");
    }
    const double top = metric == Metric::kBleu ? 100 : 1;
    if (x >= 0 && x <= top) return;
    if (metric == Metric::kBleu) {
      fail(node, path, node.Scalar() + " is outside [0, 100], the range of bleu");
    }
    fail(node, path,
         node.Scalar() + " is outside [0, 1]: " + metric_name(metric) +
             " is a fraction (write 0.95 for 95 %)");
  }

  std::string file_;
};

// --- evaluation ------------------------------------------------------------

struct Group {
  std::string label;
  std::vector<std::pair<std::string, std::string>> settings;  // key -> value
};

// The Cartesian product of the selector's values, last key fastest. Labels
// show the keys that take several values, or every key when none does; a
// single key shows its value alone.
std::vector<Group> expand(const std::vector<SelectorKey>& selector) {
  std::vector<Group> groups(1);
  for (const auto& key : selector) {
    std::vector<Group> next;
    for (const auto& group : groups) {
      for (const auto& value : key.values) {
        Group g = group;
        g.settings.emplace_back(key.key, value);
        next.push_back(std::move(g));
      }
    }
    groups = std::move(next);
  }
  std::vector<bool> shown(selector.size(), false);
  bool any_varies = false;
  for (size_t k = 0; k < selector.size(); ++k)
    any_varies = any_varies || selector[k].values.size() > 1;
  for (size_t k = 0; k < selector.size(); ++k)
    shown[k] = !any_varies || selector[k].values.size() > 1;
  const bool bare = std::count(shown.begin(), shown.end(), true) == 1;
  for (auto& group : groups) {
    std::vector<std::string> parts;
    for (size_t k = 0; k < selector.size(); ++k) {
      if (!shown[k]) continue;
      const auto& [key, value] = group.settings[k];
      parts.push_back(bare ? value : key + "=" + value);
    }
    group.label = join(parts, " ");
  }
  return groups;
}

bool parse_double(const std::string& text, double* x) {
  if (text.empty()) return false;
  char* end = nullptr;
  *x = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*x);
}

std::string without_spaces(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c == ' '; }), text.end());
  return text;
}

bool same_value(const std::string& setting, const std::string& wanted) {
  if (setting == wanted) return true;
  double a = 0, b = 0;
  if (parse_double(setting, &a) && parse_double(wanted, &b)) return a == b;
  if (!setting.empty() && setting.front() == '[') {
    return without_spaces(setting) == without_spaces(wanted);
  }
  return false;
}

bool matches(const RunResult& run, const Group& group) {
  for (const auto& [key, value] : group.settings) {
    const auto it = run.params.find(key);
    if (it == run.params.end() || !same_value(it->second, value)) return false;
  }
  return true;
}

double score(const store::Scores& scores, Metric metric) {
  switch (metric) {
    case Metric::kTokenAccuracy:
      return scores.token_accuracy;
    case Metric::kSequenceAccuracy:
      return scores.sequence_accuracy;
    case Metric::kErrorRate:
      return scores.error_rate;
    case Metric::kBleu:
      return scores.bleu;
    case Metric::kPerplexity:
      return scores.perplexity;
    case Metric::kAer:
      return scores.aer;
    case Metric::kAlignmentAccuracy:
      return scores.alignment_accuracy;
  }
  return 0;
}

}  // namespace

bool selected(const RunResult& run, const LengthSelection& lengths, int length) {
  const auto [train_lo, train_hi] = run.train_lengths;
  const bool known = train_hi > 0;
  switch (lengths.kind) {
    case LengthSelection::Kind::kAll:
      return true;
    case LengthSelection::Kind::kTrain:
      return known && length >= train_lo && length <= train_hi;
    case LengthSelection::Kind::kBeyond:
      return known && length > train_hi;
    case LengthSelection::Kind::kLongestTrain:
      return known && length == train_hi;
    case LengthSelection::Kind::kRange:
      return length >= lengths.lo && length <= lengths.hi;
  }
  return false;
}

namespace {

// One run's number for a claim: its metric over the selected lengths, for
// exact match its per-example outcomes over them ("" when a length's were not
// recorded), and for the error rate its edit sums (all 0 when not recorded).
struct Sample {
  std::string seed;
  double value = 0;
  std::string outcomes;
  store::EditSums edit_sums;
};

// The run's sample; nothing when none of its lengths was selected.
std::optional<Sample> run_sample(const RunResult& run, Metric metric,
                                 const LengthSelection& lengths) {
  Sample sample;
  const auto seed = run.params.find("seed");
  sample.seed = seed == run.params.end() ? run.run_id : seed->second;
  double weighted = 0;
  long long n = 0;
  bool complete = true, summed = true;
  // Perplexity is 0 where it was not measured (runs stored before it was);
  // BLEU is NaN where it is undefined (no reference 4-grams), the alignment
  // scores where there is no gold alignment or no attention.
  const auto measured = [metric](const store::Scores& s) {
    return s.n > 0 && (metric != Metric::kPerplexity || s.perplexity > 0) &&
           !std::isnan(score(s, metric));
  };
  for (const auto& eval : run.evals) {
    if (!measured(eval) || !selected(run, lengths, eval.length)) continue;
    weighted += eval.n * score(eval, metric);
    n += eval.n;
    complete = complete && static_cast<int>(eval.outcomes.size()) == eval.n;
    sample.outcomes += eval.outcomes;
    summed = summed && eval.edit_sums.examples == eval.n;
    sample.edit_sums += eval.edit_sums;
  }
  if (!complete || metric != Metric::kSequenceAccuracy) sample.outcomes.clear();
  if (!summed || metric != Metric::kErrorRate) sample.edit_sums = {};
  if (lengths.kind == LengthSelection::Kind::kAll) {
    // The whole split is scored at once: exact corpus BLEU, not a mean of buckets.
    for (const auto& split : run.splits) {
      if (split.split == "test" && measured(split)) {
        sample.value = score(split, metric);
        if (static_cast<int>(sample.outcomes.size()) != split.n) sample.outcomes.clear();
        if (sample.edit_sums.examples != split.n) sample.edit_sums = {};
        return sample;
      }
    }
  }
  if (n == 0) return std::nullopt;
  sample.value = weighted / static_cast<double>(n);
  return sample;
}

// The range a metric's values and intervals stay in.
std::pair<double, double> metric_range(Metric metric) {
  switch (metric) {
    case Metric::kTokenAccuracy:
    case Metric::kSequenceAccuracy:
    case Metric::kAer:
    case Metric::kAlignmentAccuracy:
      return {0, 1};
    case Metric::kErrorRate:
      return {0, std::numeric_limits<double>::infinity()};
    case Metric::kBleu:
      return {0, 100};
    case Metric::kPerplexity:
      return {1, std::numeric_limits<double>::infinity()};
  }
  return {0, 1};
}

bool all_have_outcomes(const std::vector<Sample>& samples) {
  return !samples.empty() && std::all_of(samples.begin(), samples.end(),
                                         [](const Sample& x) { return !x.outcomes.empty(); });
}

std::vector<SeedEvidence> evidence_of(const std::vector<Sample>& samples) {
  std::vector<SeedEvidence> out;
  for (const auto& x : samples)
    out.push_back(single(x.outcomes, x.value));
  return out;
}

std::vector<double> values_of(const std::vector<Sample>& samples) {
  std::vector<double> out;
  for (const auto& x : samples)
    out.push_back(x.value);
  return out;
}

// The variance example sampling alone gives a group's mean: from exact
// match's outcomes or the error rate's edit sums; 0 when unknown.
double floor_of(const std::vector<Sample>& samples) {
  if (all_have_outcomes(samples)) return accuracy_floor(evidence_of(samples));
  std::vector<store::EditSums> sums;
  for (const auto& x : samples)
    sums.push_back(x.edit_sums);
  return error_rate_floor(sums);
}

Interval group_interval(const std::vector<Sample>& samples, Metric metric) {
  if (all_have_outcomes(samples)) return accuracy_interval(evidence_of(samples));
  Interval i = t_interval(values_of(samples), floor_of(samples));
  const auto [lo, hi] = metric_range(metric);
  i.lo = std::clamp(i.lo, lo, hi);
  i.hi = std::clamp(i.hi, lo, hi);
  return i;
}

struct MeasuredGroup {
  GroupValue value;
  std::vector<Sample> samples;
};

MeasuredGroup measure(const Group& group, const std::vector<RunResult>& runs, Metric metric,
                      const LengthSelection& lengths) {
  MeasuredGroup out;
  out.value.label = group.label;
  for (const auto& run : runs) {
    if (!matches(run, group)) continue;
    ++out.value.matched;
    if (auto sample = run_sample(run, metric, lengths)) out.samples.push_back(std::move(*sample));
  }
  out.value.runs = static_cast<int>(out.samples.size());
  if (out.value.runs > 0) {
    out.value.interval = group_interval(out.samples, metric);
    out.value.value = out.value.interval.estimate;
  }
  return out;
}

std::vector<MeasuredGroup> measure_all(const std::vector<SelectorKey>& selector,
                                       const std::vector<RunResult>& runs, Metric metric,
                                       const LengthSelection& lengths) {
  std::vector<MeasuredGroup> out;
  for (const auto& group : expand(selector))
    out.push_back(measure(group, runs, metric, lengths));
  return out;
}

// The samples of each seed that a group has exactly once.
std::map<std::string, const Sample*> by_seed(const std::vector<Sample>& samples) {
  std::map<std::string, int> count;
  for (const auto& x : samples)
    ++count[x.seed];
  std::map<std::string, const Sample*> out;
  for (const auto& x : samples)
    if (count[x.seed] == 1) out[x.seed] = &x;
  return out;
}

// `high` - `low` with its interval: paired by seed where both have the seed
// (per example when both have outcomes over the same examples), Welch's
// interval between independent groups otherwise.
Interval difference(const std::vector<Sample>& high, const std::vector<Sample>& low,
                    bool same_examples) {
  const auto a = by_seed(high), b = by_seed(low);
  std::vector<SeedEvidence> paired;
  std::vector<Sample> high_paired, low_paired;
  for (const auto& [seed, x] : a) {
    const auto y = b.find(seed);
    if (y == b.end()) continue;
    high_paired.push_back(*x);
    low_paired.push_back(*y->second);
    paired.push_back(same_examples ? paired_difference(x->outcomes, y->second->outcomes, x->value,
                                                       y->second->value)
                                   : single("", x->value - y->second->value));
  }
  if (paired.empty()) {
    return welch_interval(values_of(high), floor_of(high), values_of(low), floor_of(low));
  }
  const bool per_example = std::all_of(paired.begin(), paired.end(),
                                       [](const SeedEvidence& e) { return e.examples > 0; });
  if (per_example) return difference_interval(paired);
  std::vector<double> differences;
  for (const auto& e : paired)
    differences.push_back(e.mean());
  // Independent examples on the two sides: their sampling variances add.
  return t_interval(differences, floor_of(high_paired) + floor_of(low_paired));
}

std::string missing_lengths(const LengthSelection& lengths) {
  switch (lengths.kind) {
    case LengthSelection::Kind::kAll:
      return "no evaluations";
    case LengthSelection::Kind::kTrain:
      return "no evaluated lengths in the training range";
    case LengthSelection::Kind::kBeyond:
      return "no evaluated lengths beyond training";
    case LengthSelection::Kind::kLongestTrain:
      return "the longest training length not evaluated";
    case LengthSelection::Kind::kRange:
      return "no evaluated lengths in [" + std::to_string(lengths.lo) + ", " +
             std::to_string(lengths.hi) + "]";
  }
  return "no data";
}

std::string runs_count(int n) {
  return std::to_string(n) + (n == 1 ? " run" : " runs");
}

// "0.973 [0.951, 0.990]", or "0.973" for one run without outcomes.
std::string with_interval(const Interval& i) {
  if (i.basis == Interval::Basis::kNone) return fixed(i.estimate, 3);
  return fixed(i.estimate, 3) + " [" + fixed(i.lo, 3) + ", " + fixed(i.hi, 3) + "]";
}

// "additive: 0.973 [0.951, 0.990] (3 runs)", "dot: 0.500 [...] (2 of 3 runs)",
// "none: no runs".
std::string describe(const GroupValue& group, const LengthSelection& lengths) {
  if (group.matched == 0) return group.label + ": no runs";
  if (group.runs == 0)
    return group.label + ": " + missing_lengths(lengths) + " (" + runs_count(group.matched) + ")";
  std::string count = group.runs == group.matched
                          ? runs_count(group.runs)
                          : std::to_string(group.runs) + " of " + runs_count(group.matched);
  if (group.interval.basis == Interval::Basis::kExamples) count += "; test examples only";
  if (group.interval.basis == Interval::Basis::kNone) count += "; no interval";
  return group.label + ": " + with_interval(group.interval) + " (" + count + ")";
}

// A setting no run has at all is most likely a misspelt key: say so.
std::string unknown_settings(const Claim& claim, const std::vector<RunResult>& runs) {
  if (runs.empty()) return "";
  std::vector<std::string> unknown;
  auto check = [&](const std::vector<SelectorKey>& selector) {
    for (const auto& key : selector) {
      const bool known = std::any_of(runs.begin(), runs.end(), [&](const RunResult& run) {
        return run.params.count(key.key) > 0;
      });
      if (!known && std::find(unknown.begin(), unknown.end(), key.key) == unknown.end()) {
        unknown.push_back(key.key);
      }
    }
  };
  check(claim.where);
  check(claim.others);
  if (unknown.empty()) return "";
  return "; no run has the setting " + join(unknown);
}

bool at_least(double value, double bound) {
  return value >= bound - 1e-9 * std::max(1.0, std::fabs(bound));
}

enum class Side { kHolds, kFails, kUnsure };

// Where an interval lies against "value >= bound". A value without an
// interval (one run, no outcomes) decides nothing.
Side against_lower_bound(const Interval& i, double bound) {
  if (i.basis == Interval::Basis::kNone) return Side::kUnsure;
  if (at_least(i.lo, bound)) return Side::kHolds;
  if (!at_least(i.hi, bound)) return Side::kFails;
  return Side::kUnsure;
}

// How a verdict reads against a bound: ">= 0.900", "< 0.900", "straddles 0.900".
std::string relation_text(Side side, const Interval& i, bool lower_bound, double bound) {
  const char* relation = i.basis == Interval::Basis::kNone ? "undecided (no interval) vs"
                         : side == Side::kHolds            ? (lower_bound ? ">=" : "<=")
                         : side == Side::kFails            ? (lower_bound ? "<" : ">")
                                                           : "straddles";
  return std::string(relation) + " " + fixed(bound, 3);
}

ClaimOutcome::Verdict verdict_of(bool failed, bool missing, bool unsure) {
  if (failed) return ClaimOutcome::Verdict::kFail;
  if (missing) return ClaimOutcome::Verdict::kNoData;
  if (unsure) return ClaimOutcome::Verdict::kInconclusive;
  return ClaimOutcome::Verdict::kPass;
}

void check_threshold(const Claim& claim, ClaimOutcome* outcome) {
  const bool lower_bound = claim.relation == Relation::kAtLeast;
  bool failed = false, missing = false, unsure = false;
  std::vector<std::string> parts;
  for (const auto& group : outcome->groups) {
    std::string part = describe(group, claim.lengths);
    if (group.runs == 0) {
      missing = true;
    } else {
      // at_most X is at_least -X of the negated interval.
      Interval i = group.interval;
      if (!lower_bound) i = {-i.estimate, -i.hi, -i.lo, i.seeds, i.basis, i.p_value};
      const Side side = against_lower_bound(i, lower_bound ? claim.threshold : -claim.threshold);
      failed = failed || side == Side::kFails;
      unsure = unsure || side == Side::kUnsure;
      part += " " + relation_text(side, i, lower_bound, claim.threshold);
    }
    parts.push_back(part);
  }
  outcome->detail = join(parts, "; ");
  outcome->verdict = verdict_of(failed, missing, unsure);
}

// Every group of `mine` against every group of `theirs`, or with `itself`
// each against its own counterpart (the same group on other lengths).
void check_comparison(const Claim& claim, const std::vector<MeasuredGroup>& mine,
                      const std::vector<MeasuredGroup>& theirs, bool itself,
                      ClaimOutcome* outcome) {
  const bool below = claim.relation == Relation::kBelow;
  const bool same_examples = !claim.other_lengths;
  bool missing = false, failed = false, unsure = false;
  for (size_t i = 0; i < mine.size(); ++i) {
    const auto& g = mine[i];
    missing = missing || g.value.runs == 0;
    for (size_t j = 0; j < theirs.size(); ++j) {
      if (itself && i != j) continue;
      const auto& h = theirs[j];
      missing = missing || h.value.runs == 0;
      if (g.value.runs == 0 || h.value.runs == 0) continue;
      const auto& high = below ? h : g;
      const auto& low = below ? g : h;
      const std::string label =
          itself
              ? g.value.label + ": " + lengths_text(below ? *claim.other_lengths : claim.lengths) +
                    " - " + lengths_text(below ? claim.lengths : *claim.other_lengths)
              : high.value.label + " - " + low.value.label;
      PairValue pair{label, difference(high.samples, low.samples, same_examples)};
      const Side side = against_lower_bound(pair.difference, claim.margin);
      failed = failed || side == Side::kFails;
      unsure = unsure || side == Side::kUnsure;
      if (!outcome->weakest || pair.difference.lo < outcome->weakest->difference.lo) {
        outcome->weakest = pair;
      }
      outcome->pairs.push_back(std::move(pair));
    }
  }
  std::vector<std::string> described_mine, described_theirs;
  for (const auto& g : outcome->groups)
    described_mine.push_back(describe(g, claim.lengths));
  for (const auto& h : outcome->others)
    described_theirs.push_back(describe(h, claim.other_lengths.value_or(claim.lengths)));
  outcome->detail = join(described_mine, "; ") + " vs " +
                    (claim.other_lengths ? "on " + lengths_text(*claim.other_lengths) + ", " : "") +
                    join(described_theirs, "; ");
  if (outcome->weakest) {
    const Interval& d = outcome->weakest->difference;
    outcome->detail += "; weakest: " + outcome->weakest->label + " = " + with_interval(d) + " " +
                       relation_text(against_lower_bound(d, claim.margin), d, true, claim.margin);
  }
  outcome->verdict = verdict_of(failed, missing, unsure);
}

}  // namespace

void yaml_error(const YAML::Node& node, const std::string& file, const std::string& path,
                const std::string& message) {
  std::string where = file;
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    where += (where.empty() ? "" : ":") + std::to_string(mark.line + 1) + ":" +
             std::to_string(mark.column + 1);
  }
  throw std::invalid_argument((where.empty() ? "" : where + ": ") + path + ": " + message);
}

std::vector<Claim> parse_claims(const YAML::Node& claims, const std::string& file) {
  return ClaimParser(file).parse(claims);
}

LengthSelection parse_length_selection(const YAML::Node& node, const std::string& file,
                                       const std::string& path) {
  return ClaimParser(file).parse_lengths(node, path);
}

std::string lengths_text(const LengthSelection& lengths) {
  switch (lengths.kind) {
    case LengthSelection::Kind::kAll:
      return "all evaluated lengths";
    case LengthSelection::Kind::kTrain:
      return "the training lengths";
    case LengthSelection::Kind::kBeyond:
      return "the lengths beyond training";
    case LengthSelection::Kind::kLongestTrain:
      return "the longest training length";
    case LengthSelection::Kind::kRange:
      return lengths.lo == lengths.hi
                 ? "length " + std::to_string(lengths.lo)
                 : "lengths " + std::to_string(lengths.lo) + "-" + std::to_string(lengths.hi);
  }
  return "";
}

std::vector<ClaimOutcome> evaluate_claims(const std::vector<Claim>& claims,
                                          const std::vector<RunResult>& runs) {
  std::vector<ClaimOutcome> outcomes;
  for (const auto& claim : claims) {
    ClaimOutcome outcome;
    outcome.text = claim.text;
    outcome.position = claim.position;
    const auto mine = measure_all(claim.where, runs, claim.metric, claim.lengths);
    for (const auto& g : mine)
      outcome.groups.push_back(g.value);
    if (claim.relation == Relation::kAtLeast || claim.relation == Relation::kAtMost) {
      check_threshold(claim, &outcome);
    } else {
      const bool itself = claim.others.empty();
      const auto theirs = measure_all(itself ? claim.where : claim.others, runs, claim.metric,
                                      claim.other_lengths.value_or(claim.lengths));
      for (const auto& h : theirs)
        outcome.others.push_back(h.value);
      check_comparison(claim, mine, theirs, itself, &outcome);
    }
    if (outcome.verdict == ClaimOutcome::Verdict::kNoData) {
      outcome.detail += unknown_settings(claim, runs);
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

std::string to_string(ClaimOutcome::Verdict verdict) {
  switch (verdict) {
    case ClaimOutcome::Verdict::kPass:
      return "pass";
    case ClaimOutcome::Verdict::kFail:
      return "fail";
    case ClaimOutcome::Verdict::kInconclusive:
      return "inconclusive";
    case ClaimOutcome::Verdict::kNoData:
      return "no data";
  }
  return "?";
}

std::string claims_tally(const std::vector<ClaimOutcome>& outcomes) {
  size_t pass = 0, fail = 0, unsure = 0, none = 0;
  for (const auto& o : outcomes) {
    pass += o.verdict == ClaimOutcome::Verdict::kPass;
    fail += o.verdict == ClaimOutcome::Verdict::kFail;
    unsure += o.verdict == ClaimOutcome::Verdict::kInconclusive;
    none += o.verdict == ClaimOutcome::Verdict::kNoData;
  }
  std::string out = std::to_string(pass) + " of " + std::to_string(outcomes.size()) +
                    (outcomes.size() == 1 ? " claim passes" : " claims pass");
  std::vector<std::string> rest;
  if (fail > 0) rest.push_back(std::to_string(fail) + (fail == 1 ? " fails" : " fail"));
  if (unsure > 0) rest.push_back(std::to_string(unsure) + " inconclusive");
  if (none > 0) rest.push_back(std::to_string(none) + " without data");
  if (!rest.empty()) out += " (" + join(rest) + ")";
  return out;
}

std::string claims_text(const std::vector<ClaimOutcome>& outcomes) {
  if (outcomes.empty()) return "";
  std::ostringstream out;
  for (const auto& o : outcomes) {
    std::string verdict = to_string(o.verdict);
    std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    verdict.resize(14, ' ');
    out << verdict << o.text << "\n" << std::string(14, ' ') << o.detail << "\n";
  }
  out << claims_tally(outcomes) << "\n";
  return out.str();
}

}  // namespace attnlab::report
