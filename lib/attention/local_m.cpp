// Luong's local-m attention; the equations are in local_m.h.
#include "attention/local_m.h"

#include <algorithm>

#include "attention/registry.h"
#include "base/text.h"
#include "config/settings.h"

namespace attnlab::attention {
namespace {

// One of the registry's scorers, limited to the content scores Luong et al.
// combine with a window.
std::shared_ptr<ScorerImpl> make_content(const ScorerOptions& options) {
  const auto& valid = config::local_score_names();
  TORCH_CHECK(std::find(valid.begin(), valid.end(), options.content) != valid.end(),
              "local attention: unknown content score '", options.content,
              "'; valid: ", base::join(valid));
  return make_scorer(options.content, options);
}

}  // namespace

LocalMScorerImpl::LocalMScorerImpl(const ScorerOptions& options) : window_(options.window) {
  TORCH_CHECK(window_ >= 1, "local attention needs a window D >= 1, got ", window_);
  content_ = register_module("content", make_content(options));
}

torch::Tensor LocalMScorerImpl::project_keys(const torch::Tensor& memory) {
  return content_->project_keys(memory);
}

torch::Tensor LocalMScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return content_->score(query, keys);
}

torch::Tensor LocalMScorerImpl::aligned_position(const torch::Tensor& /*query*/,
                                                 const torch::Tensor& lengths, std::int64_t step) {
  return torch::clamp_max(lengths - 1, static_cast<double>(step)).clamp_min(0);
}

AttentionResult LocalMScorerImpl::read(const torch::Tensor& query, const torch::Tensor& keys,
                                       const torch::Tensor& memory, const torch::Tensor& mask,
                                       std::int64_t step) {
  const auto lengths = mask.sum(1).to(query.scalar_type());
  const auto p = aligned_position(query, lengths, step);  // [B]
  const auto positions = torch::arange(mask.size(1), query.options()).unsqueeze(0);
  const auto distance = positions - p.unsqueeze(1);  // [B, S]
  // Outside the window, as on padding: exactly zero weight.
  const auto in_window = mask.logical_and(distance.abs().le(window_));
  AttentionResult result;
  result.weights = focus(masked_softmax(score(query, keys), in_window), distance);
  result.context = torch::bmm(result.weights.unsqueeze(1), memory).squeeze(1);
  return result;
}

// read() scores every position, then keeps the window's.
double LocalMScorerImpl::score_flops(int source) const {
  return content_->score_flops(source);
}

double LocalMScorerImpl::key_flops() const {
  return content_->key_flops();
}

}  // namespace attnlab::attention
