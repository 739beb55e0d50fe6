#include "train/trained_model.h"

#include <algorithm>
#include <sstream>

#include "train/evaluate.h"

namespace attnlab::train {

std::string model_identity(const config::RunSettings& settings, const data::Task& task) {
  return config::config_hash(settings, "", task.data_identity());
}

std::shared_ptr<models::Seq2SeqModelImpl> build_model(const config::RunSettings& settings,
                                                      const data::Task& task) {
  const int longest = std::max(settings.task.train_lengths[1], settings.task.test_lengths[1]);
  return models::make_model(settings, task.vocabulary().size(), task.max_source_tokens(longest),
                            decode_length_limit(task, longest));
}

std::string weights_bytes(models::Seq2SeqModelImpl& model, const std::string& identity) {
  torch::serialize::OutputArchive archive, weights;
  model.save(weights);
  archive.write("model", weights);
  archive.write("identity", c10::IValue(identity));
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_weights(models::Seq2SeqModelImpl& model, const std::string& bytes,
                  const std::string& identity) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive, weights;
  c10::IValue stored;
  try {
    archive.load_from(in, torch::kCPU);
    archive.read("identity", stored);
    archive.read("model", weights);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("not an attnlab weights file (") +
                             e.what_without_backtrace() + ")");
  }
  if (!stored.isString() || stored.toStringRef() != identity) {
    throw std::runtime_error("the weights belong to another config or other data");
  }
  model.load(weights);
}

}  // namespace attnlab::train
