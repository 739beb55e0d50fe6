// A finished run's kept weights (runs/RUN_ID/model.pt): the trainer writes
// the weights it evaluated, and `attnlab decode` loads them into the model
// the run's settings build, to decode inputs of one's own. The file carries
// the run's identity, so weights never load into another config's model.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "config/settings.h"
#include "data/task.h"
#include "models/model.h"

namespace attnlab::train {

// What identifies a run's model and data: its settings and the task's data
// (the config hash without the code version).
std::string model_identity(const config::RunSettings& settings, const data::Task& task);

// The model of `settings` for `task`, built as training builds it.
std::shared_ptr<models::Seq2SeqModelImpl> build_model(const config::RunSettings& settings,
                                                      const data::Task& task);

// The bytes of a weights file: `model`'s weights and `identity`.
std::string weights_bytes(models::Seq2SeqModelImpl& model, const std::string& identity);

// Loads a weights file's `bytes` into `model`. Throws std::runtime_error
// when they are not a weights file of `identity`.
void load_weights(models::Seq2SeqModelImpl& model, const std::string& bytes,
                  const std::string& identity);

}  // namespace attnlab::train
