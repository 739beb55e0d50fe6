// exp(-inf) is exactly 0, so filling masked energies with -inf before the
// softmax gives masked positions exactly zero weight, with no renormalising;
// the final fill only matters for rows that are padding throughout.
#include "attention/attend.h"

#include <limits>

namespace attnlab::attention {

torch::Tensor masked_softmax(const torch::Tensor& energies, const torch::Tensor& mask) {
  TORCH_CHECK(energies.sizes() == mask.sizes(), "masked_softmax: energies ", energies.sizes(),
              " and mask ", mask.sizes(), " differ");
  const auto padding = mask.logical_not();
  const auto filled = energies.masked_fill(padding, -std::numeric_limits<float>::infinity());
  // A row with no real position would be 0/0 = NaN; it gets all zeros instead.
  return torch::softmax(filled, /*dim=*/1).masked_fill(padding, 0.0);
}

AttentionResult attend(const torch::Tensor& energies, const torch::Tensor& memory,
                       const torch::Tensor& mask) {
  TORCH_CHECK(
      memory.dim() == 3 && memory.size(0) == energies.size(0) && memory.size(1) == energies.size(1),
      "attend: memory ", memory.sizes(), " does not match energies ", energies.sizes());
  AttentionResult result;
  result.weights = masked_softmax(energies, mask);
  result.context = torch::bmm(result.weights.unsqueeze(1), memory).squeeze(1);
  return result;
}

}  // namespace attnlab::attention
