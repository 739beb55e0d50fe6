// The table of attention settings. 'none' is a setting without a scorer: the
// decoder then sees only the encoder's final state (the plain
// encoder-decoder of the seed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attention/scorer.h"
#include "config/settings.h"

namespace attnlab::attention {

// Every valid attention name, 'none' included, in table order.
std::vector<std::string> attention_names();

// The options of the scorer `attention` names in a recurrent model whose
// decoder and encoder states have `hidden_size` and whose sources have at
// most `max_source_length` tokens.
ScorerOptions scorer_options(const config::AttentionSettings& attention, int hidden_size,
                             int max_source_length);

// The scorer for `name`, or nullptr for 'none'. Throws std::invalid_argument
// naming the valid settings when `name` is unknown.
std::shared_ptr<ScorerImpl> make_scorer(const std::string& name, const ScorerOptions& options);

}  // namespace attnlab::attention
