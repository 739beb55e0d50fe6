// The fused engine is the modules path with its backward written out: over
// the whole covered matrix (cell x layers x direction x decoder x scorer x
// input feeding), on a batch with padded sources and targets, it must give
// the same loss and the same gradient for every parameter.
//
// Tolerance from the arithmetic: fp32 sums of a few hundred terms (unit
// roundoff 6e-8) and exp/tanh from another kernel (2 ulp) leave relative
// differences near 1e-6; 1e-4 of each gradient's largest entry leaves room
// for BLAS kernels that sum in other orders, and still catches any wrong
// term, which moves a gradient by percents. Sums that cancel get an
// absolute floor (expect_same).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <tuple>
#include <vector>

#include "attention/registry.h"
#include "data/batch.h"
#include "data/vocabulary.h"
#include "models/model.h"

namespace attnlab::models {
namespace {

constexpr int kVocab = 13, kMaxSource = 6;

// Sources of lengths 6, 3, 1 and 6; targets of other lengths: padding on
// both sides and a packed encoder.
data::Batch ragged_batch() {
  std::vector<data::Example> examples = {{{3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 9}},
                                         {{9, 10, 11}, {11, 10}},
                                         {{12}, {12, 12, 12}},
                                         {{4, 4, 5, 5, 6, 6}, {6}}};
  return data::make_batch(examples);
}

// Every source of one length, as the generated tasks batch them.
data::Batch even_batch() {
  std::vector<data::Example> examples = {
      {{3, 4, 5, 6}, {6, 5, 4, 3}}, {{7, 8, 9, 10}, {10, 9, 8, 7}}, {{11, 12, 3, 4}, {4, 3}}};
  return data::make_batch(examples);
}

struct Pass {
  double loss = 0;
  std::vector<std::pair<std::string, torch::Tensor>> gradients;
};

Pass run(Seq2SeqModelImpl& model, const data::Batch& batch) {
  model.zero_grad();
  const auto logits = model.forward(batch);
  const auto loss = torch::nn::functional::cross_entropy(
      logits.reshape({-1, kVocab}), batch.target_out.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kPad));
  loss.backward();
  Pass pass{loss.item<double>(), {}};
  for (const auto& p : model.named_parameters())
    pass.gradients.emplace_back(
        p.key(), p.value().grad().defined() ? p.value().grad().clone() : torch::Tensor());
  return pass;
}

void expect_same(const Pass& fused, const Pass& modules) {
  EXPECT_NEAR(fused.loss, modules.loss, 1e-5 * std::max(1.0, modules.loss));
  ASSERT_EQ(fused.gradients.size(), modules.gradients.size());
  double largest = 0;  // over the whole model
  for (const auto& [name, g] : modules.gradients) {
    if (g.defined()) largest = std::max(largest, g.abs().max().item<double>());
  }
  for (size_t i = 0; i < fused.gradients.size(); ++i) {
    const auto& [name, a] = fused.gradients[i];
    const auto& b = modules.gradients[i].second;
    ASSERT_EQ(a.defined(), b.defined()) << name;
    if (!b.defined()) continue;
    ASSERT_EQ(a.sizes(), b.sizes()) << name;
    // A gradient that is a cancelling sum (softmax gradients sum to zero
    // over the source) can be far smaller than its terms; its rounding is
    // relative to the terms, which the model's largest gradient bounds.
    const double scale = b.abs().max().item<double>();
    EXPECT_LE((a - b).abs().max().item<double>(), 1e-4 * scale + 1e-7 * largest)
        << name << " (largest entry " << scale << ")";
  }
}

using Case = std::tuple<std::string, int, bool, std::string, std::string, bool>;

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& [cell, layers, bidirectional, decoder, scorer, feeding] = info.param;
  return cell + "_" + std::to_string(layers) + (bidirectional ? "bi" : "uni") + "_" + decoder +
         "_" + scorer + (feeding ? "_feeding" : "");
}

class FusedEngineTest : public ::testing::TestWithParam<Case> {
 protected:
  config::RunSettings settings() const {
    const auto& [cell, layers, bidirectional, decoder, scorer, feeding] = GetParam();
    config::RunSettings s;
    s.model.cell = config::cells().at(cell);
    s.model.layers = layers;
    s.model.bidirectional = bidirectional;
    s.model.decoder = config::decoder_kinds().at(decoder);
    s.model.input_feeding = feeding;
    s.model.embedding_size = 5;
    s.model.hidden_size = 8;
    s.attention.name = scorer;
    s.attention.heads = 2;
    return s;
  }
};

TEST_P(FusedEngineTest, LossAndEveryGradientEqualTheModules) {
  torch::manual_seed(4);
  const auto model = make_model(settings(), kVocab, kMaxSource);
  ASSERT_EQ(model->fused_gap(), "");
  for (const auto& batch : {ragged_batch(), even_batch()}) {
    model->use_fused(false);
    const Pass modules = run(*model, batch);
    model->use_fused(true);
    const Pass fused = run(*model, batch);
    expect_same(fused, modules);
  }
}

// Decoding steps: the same log-probabilities and attention weights from
// both engines, through a beam-style reordering of the rows.
TEST_P(FusedEngineTest, DecodingStepsEqualTheModules) {
  torch::manual_seed(4);
  const auto model = make_model(settings(), kVocab, kMaxSource);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto batch = ragged_batch();
  model->use_fused(false);
  auto modules = model->start(batch);
  model->use_fused(true);
  auto fused = model->start(batch);
  auto tokens = torch::full({4}, data::kBos, torch::kInt64);
  for (int t = 0; t < 4; ++t) {
    const auto a = fused->step(tokens);
    const auto b = modules->step(tokens);
    EXPECT_LT((a.log_probs - b.log_probs).abs().max().item<double>(), 1e-5) << "step " << t;
    ASSERT_EQ(a.weights.defined(), b.weights.defined());
    if (b.weights.defined()) {
      EXPECT_LT((a.weights - b.weights).abs().max().item<double>(), 1e-6) << "step " << t;
    }
    tokens = std::get<1>(b.log_probs.max(1));
    if (t == 1) {
      const auto rows = torch::tensor({3, 0, 0, 2}, torch::kInt64);
      fused->select(rows);
      modules->select(rows);
      tokens = tokens.index_select(0, rows);
    }
  }
}

std::vector<Case> covered_matrix() {
  std::vector<Case> cases;
  std::vector<std::string> scorers;
  for (const auto& name : attention::attention_names()) {
    torch::manual_seed(1);
    config::RunSettings s;
    s.attention.name = name;
    s.attention.heads = 2;
    if (make_model(s, kVocab, kMaxSource)->fused_gap().empty()) scorers.push_back(name);
  }
  for (const std::string cell : {"gru", "lstm"}) {
    for (const int layers : {1, 2}) {
      for (const bool bidirectional : {false, true}) {
        for (const auto& scorer : scorers) {
          for (const bool feeding : {false, true})
            cases.emplace_back(cell, layers, bidirectional, "luong", scorer, feeding);
          cases.emplace_back(cell, layers, bidirectional, "bahdanau", scorer, false);
        }
      }
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Matrix, FusedEngineTest, ::testing::ValuesIn(covered_matrix()), case_name);

// Dropout draws in the same order on both engines (embeddings, between
// layers over the time-major states as LibTorch's RNN does, the output
// features), so the same seed drops the same units: same loss, same
// gradients. (Between layers of a packed, ragged batch LibTorch draws over
// the packed rows instead; there the masks differ, not their distribution.)
TEST(FusedEngine, DropoutDropsTheSameUnitsAsTheModules) {
  for (const std::string decoder : {"luong", "bahdanau"}) {
    config::RunSettings s;
    s.model.decoder = config::decoder_kinds().at(decoder);
    s.model.layers = 2;
    s.model.bidirectional = true;
    s.model.dropout = 0.3;
    s.model.embedding_size = 5;
    s.model.hidden_size = 8;
    s.attention.name = "general";
    torch::manual_seed(4);
    const auto model = make_model(s, kVocab, kMaxSource);
    model->train();
    const auto batch = even_batch();
    model->use_fused(false);
    torch::manual_seed(9);
    const Pass modules = run(*model, batch);
    model->use_fused(true);
    torch::manual_seed(9);
    const Pass fused = run(*model, batch);
    expect_same(fused, modules);
    torch::manual_seed(10);
    EXPECT_GT(std::abs(run(*model, batch).loss - fused.loss), 1e-3) << "dropout is on";
  }
}

// With more than one thread the loops split large batches into blocks of
// rows (kernels::for_row_blocks); every row must land where one thread
// would have put it.
TEST(FusedEngine, RowBlocksOnTwoThreadsEqualTheModules) {
  std::vector<data::Example> examples;
  for (int i = 0; i < 192; ++i) {
    data::Example e;
    for (int s = 0; s <= i % kMaxSource; ++s)
      e.source.push_back(3 + (i + s) % 10);
    for (int t = 0; t <= (7 * i) % 5; ++t)
      e.target.push_back(3 + (2 * i + t) % 10);
    examples.push_back(std::move(e));
  }
  const auto batch = data::make_batch(examples);
  for (const std::string cell : {"gru", "lstm"}) {
    config::RunSettings s;
    s.model.cell = config::cells().at(cell);
    s.model.embedding_size = 16;
    s.model.hidden_size = 64;
    s.attention.name = "general";
    torch::manual_seed(5);
    const auto model = make_model(s, kVocab, kMaxSource);
    model->use_fused(false);
    const Pass modules = run(*model, batch);
    const int threads = torch::get_num_threads();
    torch::set_num_threads(2);
    model->use_fused(true);
    const Pass fused = run(*model, batch);
    torch::set_num_threads(threads);
    expect_same(fused, modules);
  }
}

TEST(FusedEngine, CoversEveryGlobalScorerOfTheRecurrentModelButNotTheTransformer) {
  for (const auto& name : attention::attention_names()) {
    config::RunSettings s;
    s.attention.name = name;
    s.attention.heads = 2;
    const bool local = name == "local_m" || name == "local_p";  // they read the target position
    EXPECT_EQ(make_model(s, kVocab, kMaxSource)->fused_gap(),
              local ? "attention '" + name + "' has no fused score" : "")
        << name;
  }
  config::RunSettings transformer;
  transformer.model.name = "transformer";
  transformer.attention.name = "multihead";
  transformer.attention.heads = 2;
  EXPECT_EQ(make_model(transformer, kVocab, kMaxSource)->fused_gap(),
            "the Transformer trains on modules");
}

}  // namespace
}  // namespace attnlab::models
