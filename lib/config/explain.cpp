#include "config/explain.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "base/errors.h"
#include "base/text.h"
#include "config/errors.h"
#include "config/settings.h"

namespace attnlab::config {

namespace {

// The keys of train:, decode: and the top level.
const std::map<std::string, std::string>& run_meanings() {
  static const std::map<std::string, std::string> kMeanings = {
      {"train.steps", "optimiser steps"},
      {"train.batch_size", "examples per step"},
      {"train.lr", "Adam's learning rate (the schedule's peak)"},
      {"train.clip_norm", "gradient clipping by global norm; 0 disables it"},
      {"train.log_every", "steps between recorded training losses"},
      {"train.checkpoint_every", "steps between checkpoints a killed run resumes from; 0: none"},
      {"train.eval_every", "steps between dev evaluations (the learning curve); 0: none"},
      {"train.precision", "fp32, or bf16: matrix products in bfloat16 (autocast)"},
      {"train.deterministic", "ask LibTorch for deterministic algorithms only"},
      {"train.schedule",
       "the learning rate at each step: constant, inverse_sqrt, cosine or linear (after the "
       "warm-up)"},
      {"train.warmup_steps", "steps of linear warm-up from lr / warmup_steps to lr"},
      {"train.select", "the weights evaluated: last, or best_dev (the best dev exact match)"},
      {"train.patience", "stop after this many dev evaluations without a better one; 0: never"},
      {"train.dev_examples", "dev examples decoded at each evaluation"},
      {"train.engine",
       "auto (the fused engine wherever it covers the run), fused, or modules (LibTorch "
       "modules)"},
      {"train.keep_weights", "keep the evaluated weights as runs/RUN_ID/model.pt (attnlab decode)"},
      {"decode.beam_size", "beams of the search at evaluation; 1: greedy decoding"},
      {"decode.length_penalty", "alpha of Wu et al. (2016)'s length normalisation; 0: none"},
      {"seed", "every random choice derives from it"},
      {"threads", "LibTorch intra-op threads; 0: one per core"},
      {"device", "cpu, cuda, cuda:N (GPU N) or auto (cuda when a GPU is usable)"},
      {"tags", "free-form labels (tags.KEY=VALUE), stored with the run, never in its identity"},
  };
  return kMeanings;
}

}  // namespace

const std::map<std::string, std::string>& key_meanings() {
  static const std::map<std::string, std::string> kMeanings = [] {
    std::map<std::string, std::string> meanings = {
        {"task.name", "the task (a file in configs/task/)"},
        {"task.train_lengths", "[min, max] task lengths seen in training"},
        {"task.test_lengths", "[min, max] task lengths evaluated, each on its own"},
        {"task.eval_examples", "evaluation examples per length (at most)"},
        {"task.vocab_size", "copy, reverse, sort: distinct content symbols, besides pad/bos/eos"},
        {"task.locales", "dates: the ICU locales whose date formats are drawn"},
        {"task.years", "dates: [first, last] year drawn"},
        {"task.size", "dates: examples generated before the train/dev/test split"},
        {"task.language", "numbers: the ICU locale whose number words are used"},
        {"task.direction", "numbers: words to digits, or digits to words"},
        {"task.path",
         "g2p_cmudict, tsv: the data file (null: the packaged one, where there is one)"},
        {"task.tokenize", "numbers, tsv: characters, or whitespace-separated words"},
        {"task.phonemes", "g2p_cmudict: festival (40 phonemes) or cmu39 (ax merged into ah)"},
        {"task.min_frequency", "tsv: symbols seen fewer times become <unk>"},
        {"model.name", "rnn (a recurrent encoder-decoder) or transformer (Vaswani et al. 2017)"},
        {"model.hidden_size", "H: the recurrent state; the Transformer's model size d_model"},
        {"model.layers", "rnn: encoder layers; transformer: layers of the encoder and the decoder"},
        {"model.dropout", "dropout probability (embeddings, between layers, sublayer outputs)"},
        {"model.cell", "rnn: the recurrent cell of encoder and decoder"},
        {"model.decoder",
         "rnn: luong (attention on the current state, then the attentional vector), bahdanau "
         "(attention on the previous state), or cho (Cho et al. 2014's RNNencdec: no attention, "
         "the source's summary fed at every step)"},
        {"model.input_feeding", "rnn, luong: feed the last attentional vector into the next step"},
        {"model.embedding_size", "rnn: E, the size of token embeddings"},
        {"model.bidirectional", "rnn: a bidirectional encoder (H/2 per direction) with a bridge"},
        {"model.ff_size", "transformer: the inner size of the feed-forward blocks"},
        {"model.positions", "transformer: sinusoidal or learned position embeddings"},
        {"attention.name",
         "the scoring function (a file in configs/attention/); none: no attention"},
        {"attention.heads", "multihead: heads, dividing model.hidden_size"},
        {"attention.window", "local_m, local_p: D, the window [p_t - D, p_t + D] attended"},
        {"attention.score", "local_m, local_p: the content score within the window"},
    };
    meanings.insert(run_meanings().begin(), run_meanings().end());
    return meanings;
  }();
  return kMeanings;
}

std::string explain_key(const Composed& composed, const std::string& key) {
  std::vector<KeyDoc> docs;
  parse_settings(composed, &docs);
  std::vector<std::string> read;
  for (const auto& doc : docs) {
    read.push_back(doc.key);
    if (doc.key != key) continue;
    const auto meaning = key_meanings().find(key);
    return key + "\n  " + (meaning == key_meanings().end() ? "(undocumented)" : meaning->second) +
           "\n  accepts: " + doc.accepts + "\n  default: " + doc.fallback +
           "\n  value:   " + doc.value + (doc.where.empty() ? "" : "  (" + doc.where + ")") + "\n";
  }
  if (const auto other = key_meanings().find(key); other != key_meanings().end()) {
    throw ConfigError(key + ": not read by this config (" + other->second +
                      "); choose the task, model or scorer that reads it, e.g. --explain " + key +
                      " with its group=option");
  }
  throw ConfigError(key + ": unknown key" + base::did_you_mean(key, read) +
                    "; the keys of this config: " + base::join(read));
}

std::string with_meanings(const std::string& yaml) {
  std::vector<std::string> lines, keys;
  std::vector<std::pair<size_t, std::string>> parents;  // (indent, key) of the open maps
  std::istringstream in(yaml);
  for (std::string line; std::getline(in, line);) {
    const size_t indent = line.find_first_not_of(' ');
    const size_t colon = line.find(':');
    std::string key;
    if (indent != std::string::npos && colon != std::string::npos && line[indent] != '-' &&
        line[indent] != '#') {
      while (!parents.empty() && parents.back().first >= indent)
        parents.pop_back();
      for (const auto& parent : parents)
        key += parent.second + ".";
      key += line.substr(indent, colon - indent);
      if (colon + 1 == line.size())
        parents.emplace_back(indent, line.substr(indent, colon - indent));
    }
    lines.push_back(line);
    keys.push_back(key);
  }
  size_t column = 0;
  for (const auto& line : lines)
    column = std::max(column, std::min<size_t>(line.size(), 36));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    const auto meaning = key_meanings().find(keys[i]);
    if (meaning != key_meanings().end()) {
      out += std::string(column > lines[i].size() ? column - lines[i].size() + 2 : 2, ' ') + "# " +
             meaning->second;
    }
    out += "\n";
  }
  return out;
}

}  // namespace attnlab::config
