// The table of models and two small helpers.
#include "models/model.h"

#include <functional>

#include "base/registry.h"
#include "models/recurrent.h"
#include "models/transformer.h"

namespace attnlab::models {

namespace {

struct ModelShape {
  int vocab_size, max_source_length, max_output_tokens;
};

using Factory =
    std::function<std::shared_ptr<Seq2SeqModelImpl>(const config::RunSettings&, const ModelShape&)>;

const base::Registry<Factory>& registry() {
  static const base::Registry<Factory> kRegistry(
      "model", {
                   {"rnn",
                    [](const config::RunSettings& s, const ModelShape& shape) {
                      return std::make_shared<RecurrentModelImpl>(
                          s.model, s.attention, shape.vocab_size, shape.max_source_length);
                    }},
                   {"transformer",
                    [](const config::RunSettings& s, const ModelShape& shape) {
                      return std::make_shared<TransformerImpl>(
                          s.model, s.attention, shape.vocab_size, shape.max_source_length,
                          shape.max_output_tokens);
                    }},
               });
  return kRegistry;
}

}  // namespace

std::vector<std::string> model_names() {
  return registry().names();
}

std::shared_ptr<Seq2SeqModelImpl> make_model(const config::RunSettings& settings, int vocab_size,
                                             int max_source_length, int max_output_tokens) {
  return registry().at(settings.model.name)(
      settings, ModelShape{vocab_size, max_source_length, max_output_tokens});
}

std::int64_t parameter_count(const torch::nn::Module& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) {
    if (p.requires_grad()) count += p.numel();
  }
  return count;
}

int max_output_length(int source_length) {
  return 2 * source_length + 2;
}

}  // namespace attnlab::models
