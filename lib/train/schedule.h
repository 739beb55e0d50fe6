// Learning-rate schedules (train.schedule), train.lr being the peak rate:
//
//   constant       lr at every step
//   inverse_sqrt   linear warm-up to lr over warmup_steps, then
//                  lr * sqrt(warmup_steps / step) (Vaswani et al. 2017, eq. 3,
//                  scaled so that its peak is lr)
//   cosine         linear warm-up, then lr * (1 + cos(pi * p)) / 2, where p
//                  runs from 0 at the first step after the warm-up to 1 one
//                  step after the last (Loshchilov & Hutter 2017, no restarts)
//   linear         linear warm-up, then lr * (1 - p)
//
// During warm-up, step s (counted from 1) trains at lr * s / warmup_steps.
#pragma once

#include <cstdint>

#include "config/settings.h"

namespace attnlab::train {

// The learning rate of optimiser step `step` (1 to train.steps).
double scheduled_lr(const config::TrainSettings& train, std::int64_t step);

}  // namespace attnlab::train
