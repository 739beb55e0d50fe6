// The table of models and two small helpers.
#include "models/model.h"

#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "config/errors.h"
#include "models/recurrent.h"
#include "models/transformer.h"

namespace attnlab::models {

std::shared_ptr<Seq2SeqModelImpl> make_model(const config::RunSettings& settings, int vocab_size,
                                             int max_source_length, int max_output_tokens) {
  using Factory = std::function<std::shared_ptr<Seq2SeqModelImpl>()>;
  const std::vector<std::pair<std::string, Factory>> table = {
      {"rnn",
       [&] {
         return std::make_shared<RecurrentModelImpl>(settings.model, settings.attention, vocab_size,
                                                     max_source_length);
       }},
      {"transformer",
       [&] {
         return std::make_shared<TransformerImpl>(settings.model, settings.attention, vocab_size,
                                                  max_source_length, max_output_tokens);
       }},
  };
  std::vector<std::string> names;
  for (const auto& [name, make] : table) {
    if (name == settings.model.name) return make();
    names.push_back(name);
  }
  throw std::invalid_argument("unknown model '" + settings.model.name +
                              "'; valid: " + config::join(names));
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
