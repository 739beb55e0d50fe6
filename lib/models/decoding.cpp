// Greedy and beam search. The bookkeeping of beam search (which candidate
// survives, which finishes) runs on the CPU over small tensors; the model
// steps run wherever the model is.
#include "models/decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "data/vocabulary.h"

namespace attnlab::models {
namespace {

int resolve_max_length(const data::Batch& batch, int max_length) {
  return max_length > 0 ? max_length : max_output_length(static_cast<int>(batch.source.size(1)));
}

torch::Tensor full_tokens(std::int64_t n, std::int64_t token, const torch::Device& device) {
  return torch::full({n}, token, torch::TensorOptions().dtype(torch::kInt64).device(device));
}

double normaliser(int length, double alpha) {
  return alpha == 0 ? 1.0 : std::pow((5.0 + length) / 6.0, alpha);
}

struct Hypothesis {
  double score = -std::numeric_limits<double>::infinity();  // normalised
  double log_prob = 0;
  std::vector<std::int64_t> tokens;
  std::vector<torch::Tensor> weights;  // [S] per step
};

}  // namespace

Decoded greedy_decode(Seq2SeqModelImpl& model, const data::Batch& batch, int max_length) {
  max_length = resolve_max_length(batch, max_length);
  const auto n = batch.source.size(0);
  const auto device = batch.source.device();
  auto state = model.start(batch);
  auto input = full_tokens(n, data::kBos, device);
  auto done = torch::zeros({n}, torch::TensorOptions().dtype(torch::kBool).device(device));
  auto scores = torch::zeros({n}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  std::vector<torch::Tensor> tokens, weights;
  for (int t = 0; t < max_length; ++t) {
    const auto out = state->step(input);
    const auto [best, token] = out.log_probs.max(1);
    scores += best.to(torch::kFloat64).masked_fill(done, 0.0);
    tokens.push_back(token.masked_fill(done, data::kPad));
    if (out.weights.defined()) weights.push_back(out.weights.masked_fill(done.unsqueeze(1), 0.0));
    done = done.logical_or(token.eq(data::kEos));
    input = token;
    if (done.all().item<bool>()) break;
  }
  Decoded decoded;
  decoded.tokens = torch::stack(tokens, 1).to(torch::kCPU);
  if (!weights.empty()) decoded.weights = torch::stack(weights, 1).to(torch::kCPU);
  decoded.scores = scores.to(torch::kCPU);
  return decoded;
}

torch::Tensor forced_attention(Seq2SeqModelImpl& model, const data::Batch& batch) {
  auto state = model.start(batch);
  std::vector<torch::Tensor> weights;
  for (std::int64_t t = 0; t < batch.target_in.size(1); ++t) {
    const auto out = state->step(batch.target_in.select(1, t));
    if (!out.weights.defined()) return {};
    weights.push_back(out.weights);
  }
  return torch::stack(weights, 1);
}

namespace {

// The beams of a batch: k live hypotheses per item (row r of item i is
// i * k + j), the finished ones, and which items are done.
struct Beams {
  int k = 1;
  double alpha = 0;  // the length penalty
  std::vector<Hypothesis> live;
  std::vector<std::vector<Hypothesis>> finished;
  std::vector<bool> done;
};

// One step's best candidates ([B, 2k] scores and row * V + token ids) and
// the attention weights of each row.
struct Candidates {
  at::TensorAccessor<double, 2> scores;
  at::TensorAccessor<std::int64_t, 2> ids;
  std::int64_t count = 0;
  std::int64_t vocab = 0;
  torch::Tensor weights;  // [B*k, S], or undefined
};

// Grows item i's beam by one step into `next` (with each row's origin and
// token), finishing the hypotheses that chose <eos>; marks it done when
// nothing can overtake its best finished one.
void grow_item(std::int64_t i, const Candidates& c, Beams* beams, std::vector<Hypothesis>* next,
               std::vector<std::int64_t>* origin, std::vector<std::int64_t>* next_tokens) {
  const int k = beams->k;
  const size_t row0 = static_cast<size_t>(i * k);
  int filled = 0;
  for (std::int64_t n = 0; n < c.count && filled < k; ++n) {
    const std::int64_t from = i * k + c.ids[i][n] / c.vocab;
    const std::int64_t token = c.ids[i][n] % c.vocab;
    const double log_prob = c.scores[i][n];
    if (log_prob < -1e29) break;  // only the unused start beams are left
    Hypothesis grown = beams->live[static_cast<size_t>(from)];
    grown.log_prob = log_prob;
    grown.tokens.push_back(token);
    if (c.weights.defined()) grown.weights.push_back(c.weights[from]);
    if (token == data::kEos) {
      // Only among the best k candidates does <eos> finish a hypothesis.
      if (n < k) {
        grown.score = log_prob / normaliser(static_cast<int>(grown.tokens.size()), beams->alpha);
        beams->finished[i].push_back(std::move(grown));
      }
      continue;
    }
    (*origin)[row0 + filled] = from;
    (*next_tokens)[row0 + filled] = token;
    (*next)[row0 + filled] = std::move(grown);
    ++filled;
  }
  for (int j = filled; j < k; ++j)
    (*next)[row0 + j].log_prob = -1e30;  // fewer than k continuations
  const auto& ended = beams->finished[i];
  double best_finished = -std::numeric_limits<double>::infinity();
  for (const auto& h : ended)
    best_finished = std::max(best_finished, h.score);
  // With alpha = 0, scores only fall as hypotheses grow: once the best
  // finished one beats every live one, nothing can overtake it.
  const bool settled = beams->alpha == 0 && filled > 0 && best_finished >= (*next)[row0].log_prob;
  beams->done[i] = static_cast<int>(ended.size()) >= k || filled == 0 || settled;
}

// The best hypothesis of each item (items still open at the length limit
// count their live hypotheses too), padded into one batch.
Decoded best_of(Beams* beams, std::int64_t b) {
  const int k = beams->k;
  std::int64_t length = 1;
  std::vector<const Hypothesis*> best(static_cast<size_t>(b), nullptr);
  for (std::int64_t i = 0; i < b; ++i) {
    if (!beams->done[i]) {
      for (int j = 0; j < k; ++j) {
        auto& h = beams->live[static_cast<size_t>(i * k + j)];
        if (h.tokens.empty() || h.log_prob < -1e29) continue;
        h.score = h.log_prob / normaliser(static_cast<int>(h.tokens.size()), beams->alpha);
        beams->finished[i].push_back(h);
      }
    }
    for (const auto& h : beams->finished[i]) {
      if (!best[i] || h.score > best[i]->score) best[i] = &h;
    }
    TORCH_CHECK(best[i], "beam_search: no hypothesis for batch item ", i);
    length = std::max<std::int64_t>(length, static_cast<std::int64_t>(best[i]->tokens.size()));
  }
  Decoded decoded;
  decoded.tokens = torch::full({b, length}, data::kPad, torch::kInt64);
  decoded.scores = torch::zeros({b}, torch::kFloat64);
  const bool has_weights = !best[0]->weights.empty();
  if (has_weights) decoded.weights = torch::zeros({b, length, best[0]->weights[0].size(0)});
  for (std::int64_t i = 0; i < b; ++i) {
    const Hypothesis& h = *best[i];
    const auto n = static_cast<std::int64_t>(h.tokens.size());
    decoded.tokens[i].slice(0, 0, n).copy_(torch::tensor(h.tokens, torch::kInt64));
    decoded.scores[i] = h.log_prob;
    if (has_weights) decoded.weights[i].slice(0, 0, n).copy_(torch::stack(h.weights));
  }
  return decoded;
}

}  // namespace

Decoded beam_search(Seq2SeqModelImpl& model, const data::Batch& batch,
                    const DecodeOptions& options) {
  const int k = options.beam_size;
  TORCH_CHECK(k >= 1, "beam_search: beam size must be >= 1, got ", k);
  const int max_length = resolve_max_length(batch, options.max_length);
  const auto b = batch.source.size(0);
  const auto device = batch.source.device();
  auto state = model.start(batch);
  state->select(torch::arange(b, torch::TensorOptions().dtype(torch::kInt64).device(device))
                    .repeat_interleave(k));

  Beams beams;
  beams.k = k;
  beams.alpha = options.length_penalty;
  beams.live.resize(static_cast<size_t>(b * k));
  for (std::int64_t i = 0; i < b; ++i) {
    for (int j = 0; j < k; ++j)  // one start per item
      beams.live[static_cast<size_t>(i * k + j)].log_prob = j == 0 ? 0.0 : -1e30;
  }
  beams.finished.resize(static_cast<size_t>(b));
  beams.done.assign(static_cast<size_t>(b), false);
  auto input = full_tokens(b * k, data::kBos, device);

  for (int t = 0; t < max_length; ++t) {
    const auto out = state->step(input);
    const auto log_probs = out.log_probs.to(torch::kCPU, torch::kFloat64);  // [B*k, V]
    const auto vocab = log_probs.size(1);
    std::vector<double> prior(beams.live.size());
    for (size_t r = 0; r < beams.live.size(); ++r)
      prior[r] = beams.live[r].log_prob;
    const auto totals =
        (log_probs + torch::tensor(prior, torch::kFloat64).unsqueeze(1)).view({b, k * vocab});
    const auto [top_scores, top_ids] = totals.topk(std::min<std::int64_t>(2 * k, k * vocab), 1);
    const Candidates candidates{
        top_scores.accessor<double, 2>(), top_ids.accessor<std::int64_t, 2>(), top_ids.size(1),
        vocab, out.weights.defined() ? out.weights.to(torch::kCPU) : torch::Tensor()};

    std::vector<Hypothesis> next(beams.live.size());
    std::vector<std::int64_t> origin(beams.live.size()), next_tokens(beams.live.size(), data::kPad);
    for (std::int64_t i = 0; i < b; ++i) {
      const size_t row0 = static_cast<size_t>(i * k);
      for (int j = 0; j < k; ++j)
        origin[row0 + j] = static_cast<std::int64_t>(row0);  // filler for done items
      if (!beams.done[i]) grow_item(i, candidates, &beams, &next, &origin, &next_tokens);
    }
    beams.live = std::move(next);
    if (std::all_of(beams.done.begin(), beams.done.end(), [](bool d) { return d; })) break;
    state->select(torch::tensor(origin, torch::kInt64).to(device));
    input = torch::tensor(next_tokens, torch::kInt64).to(device);
  }
  return best_of(&beams, b);
}

Decoded decode(Seq2SeqModelImpl& model, const data::Batch& batch, const DecodeOptions& options) {
  if (options.beam_size <= 1) return greedy_decode(model, batch, options.max_length);
  return beam_search(model, batch, options);
}

}  // namespace attnlab::models
