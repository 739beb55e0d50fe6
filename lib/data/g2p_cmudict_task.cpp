#include "data/g2p_cmudict_task.h"

#include <cctype>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "base/errors.h"
#include "base/files.h"

namespace attnlab::data {
namespace {

struct Entry {
  std::string word;
  std::vector<std::string> phonemes;
};

// One lexicon line, or nullopt when it is not an entry.
std::optional<Entry> parse_entry(const std::string& line) {
  if (line.size() < 4 || line.compare(0, 2, "(\"") != 0 || line.back() != ')') return std::nullopt;
  const size_t close = line.find('"', 2);
  if (close == std::string::npos || close == 2) return std::nullopt;
  Entry entry;
  for (size_t i = 2; i < close; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    entry.word.push_back(static_cast<char>(std::tolower(c)));
  }
  // After the word: the part of speech, then the syllables. Phonemes are the
  // alphabetic tokens inside the syllable list; numbers are stress marks.
  const size_t syllables = line.find('(', close);
  if (syllables == std::string::npos) return std::nullopt;
  std::string token;
  const auto flush = [&] {
    if (!token.empty() && std::isalpha(static_cast<unsigned char>(token[0]))) {
      entry.phonemes.push_back(token);
    }
    token.clear();
  };
  for (size_t i = syllables; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '(' || c == ')' || c == ' ') {
      flush();
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      token.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  flush();
  if (entry.phonemes.empty()) return std::nullopt;
  return entry;
}

}  // namespace

G2pCmudictTask::G2pCmudictTask(const config::TaskSettings& settings) : CorpusTask(Vocabulary(" ")) {
  const std::string path = settings.path.empty() ? kCmudictPath : settings.path;
  std::string bytes;
  if (!base::read_file(path, &bytes)) {
    throw base::KeyError(
        "task.path",
        "cannot read the CMU dictionary " + path +
            (settings.path.empty() ? " (Debian's festlex-cmu package ships it: apt-get install "
                                     "festlex-cmu, or run scripts/install-deps.sh)"
                                   : ""));
  }
  digest_ = digest_of(bytes);
  const bool merge_ax = settings.phonemes == "cmu39";
  std::istringstream in(bytes);
  Vocabulary& vocabulary = mutable_vocabulary();
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Festival writes "MNCL" (a compiled lexicon's marker) first; ';' starts a comment.
    if (line.empty() || line == "MNCL" || line[0] == ';') continue;
    const auto entry = parse_entry(line);
    if (!entry) {
      throw std::invalid_argument(path + ":" + std::to_string(number) +
                                  ": not a Festival lexicon entry (expected (\"word\" pos "
                                  "(((phonemes) stress) ...))): " +
                                  line.substr(0, 80));
    }
    Example e;
    for (const auto& letter : utf8_characters(entry->word))
      e.source.push_back(vocabulary.add(letter));
    for (const auto& phoneme : entry->phonemes)
      e.target.push_back(vocabulary.add(merge_ax && phoneme == "ax" ? "ah" : phoneme));
    e.length = static_cast<int>(e.source.size());
    add(entry->word, std::move(e));
  }
  if (size(Split::kTrain) + size(Split::kDev) + size(Split::kTest) == 0) {
    throw std::invalid_argument(path + ": holds no lexicon entries");
  }
  require_training_examples(settings.train_lengths, "words in " + path);
}

}  // namespace attnlab::data
