// Interpolation, resolved once composition and overrides are done:
// ${a.b} refers to another key, ${env:VAR} and ${env:VAR,default} (also
// spelt oc.env) to the environment. A string that is exactly one
// interpolation takes the referenced value with its type (even a map);
// otherwise the pieces are joined as text.
#pragma once

#include "config/compose.h"

namespace attnlab::config {

// Resolves every interpolation in composed->root. Throws ConfigError naming
// the key, where it was set and what is wrong (missing key, unset variable,
// a cycle).
void resolve_interpolations(Composed* composed);

}  // namespace attnlab::config
