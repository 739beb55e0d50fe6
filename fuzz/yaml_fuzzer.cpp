// Fuzzes the YAML loader and settings validation: any text either yields
// settings or raises ConfigError, never a crash or another exception.
#include <cstdint>
#include <string>

#include "config/errors.h"
#include "config/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace attnlab::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Composed composed;
    composed.root = parse_yaml(text, "fuzz.yaml");
    const RunSettings settings = parse_settings(composed);
    (void)config_hash(settings, "fuzz");
  } catch (const ConfigError&) {
  }
  return 0;
}
