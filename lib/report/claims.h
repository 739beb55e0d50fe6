// Claims: machine-checkable statements an experiment expects its results to
// support, written in the experiment file and checked on the stored results
// whenever its report is built. The report shows each claim's verdict with the
// numbers behind it, so "attention helps on long inputs" is either backed by
// the database or visibly not.
//
// Grammar (the `claims:` list of an experiment file; every key but `text`,
// `where` and the one comparison is optional):
//
//   claims:
//     - text: additive reaches at least 95 % exact match on the training lengths
//       where: {attention.name: additive}
//       metric: sequence_accuracy   # token_accuracy | sequence_accuracy | error_rate | bleu
//                                   # | perplexity (teacher-forced; lower is better)
//                                   # | aer | alignment_accuracy (against the task's
//                                   # gold alignment; runs without one are left out)
//                                   # Default: sequence_accuracy
//       lengths: train              # all | train | beyond | longest_train | [lo, hi]
//                                   # Default: all
//       at_least: 0.95
//     - text: at the longest training lengths, none trails every attention by 30 points
//       where: {attention.name: none}
//       lengths: [13, 15]
//       below: {attention.name: [dot, general, additive]}
//       by_at_least: 0.30           # Default: 0
//
// `where` (and `below` / `above`) is a non-empty map from a flattened setting
// ("attention.name", "model.hidden_size", "seed") to a scalar or a list of
// scalars. It names groups of runs: one group per combination of the listed
// values (the Cartesian product, keys in the order written, the last varying
// fastest), each holding the runs whose settings equal those values. Values
// match as strings; numbers also match numerically ("64" matches 64.0), and a
// quoted flow list matches regardless of spaces ("[1,15]" matches "[1, 15]").
//
// `lengths` picks the evaluated source lengths, per run: `train` those inside
// the run's own training range, `beyond` those past its longest training
// length, `longest_train` exactly its longest training length, [lo, hi] those
// in lo..hi (inclusive), `all` the run's whole "test" split (exact corpus
// BLEU) or, without one, every evaluated length.
//
// In `below` and `above` the key `lengths` (not a setting) gives the other
// groups their own length selection. With `lengths` alone, each `where`
// group is compared with itself on those lengths, run by run:
//
//     - text: every score loses at least 10 points beyond the training lengths
//       where: {attention.name: [dot, additive]}
//       lengths: beyond
//       below: {lengths: train}      # dot with dot, additive with additive
//       by_at_least: 0.10
//
// Values: a run's metric over the selected lengths is the mean of its
// per-length scores weighted by their example counts n (lengths with n = 0
// count as not evaluated, and for perplexity runs stored before it was
// measured; for bleu and perplexity outside `all` this averages per-length
// values, an approximation). A group's value is the plain mean over its
// runs that have selected lengths (usually its seeds), so every seed counts
// the same, with a 95 % interval (report/statistics.h): a t-interval over
// its runs, never narrower than the sampling of its test examples allows
// (exact match from per-example outcomes, the error rate from per-example
// edit sums; one run has that interval alone). A comparison's interval is
// that of the difference: paired by seed where both groups have the seed
// (per example too, for exact match on the same examples), Welch's
// otherwise.
//
// Exactly one comparison:
//   at_least: X   every `where` group's value >= X
//   at_most: X    every `where` group's value <= X
//   below: SEL    for every group G of `where` and H of SEL: G <= H - by_at_least
//   above: SEL    for every group G of `where` and H of SEL: G >= H + by_at_least
// Units: token_accuracy, sequence_accuracy and error_rate are fractions in
// [0, 1] (write 0.95 for 95 %); bleu is in [0, 100]; perplexity is 1 or more
// (its margins 0 or more). Thresholds and margins outside those ranges are
// rejected. A bound met within 1e-9 (relative)
// counts as met.
//
// Verdicts use the intervals. A group (threshold) or pair of groups
// (comparison) passes when its whole interval lies on the claimed side of
// the threshold or margin, fails when its whole interval lies on the other
// side, and is inconclusive otherwise. A claim fails when any group or pair
// fails; otherwise it has no data when any group has no run with selected
// lengths; otherwise it is inconclusive when any group or pair is; otherwise
// it passes. Requiring every group and pair to pass is an intersection-union
// test: the claim as a whole keeps the 5 % level without a correction for
// the number of groups.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/statistics.h"
#include "store/records.h"

namespace attnlab::report {

// One finished run's settings and scores, as the report reads them from the
// database.
struct RunResult {
  std::string run_id;
  // The flattened config, every value as text: "attention.name" -> "additive",
  // "model.hidden_size" -> "64", "task.train_lengths" -> "[1,15]", "seed" -> "1".
  std::map<std::string, std::string> params;
  std::array<int, 2> train_lengths{0, 0};  // [min, max]; {0, 0} when unknown
  std::vector<store::LengthEval> evals;    // one per evaluated length
  std::vector<store::SplitScores> splits;  // whole splits: "test", maybe "dev"
};

enum class Metric {
  kTokenAccuracy,
  kSequenceAccuracy,
  kErrorRate,
  kBleu,
  kPerplexity,
  kAer,
  kAlignmentAccuracy
};

struct LengthSelection {
  enum class Kind { kAll, kTrain, kBeyond, kLongestTrain, kRange };
  Kind kind = Kind::kAll;
  int lo = 0;  // kRange only, inclusive
  int hi = 0;
};

// One setting of a selector and the values it takes, one group per value.
struct SelectorKey {
  std::string key;                  // "attention.name"
  std::vector<std::string> values;  // non-empty, no duplicates
};

enum class Relation { kAtLeast, kAtMost, kBelow, kAbove };

struct Claim {
  std::string text;
  std::string position;  // "FILE:LINE" of the claim, for messages
  std::vector<SelectorKey> where;
  Metric metric = Metric::kSequenceAccuracy;
  LengthSelection lengths;
  Relation relation = Relation::kAtLeast;
  double threshold = 0;  // kAtLeast, kAtMost
  // kBelow, kAbove: the groups compared against; empty when each `where`
  // group is compared with itself on other_lengths.
  std::vector<SelectorKey> others;
  std::optional<LengthSelection> other_lengths;  // kBelow, kAbove: theirs, when not `lengths`
  double margin = 0;                             // kBelow, kAbove: by_at_least, >= 0
};

// Parses the `claims` node of an experiment file; an undefined or null node
// gives no claims. `file` only names the file in messages. Throws
// std::invalid_argument naming the position and key path, and what would be
// valid: "FILE:LINE:COL: claims[2].metric: 'foo' is not a metric; valid: ...".
std::vector<Claim> parse_claims(const YAML::Node& claims, const std::string& file);

// Throws std::invalid_argument "FILE:LINE:COL: PATH: MESSAGE" for `node`.
[[noreturn]] void yaml_error(const YAML::Node& node, const std::string& file,
                             const std::string& path, const std::string& message);

// Parses a length selection (`all`, `train`, `beyond`, `longest_train` or
// [lo, hi]) at key path `path` of `file`, with the errors parse_claims gives.
LengthSelection parse_length_selection(const YAML::Node& node, const std::string& file,
                                       const std::string& path);

// Whether `run`'s evaluated `length` is one of `lengths`.
bool selected(const RunResult& run, const LengthSelection& lengths, int length);

// "the training lengths", "lengths 13-15", ...
std::string lengths_text(const LengthSelection& lengths);

// One group's number.
struct GroupValue {
  std::string label;  // its values: "additive"; "attention.name=dot model.hidden_size=64"
  int matched = 0;    // runs whose settings match the group
  int runs = 0;       // of those, runs with selected lengths: `value` is their mean
  double value = 0;   // meaningful only when runs > 0
  Interval interval;  // value's 95 % interval over those runs
};

// One pair of a comparison: the claimed difference (below: H - G; above:
// G - H) with its interval.
struct PairValue {
  std::string label;  // "dot - none"
  Interval difference;
};

struct ClaimOutcome {
  enum class Verdict { kPass, kFail, kInconclusive, kNoData };
  std::string text;
  std::string position;
  Verdict verdict = Verdict::kNoData;
  // The numbers, e.g. "additive: 0.973 [0.951, 0.990] (3 runs) >= 0.950";
  // for comparisons each group, then the pair that decides the verdict,
  // "weakest: dot - none = 0.730 [0.690, 0.770] >= 0.300".
  std::string detail;
  std::vector<GroupValue> groups;    // the `where` groups
  std::vector<GroupValue> others;    // the `below` / `above` groups; empty for thresholds
  std::vector<PairValue> pairs;      // comparisons: every pair with data
  std::optional<PairValue> weakest;  // comparisons: the pair whose interval reaches lowest
};

// Checks every claim against the runs. REQUIRES: `runs` are finished runs.
std::vector<ClaimOutcome> evaluate_claims(const std::vector<Claim>& claims,
                                          const std::vector<RunResult>& runs);

// "pass", "fail", "inconclusive" or "no data".
std::string to_string(ClaimOutcome::Verdict verdict);

// "3 of 4 claims pass", plus " (1 fails)" / " (1 fails, 1 inconclusive, 2 without data)".
std::string claims_tally(const std::vector<ClaimOutcome>& outcomes);

// For a terminal: one line per claim, its numbers indented below,
// then the tally; "" when there are no outcomes.
std::string claims_text(const std::vector<ClaimOutcome>& outcomes);

}  // namespace attnlab::report
