// Multi-head attention; the equations are in multihead.h. The weights it
// returns are the mean over heads, as torch::nn::MultiheadAttention reports
// them, so they still sum to one and can be drawn like any other scorer's.
#include "attention/multihead.h"

#include <algorithm>
#include <cmath>

#include "attention/kernels.h"
#include "attention/scaled_dot.h"

namespace attnlab::attention {

MultiheadScorerImpl::MultiheadScorerImpl(const ScorerOptions& options)
    : heads_(options.heads), model_size_(options.memory_size) {
  TORCH_CHECK(heads_ >= 1 && model_size_ % heads_ == 0, "multihead attention: ", heads_,
              " heads do not divide the model size ", model_size_);
  w_q_ = register_module("w_q", torch::nn::Linear(options.query_size, model_size_));
  w_k_ = register_module("w_k", torch::nn::Linear(options.memory_size, model_size_));
  w_v_ = register_module("w_v", torch::nn::Linear(options.memory_size, model_size_));
  w_o_ = register_module("w_o", torch::nn::Linear(model_size_, options.memory_size));
}

torch::Tensor MultiheadScorerImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, model_size_ / heads_}).transpose(1, 2);
}

torch::Tensor MultiheadScorerImpl::project_keys(const torch::Tensor& memory) {
  return torch::cat({w_k_(memory), w_v_(memory)}, -1);
}

torch::Tensor MultiheadScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  const auto queries = split_heads(w_q_(query.unsqueeze(1)));  // [B, h, 1, d]
  const auto projected = split_heads(keys.narrow(-1, 0, model_size_));
  return scaled_dot_energies(queries, projected).squeeze(2);  // [B, h, S]
}

AttentionResult MultiheadScorerImpl::attend_sequence(const torch::Tensor& queries,
                                                     const torch::Tensor& keys,
                                                     const torch::Tensor& mask) {
  TORCH_CHECK(queries.dim() == 3 && keys.dim() == 3 && keys.size(2) == 2 * model_size_,
              "multihead attention: queries ", queries.sizes(), " or keys ", keys.sizes(),
              " have the wrong shape");
  const auto q = split_heads(w_q_(queries));                    // [B, h, T, d]
  const auto k = split_heads(keys.narrow(-1, 0, model_size_));  // [B, h, S, d]
  const auto v = split_heads(keys.narrow(-1, model_size_, model_size_));
  const auto weights = masked_softmax(scaled_dot_energies(q, k), mask.unsqueeze(1));
  const auto heads = torch::matmul(weights, v);  // [B, h, T, d]
  AttentionResult result;
  result.context = w_o_(heads.transpose(1, 2).reshape({queries.size(0), queries.size(1), -1}));
  result.weights = weights.mean(1);
  return result;
}

AttentionResult MultiheadScorerImpl::read(const torch::Tensor& query, const torch::Tensor& keys,
                                          const torch::Tensor& /*memory*/,
                                          const torch::Tensor& mask, std::int64_t /*step*/) {
  auto result = attend_sequence(query.unsqueeze(1), keys, mask.unsqueeze(1));
  result.context = result.context.squeeze(1);
  result.weights = result.weights.squeeze(1);
  return result;
}

// The fused read. Keys rows hold [K W^K | V W^V] (2D floats); head i uses
// columns i d .. (i + 1) d of each half.
std::vector<torch::Tensor> MultiheadScorerImpl::score_parameters() {
  return {w_q_->weight, w_q_->bias, w_o_->weight, w_o_->bias};
}

std::int64_t MultiheadScorerImpl::fused_scratch(int batch, int source) const {
  // q, heads, d_heads, d_q [B, D] and the per-head weights [B, h, S].
  return static_cast<std::int64_t>(batch) * (4 * model_size_ + heads_ * source);
}

MultiheadScorerImpl::FusedParts MultiheadScorerImpl::fused_forward(const FusedStep& step) const {
  const int b_rows = step.batch, s_len = step.source, dm = model_size_, d = dm / heads_;
  const int hq = static_cast<int>(w_q_->weight.size(1));
  FusedParts parts{step.scratch, step.scratch + static_cast<std::int64_t>(b_rows) * dm,
                   step.scratch + static_cast<std::int64_t>(b_rows) * (dm + heads_ * s_len)};
  const float* bias = w_q_->bias.data_ptr<float>();
  for (int b = 0; b < b_rows; ++b)
    std::copy(bias, bias + dm, parts.q + static_cast<std::int64_t>(b) * dm);
  kernels::gemm(false, true, b_rows, dm, hq, 1.0f, step.query, hq, w_q_->weight.data_ptr<float>(),
                hq, 1.0f, parts.q, dm);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int b = 0; b < b_rows; ++b) {
    const float* row_keys = step.keys + static_cast<std::int64_t>(b) * s_len * 2 * dm;
    for (int i = 0; i < heads_; ++i) {
      float* e = step.energies + static_cast<std::int64_t>(b) * s_len;
      const float* q = parts.q + static_cast<std::int64_t>(b) * dm + i * d;
      for (int s = 0; s < s_len; ++s) {
        const float* k = row_keys + static_cast<std::int64_t>(s) * 2 * dm + i * d;
        float total = 0;
        for (int j = 0; j < d; ++j)
          total += q[j] * k[j];
        e[s] = scale * total;
      }
      // The head's weights and its context over the values, written where
      // the head's columns of `heads` are.
      kernels::attend_rows(e, step.mask + static_cast<std::int64_t>(b) * s_len,
                           row_keys + dm + i * d, 2 * dm, s_len, d,
                           parts.head_weights + (static_cast<std::int64_t>(b) * heads_ + i) * s_len,
                           parts.heads + static_cast<std::int64_t>(b) * dm + i * d);
    }
  }
  return parts;
}

void MultiheadScorerImpl::fused_read(const FusedStep& step, float* weights, float* context) const {
  const int b_rows = step.batch, s_len = step.source, dm = model_size_;
  const auto parts = fused_forward(step);
  const float* bias = w_o_->bias.data_ptr<float>();
  for (int b = 0; b < b_rows; ++b)
    std::copy(bias, bias + step.memory_size,
              context + static_cast<std::int64_t>(b) * step.memory_size);
  kernels::gemm(false, true, b_rows, step.memory_size, dm, 1.0f, parts.heads, dm,
                w_o_->weight.data_ptr<float>(), dm, 1.0f, context, step.memory_size);
  // The weights reported: the mean over heads.
  for (int b = 0; b < b_rows; ++b) {
    float* w = weights + static_cast<std::int64_t>(b) * s_len;
    std::fill(w, w + s_len, 0.0f);
    for (int i = 0; i < heads_; ++i) {
      const float* hw = parts.head_weights + (static_cast<std::int64_t>(b) * heads_ + i) * s_len;
      for (int s = 0; s < s_len; ++s)
        w[s] += hw[s] / static_cast<float>(heads_);
    }
  }
}

void MultiheadScorerImpl::fused_read_backward(const FusedStep& step, const float* /*weights*/,
                                              const float* d_context, float* d_query,
                                              float* /*d_memory*/, float* d_keys,
                                              const std::vector<float*>& d_parameters) const {
  const int b_rows = step.batch, s_len = step.source, dm = model_size_, d = dm / heads_;
  const int hq = static_cast<int>(w_q_->weight.size(1)), hm = step.memory_size;
  const auto parts = fused_forward(step);  // recomputed: cheaper than saving every step's
  float* d_heads = parts.heads + static_cast<std::int64_t>(b_rows) * dm;
  float* d_q = d_heads + static_cast<std::int64_t>(b_rows) * dm;
  // context = heads W_o^T + b_o.
  kernels::gemm(false, false, b_rows, dm, hm, 1.0f, d_context, hm, w_o_->weight.data_ptr<float>(),
                dm, 0.0f, d_heads, dm);
  kernels::gemm(true, false, hm, dm, b_rows, 1.0f, d_context, hm, parts.heads, dm, 1.0f,
                d_parameters[2], dm);
  kernels::add_column_sums(d_context, b_rows, hm, d_parameters[3]);
  std::fill(d_q, d_q + static_cast<std::int64_t>(b_rows) * dm, 0.0f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int b = 0; b < b_rows; ++b) {
    const float* row_keys = step.keys + static_cast<std::int64_t>(b) * s_len * 2 * dm;
    float* row_d_keys = d_keys + static_cast<std::int64_t>(b) * s_len * 2 * dm;
    for (int i = 0; i < heads_; ++i) {
      const float* hw = parts.head_weights + (static_cast<std::int64_t>(b) * heads_ + i) * s_len;
      float* de = step.energies + static_cast<std::int64_t>(b) * s_len;
      kernels::attend_rows_backward(hw, row_keys + dm + i * d, 2 * dm, s_len, d,
                                    d_heads + static_cast<std::int64_t>(b) * dm + i * d, de,
                                    row_d_keys + dm + i * d);
      const float* q = parts.q + static_cast<std::int64_t>(b) * dm + i * d;
      float* dq = d_q + static_cast<std::int64_t>(b) * dm + i * d;
      for (int s = 0; s < s_len; ++s) {
        const float g = scale * de[s];
        const float* k = row_keys + static_cast<std::int64_t>(s) * 2 * dm + i * d;
        float* dk = row_d_keys + static_cast<std::int64_t>(s) * 2 * dm + i * d;
        for (int j = 0; j < d; ++j) {
          dq[j] += g * k[j];
          dk[j] += g * q[j];
        }
      }
    }
  }
  // q = query W_q^T + b_q.
  kernels::gemm(false, false, b_rows, hq, dm, 1.0f, d_q, dm, w_q_->weight.data_ptr<float>(), hq,
                1.0f, d_query, hq);
  kernels::gemm(true, false, dm, hq, b_rows, 1.0f, d_q, dm, step.query, hq, 1.0f, d_parameters[0],
                hq);
  kernels::add_column_sums(d_q, b_rows, dm, d_parameters[1]);
}

// q W_q once; per position and head a score and a weighted value; W_o once.
double MultiheadScorerImpl::score_flops(int source) const {
  return 2.0 * static_cast<double>(w_q_->weight.numel()) + 2.0 * source * model_size_ +
         2.0 * static_cast<double>(w_o_->weight.numel());
}

double MultiheadScorerImpl::key_flops() const {
  return 2.0 * static_cast<double>(w_k_->weight.numel() + w_v_->weight.numel());
}

}  // namespace attnlab::attention
