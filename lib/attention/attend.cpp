// exp(-inf) is exactly 0, so filling masked energies with -inf before the
// softmax gives masked positions exactly zero weight, with no renormalising;
// the final fill only matters for rows that are padding throughout.
#include "attention/attend.h"

#include <limits>

namespace attnlab::attention {

torch::Tensor masked_softmax(const torch::Tensor& energies, const torch::Tensor& mask) {
  TORCH_CHECK(mask.scalar_type() == torch::kBool, "masked_softmax: the mask must be bool, got ",
              mask.scalar_type());
  TORCH_CHECK(mask.dim() <= energies.dim() && mask.size(-1) == energies.size(-1),
              "masked_softmax: mask ", mask.sizes(), " does not fit energies ", energies.sizes());
  const auto padding = mask.logical_not().expand_as(energies);
  const auto filled = energies.masked_fill(padding, -std::numeric_limits<float>::infinity());
  // A row with no real position would be 0/0 = NaN; it gets all zeros instead.
  return torch::softmax(filled, /*dim=*/-1).masked_fill(padding, 0.0);
}

AttentionResult attend(const torch::Tensor& energies, const torch::Tensor& memory,
                       const torch::Tensor& mask) {
  TORCH_CHECK(energies.dim() == 2 && memory.dim() == 3 && memory.size(0) == energies.size(0) &&
                  memory.size(1) == energies.size(1),
              "attend: memory ", memory.sizes(), " does not match energies ", energies.sizes());
  AttentionResult result;
  result.weights = masked_softmax(energies, mask);
  result.context = torch::bmm(result.weights.unsqueeze(1), memory).squeeze(1);
  return result;
}

}  // namespace attnlab::attention
