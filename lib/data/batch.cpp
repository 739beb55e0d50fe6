// Builds the tensors on the CPU in one pass; the trainer moves them to the device.
#include "data/batch.h"

#include <algorithm>

namespace attnlab::data {

Batch make_batch(const std::vector<Example>& examples) {
  const auto b = static_cast<std::int64_t>(examples.size());
  size_t s = 1, t = 1;
  for (const auto& e : examples) {
    s = std::max(s, e.source.size());
    t = std::max(t, e.target.size() + 1);
  }
  const auto long_options = torch::TensorOptions().dtype(torch::kInt64);
  Batch batch;
  batch.source = torch::full({b, static_cast<std::int64_t>(s)}, kPad, long_options);
  batch.source_lengths = torch::empty({b}, long_options);
  batch.target_in = torch::full({b, static_cast<std::int64_t>(t)}, kPad, long_options);
  batch.target_out = torch::full({b, static_cast<std::int64_t>(t)}, kPad, long_options);
  auto source = batch.source.accessor<std::int64_t, 2>();
  auto lengths = batch.source_lengths.accessor<std::int64_t, 1>();
  auto target_in = batch.target_in.accessor<std::int64_t, 2>();
  auto target_out = batch.target_out.accessor<std::int64_t, 2>();
  for (std::int64_t i = 0; i < b; ++i) {
    const auto& e = examples[static_cast<size_t>(i)];
    for (size_t j = 0; j < e.source.size(); ++j)
      source[i][static_cast<std::int64_t>(j)] = e.source[j];
    lengths[i] = static_cast<std::int64_t>(e.source.size());
    target_in[i][0] = kBos;
    for (size_t j = 0; j < e.target.size(); ++j) {
      target_in[i][static_cast<std::int64_t>(j + 1)] = e.target[j];
      target_out[i][static_cast<std::int64_t>(j)] = e.target[j];
    }
    target_out[i][static_cast<std::int64_t>(e.target.size())] = kEos;
  }
  batch.source_mask = batch.source.ne(kPad);
  batch.target_mask = batch.target_out.ne(kPad);
  return batch;
}

Batch to_device(Batch batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  batch.source = batch.source.to(device);
  batch.source_mask = batch.source_mask.to(device);
  batch.target_in = batch.target_in.to(device);
  batch.target_out = batch.target_out.to(device);
  batch.target_mask = batch.target_mask.to(device);
  return batch;
}

}  // namespace attnlab::data
