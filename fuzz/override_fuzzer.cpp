// Fuzzes the override parser: any input either parses or raises ConfigError,
// and whatever parses renders back to text that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/errors.h"
#include "config/override.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace attnlab::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseContext context;
  context.group_options = [](const std::string&) {
    return std::vector<std::string>{"additive", "dot", "general", "none"};
  };
  try {
    const Override o = parse_override(text, context);
    for (const auto& value : o.is_sweep() ? o.sweep : std::vector<YAML::Node>{o.value}) {
      if (!o.has_value) break;
      const std::string rendered = render_value(value);
      // Interpolations are text until composition; skip their round trip.
      if (rendered.find("${") != std::string::npos) continue;
      const Override again = parse_override("k=" + rendered);
      if (again.is_sweep() || render_value(again.value) != rendered) std::abort();
    }
  } catch (const ConfigError&) {
  }
  return 0;
}
