// One explicit table; adding a scorer is one line here and one file.
#include "attention/registry.h"

#include <functional>

#include "attention/additive.h"
#include "attention/concat.h"
#include "attention/dot.h"
#include "attention/general.h"
#include "attention/local_m.h"
#include "attention/local_p.h"
#include "attention/location.h"
#include "attention/multihead.h"
#include "attention/scaled_dot.h"
#include "base/registry.h"

namespace attnlab::attention {
namespace {

using Factory = std::function<std::shared_ptr<ScorerImpl>(const ScorerOptions&)>;

template <typename T>
Factory factory() {
  return [](const ScorerOptions& options) { return std::make_shared<T>(options); };
}

const base::Registry<Factory>& registry() {
  static const base::Registry<Factory> kRegistry(
      "attention", {
                       {"none", [](const ScorerOptions&) { return std::shared_ptr<ScorerImpl>(); }},
                       {"dot", factory<DotScorerImpl>()},
                       {"general", factory<GeneralScorerImpl>()},
                       {"concat", factory<ConcatScorerImpl>()},
                       {"location", factory<LocationScorerImpl>()},
                       {"additive", factory<AdditiveScorerImpl>()},
                       {"scaled_dot", factory<ScaledDotScorerImpl>()},
                       {"multihead", factory<MultiheadScorerImpl>()},
                       {"local_m", factory<LocalMScorerImpl>()},
                       {"local_p", factory<LocalPScorerImpl>()},
                   });
  return kRegistry;
}

}  // namespace

std::vector<std::string> attention_names() {
  return registry().names();
}

ScorerOptions scorer_options(const config::AttentionSettings& attention, int hidden_size,
                             int max_source_length) {
  ScorerOptions options;
  options.query_size = hidden_size;
  options.memory_size = hidden_size;
  options.max_source_length = max_source_length;
  options.heads = attention.heads;
  options.window = attention.window;
  options.content = attention.score;
  return options;
}

std::shared_ptr<ScorerImpl> make_scorer(const std::string& name, const ScorerOptions& options) {
  return registry().at(name)(options);
}

}  // namespace attnlab::attention
