// Grapheme-to-phoneme conversion on the CMU pronouncing dictionary as
// Debian's festlex-cmu package ships it, in Festival's lexicon format:
//
//   ("aardvark" nil (((aa r d) 1) ((v aa r k) 1)))
//
// a word, its part of speech, then syllables of phonemes with their stress.
// The source is the word's letters (lower-cased), the target its phonemes
// without stress or syllable marks: Festival's 40 (task.phonemes=festival),
// or the 39 of CMUdict 0.7b without stress (cmu39), where Festival's reduced
// vowel ax is CMUdict's unstressed AH0 and so becomes ah. A word listed more
// than once (one entry per part of speech: "read", "the") trains on its first
// pronunciation, and any of its pronunciations is scored as right. The length
// is the number of letters; the split is by a hash of the word.
#pragma once

#include <string>

#include "data/task.h"

namespace attnlab::data {

inline constexpr const char* kCmudictPath = "/usr/share/festival/dicts/cmu/cmudict-0.4.out";

class G2pCmudictTask : public CorpusTask {
 public:
  // Reads settings.path (kCmudictPath when empty). Throws
  // std::invalid_argument when the file is missing (naming the package that
  // ships it) or a line is not a lexicon entry (naming file and line).
  explicit G2pCmudictTask(const config::TaskSettings& settings);

  std::string length_unit() const override { return "letters"; }
  std::string data_identity() const override { return digest_; }

 private:
  std::string digest_;  // of the dictionary file's bytes
};

}  // namespace attnlab::data
