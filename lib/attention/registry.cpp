// One explicit table; adding a scorer is one line here and one file.
#include "attention/registry.h"

#include <functional>
#include <stdexcept>
#include <utility>

#include "attention/additive.h"
#include "attention/concat.h"
#include "attention/dot.h"
#include "attention/general.h"
#include "attention/location.h"
#include "attention/multihead.h"
#include "attention/scaled_dot.h"
#include "config/errors.h"

namespace attnlab::attention {
namespace {

using Factory = std::function<std::shared_ptr<ScorerImpl>(const ScorerOptions&)>;

template <typename T>
Factory factory() {
  return [](const ScorerOptions& options) { return std::make_shared<T>(options); };
}

const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> kTable = {
      {"none", [](const ScorerOptions&) { return std::shared_ptr<ScorerImpl>(); }},
      {"dot", factory<DotScorerImpl>()},
      {"general", factory<GeneralScorerImpl>()},
      {"concat", factory<ConcatScorerImpl>()},
      {"location", factory<LocationScorerImpl>()},
      {"additive", factory<AdditiveScorerImpl>()},
      {"scaled_dot", factory<ScaledDotScorerImpl>()},
      {"multihead", factory<MultiheadScorerImpl>()},
  };
  return kTable;
}

}  // namespace

std::vector<std::string> attention_names() {
  std::vector<std::string> names;
  for (const auto& entry : table())
    names.push_back(entry.first);
  return names;
}

std::shared_ptr<ScorerImpl> make_scorer(const std::string& name, const ScorerOptions& options) {
  for (const auto& [entry_name, make] : table()) {
    if (entry_name == name) return make(options);
  }
  throw std::invalid_argument("unknown attention '" + name +
                              "'; valid: " + config::join(attention_names()));
}

}  // namespace attnlab::attention
