#include "data/tsv_task.h"

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "base/errors.h"
#include "base/files.h"

namespace attnlab::data {
namespace {

std::vector<std::string> tokenize(const std::string& text, bool characters) {
  if (characters) return utf8_characters(text);
  std::vector<std::string> words;
  std::istringstream in(text);
  std::string word;
  while (in >> word)
    words.push_back(word);
  return words;
}

struct Pair {
  std::string key;  // the source line
  std::vector<std::string> source, target;
};

}  // namespace

namespace {

// The file's pairs, the first of each source line; `path` names it in errors.
std::vector<Pair> read_pairs(const std::string& bytes, const std::string& path, bool characters) {
  std::istringstream in(bytes);
  std::vector<Pair> pairs;
  std::set<std::string> sources;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto where = path + ":" + std::to_string(number) + ": ";
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos) {
      throw std::invalid_argument(where + "expected source<TAB>target (exactly one tab), got " +
                                  (tab == std::string::npos ? "no tab" : "more than one tab"));
    }
    Pair pair{line.substr(0, tab), tokenize(line.substr(0, tab), characters),
              tokenize(line.substr(tab + 1), characters)};
    if (pair.source.empty() || pair.target.empty()) {
      throw std::invalid_argument(where + "the " +
                                  std::string(pair.source.empty() ? "source" : "target") +
                                  " side is empty");
    }
    if (sources.insert(pair.key).second) pairs.push_back(std::move(pair));
  }
  if (pairs.empty()) throw std::invalid_argument(path + ": holds no source<TAB>target lines");
  return pairs;
}

}  // namespace

TsvTask::TsvTask(const config::TaskSettings& settings)
    : CorpusTask(Vocabulary(settings.tokenize == config::Tokenize::kCharacters ? "" : " ")),
      unit_(settings.tokenize == config::Tokenize::kCharacters ? "characters" : "words") {
  std::string bytes;
  if (!base::read_file(settings.path, &bytes)) {
    throw base::KeyError("task.path", "cannot read " + settings.path);
  }
  digest_ = digest_of(bytes);
  std::vector<Pair> pairs =
      read_pairs(bytes, settings.path, settings.tokenize == config::Tokenize::kCharacters);

  // The vocabulary: symbols of the training split, in order of first use.
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (const auto& pair : pairs) {
    if (split_of(pair.key) != Split::kTrain) continue;
    for (const auto* side : {&pair.source, &pair.target}) {
      for (const auto& symbol : *side) {
        if (counts[symbol]++ == 0) order.push_back(symbol);
      }
    }
  }
  Vocabulary& vocabulary = mutable_vocabulary();
  const std::int64_t unknown = vocabulary.add(kUnknown);
  for (const auto& symbol : order) {
    if (counts[symbol] >= settings.min_frequency) vocabulary.add(symbol);
  }
  const auto ids = [&](const std::vector<std::string>& symbols) {
    std::vector<std::int64_t> out;
    for (const auto& s : symbols)
      out.push_back(vocabulary.find(s).value_or(unknown));
    return out;
  };
  for (auto& pair : pairs) {
    Example e{ids(pair.source), ids(pair.target), static_cast<int>(pair.source.size())};
    add(pair.key, std::move(e));
  }
  require_training_examples(settings.train_lengths, "pairs in " + settings.path);
}

}  // namespace attnlab::data
