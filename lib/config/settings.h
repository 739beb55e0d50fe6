// Typed, validated run settings. YAML stops here: everything below the config
// layer sees these structs, never a YAML node or a string key. Every field has
// the default documented beside it; the shipped configs/ set them explicitly.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/registry.h"
#include "config/compose.h"

namespace attnlab::config {

// The closed sets among the settings, parsed once, here. Each one's table
// holds the names configs, the database and reports write.
enum class Direction { kToDigits, kToWords };  // numbers: words -> digits, or back
enum class Tokenize { kCharacters, kWhitespace };
enum class Cell { kGru, kLstm };
// Luong's (current state, attentional vector), Bahdanau's (previous state),
// or Cho's (no attention: the source's summary fed at every step).
enum class Decoder { kLuong, kBahdanau, kCho };
enum class Positions { kSinusoidal, kLearned };
enum class Precision { kFp32, kBf16 };  // bf16: autocast's matrix products in bf16

const base::Registry<Direction>& directions();      // to_digits, to_words
const base::Registry<Tokenize>& tokenizations();    // char, whitespace
const base::Registry<Cell>& cells();                // gru, lstm
const base::Registry<Decoder>& decoder_kinds();     // luong, bahdanau, cho
const base::Registry<Positions>& position_kinds();  // sinusoidal, learned
const base::Registry<Precision>& precisions();      // fp32, bf16

inline const std::string& name(Direction d) {
  return directions().name_of(d);
}
inline const std::string& name(Tokenize t) {
  return tokenizations().name_of(t);
}
inline const std::string& name(Cell c) {
  return cells().name_of(c);
}
inline const std::string& name(Decoder d) {
  return decoder_kinds().name_of(d);
}
inline const std::string& name(Positions p) {
  return position_kinds().name_of(p);
}
inline const std::string& name(Precision p) {
  return precisions().name_of(p);
}

struct TaskSettings {
  std::string name = "reverse";             // the task (configs/task/)
  std::array<int, 2> train_lengths{1, 10};  // [min, max] task lengths seen in training
  std::array<int, 2> test_lengths{1, 15};   // [min, max] task lengths evaluated
  int eval_examples = 100;                  // evaluation examples per length (at most)
  // copy, reverse, sort:
  int vocab_size = 20;  // distinct content symbols, besides pad/bos/eos
  // dates:
  std::vector<std::string> locales{"en_US", "en_GB", "fr_FR", "de_DE", "es_ES",
                                   "it_IT", "ja_JP", "zh_CN", "ru_RU"};
  std::array<int, 2> years{1900, 2099};  // [first, last] year drawn
  int size = 60000;                      // examples generated before the split
  // numbers:
  std::string language = "en";  // ICU locale of the words
  Direction direction = Direction::kToDigits;
  // numbers: char, or whitespace (one token per word on the words side)
  // tsv: char, or whitespace-separated words
  Tokenize tokenize = Tokenize::kCharacters;
  // g2p_cmudict, tsv:
  std::string path;  // the data file
  // g2p_cmudict: "festival" (Festival's 40 phonemes) or "cmu39" (ax merged into ah)
  std::string phonemes = "festival";
  // tsv:
  int min_frequency = 1;  // rarer symbols become <unk>
};

// The tasks config::parse_settings accepts (lib/data builds them).
const std::vector<std::string>& task_names();

struct ModelSettings {
  std::string name =
      "rnn";             // 'rnn': recurrent encoder-decoder; 'transformer' (Vaswani et al. 2017)
  int hidden_size = 64;  // H; the Transformer's model size d_model
  int layers = 1;        // rnn: encoder layers; transformer: layers of encoder and of decoder
  double dropout = 0.0;  // dropout probability (embeddings, between layers, sublayer outputs)
  // rnn only:
  Cell cell = Cell::kGru;  // encoder and decoder
  Decoder decoder = Decoder::kLuong;
  bool input_feeding = true;   // luong: feed h~_{t-1} into the next step
  int embedding_size = 32;     // E
  bool bidirectional = false;  // bidirectional encoder (H/2 per direction) with a bridge
  // transformer only:
  int ff_size = 256;                             // inner size of the feed-forward blocks
  Positions positions = Positions::kSinusoidal;  // position embeddings
};

struct AttentionSettings {
  std::string name = "additive";  // scoring function (configs/attention/); 'none' = no attention
  int heads = 4;                  // multihead only: heads, dividing model.hidden_size
  // local_m and local_p only (Luong et al. 2015, section 3.2):
  int window = 3;                 // D: attend within [p_t - D, p_t + D]
  std::string score = "general";  // the content score in the window: dot, general or concat
};

struct DecodeSettings {
  int beam_size = 1;            // 1 = greedy decoding
  double length_penalty = 0.0;  // alpha in ((5 + |y|) / 6)^alpha (Wu et al. 2016); 0 = none
};

struct TrainSettings {
  int steps = 1000;            // optimiser steps
  int batch_size = 64;         // examples per step
  double lr = 1e-3;            // Adam learning rate
  double clip_norm = 1.0;      // gradient clipping by global norm; 0 disables
  int log_every = 50;          // steps between recorded training losses
  int checkpoint_every = 500;  // steps between checkpoints a killed run resumes from; 0 = none
  int eval_every = 0;          // steps between dev evaluations (learning curve); 0 = none
  Precision precision = Precision::kFp32;
  bool deterministic = false;  // ask LibTorch for deterministic algorithms only
  // The learning rate at each step, train.lr being its peak: 'constant';
  // 'inverse_sqrt' (linear warm-up, then lr * sqrt(warmup_steps / step));
  // 'cosine' and 'linear' (linear warm-up, then down to 0 at the last step).
  std::string schedule = "constant";
  int warmup_steps = 0;  // steps of linear warm-up from lr / warmup_steps to lr
  std::string select =
      "last";              // the weights evaluated: 'last', or 'best_dev' (best dev exact match)
  int patience = 0;        // stop after this many dev evaluations without a better one; 0 = never
  int dev_examples = 256;  // dev examples decoded at each evaluation (the training lengths)
  // 'auto' (the fused engine wherever it covers the run, else modules),
  // 'fused' (an error where it does not) or 'modules' (models/fused_engine.h).
  std::string engine = "auto";
  // Save the selected weights as runs/RUN_ID/model.pt (what `attnlab decode`
  // reads); false keeps none.
  bool keep_weights = true;
};

// The phoneme sets g2p_cmudict takes (task.phonemes): festival, cmu39.
const std::vector<std::string>& phoneme_set_names();

// The content scores local attention takes (attention.score).
const std::vector<std::string>& local_score_names();

// The values train.schedule and train.select take.
const std::vector<std::string>& schedule_names();
const std::vector<std::string>& selection_names();

struct RunSettings {
  TaskSettings task;
  ModelSettings model;
  AttentionSettings attention;
  TrainSettings train;
  DecodeSettings decode;
  std::uint64_t seed = 1;      // every random choice derives from it
  int threads = 1;             // LibTorch intra-op threads; 0 = one per core
  std::string device = "cpu";  // 'cpu', 'cuda', 'cuda:N' (GPU N) or 'auto'
  // Free-form labels (tags.KEY=VALUE), stored with the run and queryable
  // (the tags table), never part of its identity.
  std::map<std::string, std::string> tags;
};

// Reads and validates the composed tree. Names that lower layers own (the
// task, the attention setting) are checked there, against their tables. Throws ConfigError naming
// the full key path, where it was set, and what would be valid; unknown keys get a "did you mean".
RunSettings parse_settings(const Composed& composed);

// What a key accepts and holds, as parse_settings reads it.
struct KeyDoc {
  std::string key;       // "train.lr"
  std::string accepts;   // "a number in [1e-12, 1e+30]", "one of: fp32, bf16", ...
  std::string fallback;  // its value when no config sets it
  std::string value;     // its value in this config
  std::string where;     // the file and line that set it ("" for the default)
};

// parse_settings(), noting in `docs` every key it reads (those of the chosen
// task, model and scorer), in reading order.
RunSettings parse_settings(const Composed& composed, std::vector<KeyDoc>* docs);

// Canonical JSON of the settings: sorted keys, typed values; the same settings
// give the same text however they were written.
std::string canonical_json(const RunSettings& settings);

// Human-readable YAML of every setting, in the order of the structs above
// (those a hash leaves out at their defaults included).
std::string to_yaml(const RunSettings& settings);
// The same as JSON, for SQLite's json_extract.
std::string to_json(const RunSettings& settings);

// The identity of a run: SHA-256 (hex) of the canonical JSON, the code
// version and what besides the settings decides its data (data files'
// digests, library versions; "" when nothing does, which leaves the hash as
// it was before data entered it).
std::string config_hash(const RunSettings& settings, const std::string& code_version,
                        const std::string& data_identity = "");

}  // namespace attnlab::config
