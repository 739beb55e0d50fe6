// The schedules are pure functions of the step, so a resumed run needs no
// schedule state in its checkpoint.
#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace attnlab::train {

double scheduled_lr(const config::TrainSettings& train, std::int64_t step) {
  const double lr = train.lr;
  if (train.schedule == "constant") return lr;
  const auto warmup = static_cast<double>(train.warmup_steps);
  const auto s = static_cast<double>(step);
  if (s <= warmup) return lr * s / warmup;
  if (train.schedule == "inverse_sqrt") return lr * std::sqrt(std::max(warmup, 1.0) / s);
  const double span = static_cast<double>(train.steps) - warmup;
  // From 0 at the first step after warm-up to just below 1 at the last.
  const double progress = span > 0 ? std::min(1.0, (s - warmup - 1) / span) : 1.0;
  if (train.schedule == "cosine") return lr * 0.5 * (1.0 + std::cos(M_PI * progress));
  return lr * (1.0 - progress);  // linear
}

}  // namespace attnlab::train
