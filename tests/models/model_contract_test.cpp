// One contract over every scorer x decoder of the recurrent model, then the
// encoder variants and the Transformer: shapes, attention weights that sum to
// one with exactly zero on padding, gradients that reach every parameter,
// the same numbers from the same seed, incremental decoding that agrees with
// teacher forcing, and a causal Transformer decoder.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <utility>

#include "attention/registry.h"
#include "data/vocabulary.h"
#include "models/decoding.h"
#include "models/model.h"
#include "models/recurrent.h"

namespace attnlab::models {
namespace {

constexpr int kSymbols = 8, kVocab = kSymbols + 3, kMaxSource = 4;

config::RunSettings small(const std::string& attention, const std::string& decoder) {
  config::RunSettings s;
  s.model.embedding_size = 6;
  s.model.hidden_size = 8;
  s.model.decoder = config::decoder_kinds().at(decoder);
  s.attention.name = attention;
  s.attention.heads = 2;
  return s;
}

config::RunSettings small_transformer() {
  config::RunSettings s = small("multihead", "luong");
  s.model.name = "transformer";
  s.model.layers = 2;
  s.model.ff_size = 16;
  s.model.dropout = 0.0;
  return s;
}

// Sources of lengths 4, 2 and 1 (ids 3..10): padding in two rows, packing in the encoder.
data::Batch mixed_batch() {
  std::vector<data::Example> examples = {
      {{3, 4, 5, 6}, {6, 5, 4, 3}}, {{7, 8}, {8, 7}}, {{9}, {9}}};
  return data::make_batch(examples);
}

std::shared_ptr<Seq2SeqModelImpl> build(const config::RunSettings& s) {
  torch::manual_seed(1);
  return make_model(s, kVocab, kMaxSource);
}

void expect_gradients_everywhere(Seq2SeqModelImpl& model, const data::Batch& batch) {
  const auto logits = model.forward(batch);
  torch::nn::functional::cross_entropy(
      logits.reshape({-1, kVocab}), batch.target_out.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kPad))
      .backward();
  for (const auto& p : model.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
  }
}

// Feeding the reference one token at a time gives the teacher-forced
// log-probabilities.
void expect_incremental_matches_forward(Seq2SeqModelImpl& model, const data::Batch& batch) {
  torch::NoGradGuard no_grad;
  model.eval();
  const auto forced = torch::log_softmax(model.forward(batch), 2);
  auto state = model.start(batch);
  for (std::int64_t t = 0; t < batch.target_in.size(1); ++t) {
    const auto step = state->step(batch.target_in.select(1, t));
    EXPECT_TRUE(torch::allclose(step.log_probs, forced.select(1, t), 1e-5, 1e-5)) << "step " << t;
  }
  model.train();
}

struct Combination {
  std::string attention, decoder;
};

std::vector<Combination> combinations() {
  std::vector<Combination> out;
  for (const auto& decoder : decoder_names()) {
    for (const auto& attention : attention::attention_names())
      if (decoder != "cho" || attention == "none") out.push_back({attention, decoder});
  }
  return out;
}

class RecurrentContract : public ::testing::TestWithParam<Combination> {
 protected:
  config::RunSettings settings() const { return small(GetParam().attention, GetParam().decoder); }
};

TEST_P(RecurrentContract, ShapesAndWeightsWithExactZerosOnPadding) {
  auto model = build(settings());
  const auto batch = mixed_batch();
  EXPECT_EQ(model->forward(batch).sizes(),
            (std::vector<std::int64_t>{3, batch.target_in.size(1), kVocab}));
  torch::NoGradGuard no_grad;
  model->eval();
  const Decoded decoded = greedy_decode(*model, batch, 6);
  EXPECT_EQ(decoded.tokens.size(0), 3);
  EXPECT_LE(decoded.tokens.size(1), 6);
  EXPECT_EQ(decoded.scores.sizes(), (std::vector<std::int64_t>{3}));
  if (GetParam().attention == "none") {
    EXPECT_FALSE(decoded.weights.defined());
    return;
  }
  ASSERT_EQ(decoded.weights.sizes(),
            (std::vector<std::int64_t>{3, decoded.tokens.size(1), kMaxSource}));
  const auto first = decoded.weights.select(1, 0);  // every row is still decoding
  if (GetParam().attention == "local_p") {          // a Gaussian times a softmax: at most one
    EXPECT_TRUE(first.sum(1).le(1 + 1e-6).all().item<bool>());
    EXPECT_TRUE(first.sum(1).gt(0).all().item<bool>());
  } else {
    EXPECT_TRUE(torch::allclose(first.sum(1), torch::ones({3})));
  }
  const auto padding = batch.source_mask.logical_not().unsqueeze(1).expand_as(decoded.weights);
  EXPECT_EQ(decoded.weights.masked_select(padding).abs().max().item<float>(), 0.0f);
}

TEST_P(RecurrentContract, GradientsReachEveryParameter) {
  auto model = build(settings());
  expect_gradients_everywhere(*model, mixed_batch());
}

TEST_P(RecurrentContract, SameSeedSameNumbers) {
  const auto batch = mixed_batch();
  EXPECT_TRUE(torch::equal(build(settings())->forward(batch), build(settings())->forward(batch)));
}

TEST_P(RecurrentContract, IncrementalDecodingMatchesTeacherForcing) {
  auto model = build(settings());
  expect_incremental_matches_forward(*model, mixed_batch());
}

INSTANTIATE_TEST_SUITE_P(AllScorersAndDecoders, RecurrentContract,
                         ::testing::ValuesIn(combinations()),
                         [](const auto& p) { return p.param.attention + "_" + p.param.decoder; });

struct EncoderVariant {
  std::string name;
  std::string cell;
  int layers;
  bool bidirectional;
  double dropout;
};

class EncoderVariants : public ::testing::TestWithParam<EncoderVariant> {};

TEST_P(EncoderVariants, TrainAndDecodeWithBothDecoders) {
  for (const auto& decoder : decoder_names()) {
    auto s = small(decoder == "cho" ? "none" : "general", decoder);
    s.model.cell = config::cells().at(GetParam().cell);
    s.model.layers = GetParam().layers;
    s.model.bidirectional = GetParam().bidirectional;
    s.model.dropout = GetParam().dropout;
    auto model = build(s);
    const auto batch = mixed_batch();
    expect_gradients_everywhere(*model, batch);
    expect_incremental_matches_forward(*model, batch);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cells, EncoderVariants,
    ::testing::Values(EncoderVariant{"lstm", "lstm", 1, false, 0.0},
                      EncoderVariant{"gru_two_layers_dropout", "gru", 2, false, 0.3},
                      EncoderVariant{"gru_bidirectional", "gru", 1, true, 0.0},
                      EncoderVariant{"lstm_bidirectional_two_layers", "lstm", 2, true, 0.1}),
    [](const auto& p) { return p.param.name; });

TEST(RecurrentModel, ParameterCountFollowsTheArchitecture) {
  auto s = small("none", "luong");
  s.model.input_feeding = false;
  const std::int64_t e = 6, h = 8, v = kVocab;
  const std::int64_t gru = 3 * (e * h + h * h + 2 * h);
  // Encoder embedding and GRU; decoder embedding, GRU cell, W_c (no bias), W_s.
  EXPECT_EQ(parameter_count(*build(s)), v * e + gru + v * e + gru + h * h + h * v + v);
  s.model.input_feeding = true;  // the cell reads h~_{t-1} as well: 3 H more inputs per gate row
  EXPECT_EQ(parameter_count(*build(s)), v * e + gru + v * e + gru + 3 * h * h + h * h + h * v + v);
}

TEST(RecurrentModel, UnknownDecoderListsTheValidOnes) {
  try {
    build(small("dot", "sutskever"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "unknown decoder 'sutskever'; valid: luong, bahdanau, cho");
  }
}

TEST(RecurrentModel, ChosDecoderReadsTheSummaryAtEveryStepAndHasNoAttention) {
  const std::int64_t e = 6, h = 8, v = kVocab;
  const std::int64_t gru = 3 * (e * h + h * h + 2 * h);
  // The decoder's cell reads the embedding and the summary c; the maxout
  // readout U_o s (with bias), V_o E y and C_o c; then W_s.
  const std::int64_t cell = 3 * ((e + h) * h + h * h + 2 * h);
  EXPECT_EQ(parameter_count(*build(small("none", "cho"))),
            v * e + gru + v * e + cell + (h * 2 * h + 2 * h) + e * 2 * h + h * 2 * h + h * v + v);
  auto model = build(small("none", "cho"));
  model->eval();
  torch::NoGradGuard no_grad;
  const auto batch = mixed_batch();
  const auto decoding = model->start(batch);
  EXPECT_FALSE(decoding->step(batch.target_in.select(1, 0)).weights.defined());
  try {
    build(small("dot", "cho"));
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("use attention=none"), std::string::npos)
        << error.what();
  }
}

TEST(Transformer, ChangingAFutureTargetTokenLeavesEarlierOutputsAlone) {
  auto model = build(small_transformer());
  model->eval();
  torch::NoGradGuard no_grad;
  auto batch = mixed_batch();
  const auto before = model->forward(batch);
  batch.target_in.select(1, 2).fill_(7);
  const auto after = model->forward(batch);
  EXPECT_TRUE(torch::allclose(before.slice(1, 0, 2), after.slice(1, 0, 2), 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(before.slice(1, 2), after.slice(1, 2), 1e-3, 1e-3));
}

TEST(Transformer, GradientsReachEveryParameterWithEitherPositions) {
  for (const std::string positions : {"sinusoidal", "learned"}) {
    auto s = small_transformer();
    s.model.positions = config::position_kinds().at(positions);
    auto model = build(s);
    expect_gradients_everywhere(*model, mixed_batch());
    expect_incremental_matches_forward(*model, mixed_batch());
  }
}

TEST(Transformer, DecodesWithCrossAttentionWeights) {
  auto model = build(small_transformer());
  model->eval();
  torch::NoGradGuard no_grad;
  const auto batch = mixed_batch();
  const Decoded decoded = greedy_decode(*model, batch, 5);
  ASSERT_TRUE(decoded.weights.defined());
  EXPECT_TRUE(torch::allclose(decoded.weights.select(1, 0).sum(1), torch::ones({3})));
  const auto padding = batch.source_mask.logical_not().unsqueeze(1).expand_as(decoded.weights);
  EXPECT_EQ(decoded.weights.masked_select(padding).abs().max().item<float>(), 0.0f);
}

TEST(Decoding, BeamOfOneIsGreedy) {
  for (const auto& s : {small("additive", "luong"), small("dot", "bahdanau"),
                        small("none", "luong"), small_transformer()}) {
    auto model = build(s);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto batch = mixed_batch();
    DecodeOptions options;
    options.beam_size = 1;
    options.max_length = 7;
    const Decoded greedy = greedy_decode(*model, batch, 7);
    const Decoded beam = beam_search(*model, batch, options);
    EXPECT_TRUE(torch::equal(greedy.tokens, beam.tokens)) << s.attention.name;
    EXPECT_TRUE(torch::allclose(greedy.scores, beam.scores, 1e-9, 1e-9)) << s.attention.name;
    if (greedy.weights.defined()) {
      EXPECT_TRUE(torch::allclose(greedy.weights, beam.weights));
    }
  }
}

TEST(Decoding, BeamSearchReturnsConsistentScoresAndPadsAfterEos) {
  auto model = build(small("general", "luong"));
  model->eval();
  torch::NoGradGuard no_grad;
  const auto batch = mixed_batch();
  DecodeOptions options;
  options.beam_size = 3;
  options.max_length = 6;
  const Decoded beam = beam_search(*model, batch, options);
  // Re-score each returned sequence by feeding it back: the sum of its
  // tokens' log-probabilities is the score beam search reported.
  auto state = model->start(batch);
  auto input = torch::full({3}, data::kBos, torch::kInt64);
  auto total = torch::zeros({3}, torch::kFloat64);
  auto ended = torch::zeros({3}, torch::kBool);
  for (std::int64_t t = 0; t < beam.tokens.size(1); ++t) {
    const auto token = beam.tokens.select(1, t);
    const auto lp = state->step(input).log_probs.gather(1, token.clamp_min(0).unsqueeze(1));
    total += lp.squeeze(1).to(torch::kFloat64).masked_fill(ended, 0.0);
    EXPECT_TRUE(token.masked_select(ended).eq(data::kPad).all().item<bool>());
    ended = ended.logical_or(token.eq(data::kEos));
    input = token;
  }
  EXPECT_TRUE(torch::allclose(total, beam.scores, 1e-4, 1e-4));
}

// Every output of up to `max_length` tokens for one example, scored by
// feeding it back: the sequences that end in <eos>, and those still open
// at the limit (beam search keeps both). Returns the best score and its tokens.
std::pair<double, std::vector<std::int64_t>> exhaustive_best(Seq2SeqModelImpl& model,
                                                             const data::Batch& one,
                                                             int max_length) {
  struct Prefix {
    std::vector<std::int64_t> tokens;
    double log_prob = 0;
  };
  std::vector<Prefix> live(1);
  auto state = model.start(one);
  auto input = torch::full({1}, data::kBos, torch::kInt64);
  double best = -std::numeric_limits<double>::infinity();
  std::vector<std::int64_t> best_tokens;
  const auto consider = [&](const Prefix& p) {
    if (p.log_prob > best) {
      best = p.log_prob;
      best_tokens = p.tokens;
    }
  };
  for (int t = 0; t < max_length; ++t) {
    const auto log_probs = state->step(input).log_probs.to(torch::kFloat64);
    std::vector<Prefix> next;
    std::vector<std::int64_t> rows, tokens;
    for (size_t r = 0; r < live.size(); ++r) {
      for (std::int64_t v = 0; v < log_probs.size(1); ++v) {
        Prefix grown = live[r];
        grown.tokens.push_back(v);
        grown.log_prob += log_probs[static_cast<std::int64_t>(r)][v].item<double>();
        if (v == data::kEos || t + 1 == max_length) {
          consider(grown);
        } else {
          next.push_back(std::move(grown));
          rows.push_back(static_cast<std::int64_t>(r));
          tokens.push_back(v);
        }
      }
    }
    if (next.empty()) break;
    live = std::move(next);
    state->select(torch::tensor(rows, torch::kInt64));
    input = torch::tensor(tokens, torch::kInt64);
  }
  return {best, best_tokens};
}

TEST(Decoding, ABeamWideEnoughForEveryPrefixFindsTheExhaustiveBest) {
  // Beam search guarantees nothing against greedy in general; what it does
  // guarantee is the best sequence when no prefix is ever pruned. With 11
  // symbols (10 that do not end an output) and 4 tokens, 1000 beams keep
  // every prefix. Scores are float32 log-probabilities summed over at most
  // 4 steps; rows batched in other shapes round each logit differently by a
  // few float32 ulps of values below 10 (~1e-6), so one sequence's two
  // scores agree within 4 steps x 1e-5.
  constexpr int kLength = 4;
  constexpr double kTolerance = kLength * 1e-5;
  for (const auto& s :
       {small("additive", "luong"), small("dot", "bahdanau"), small_transformer()}) {
    auto model = build(s);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto batch = mixed_batch();
    DecodeOptions options;
    options.beam_size = 1000;
    options.max_length = kLength;
    const Decoded beam = beam_search(*model, batch, options);
    for (std::int64_t i = 0; i < batch.source.size(0); ++i) {
      const std::vector<data::Example> example = {
          {{3, 4, 5, 6}, {6, 5, 4, 3}}, {{7, 8}, {8, 7}}, {{9}, {9}}};
      const auto one = data::make_batch({example[static_cast<size_t>(i)]});
      const auto [best, tokens] = exhaustive_best(*model, one, kLength);
      EXPECT_NEAR(beam.scores[i].item<double>(), best, kTolerance) << s.attention.name << " " << i;
      std::vector<std::int64_t> found;
      for (std::int64_t t = 0; t < beam.tokens.size(1); ++t) {
        const auto token = beam.tokens[i][t].item<std::int64_t>();
        found.push_back(token);
        if (token == data::kEos) break;
      }
      found.resize(tokens.size(), data::kPad);
      EXPECT_EQ(found, tokens) << s.attention.name << " " << i;
    }
  }
}

}  // namespace
}  // namespace attnlab::models
