// Dates written in many formats and languages -> ISO 8601 (YYYY-MM-DD):
//
//   "5 janvier 2024", "2024年1月5日金曜日", "Friday, January 5, 2024" -> "2024-01-05"
//
// rendered with ICU's date formats. The collection is fixed: task.size
// candidates drawn from a stream that does not depend on the run's seed, each
// a uniform day in task.years, a uniform locale of task.locales and a uniform
// format of that locale. Every format shows the full year (never two digits),
// so the source determines the target. One character (code point) per token;
// the length is the number of source characters; the split is by a hash of
// the source text.
#pragma once

#include <string>
#include <vector>

#include "data/task.h"

namespace attnlab::data {

class DatesTask : public CorpusTask {
 public:
  // Generates the collection. Throws std::invalid_argument naming
  // task.locales for a locale ICU does not know, and task.train_lengths when
  // no training example has a length in that range.
  explicit DatesTask(const config::TaskSettings& settings);

  std::string length_unit() const override { return "characters"; }
  std::string data_identity() const override { return icu_identity(); }

  // The formats drawn from, in draw order: ICU skeletons (turned into each
  // locale's pattern by its DateTimePatternGenerator) and the date styles
  // "long" and "full". A locale uses those whose pattern shows the full year
  // (ICU's "y": 2024, and 987 for the year 987; never "yy"), a month and a
  // day, each distinct pattern once.
  static const std::vector<std::string>& formats();

  // The date year-month-day (proleptic Gregorian, at noon UTC) written in
  // `locale` with `format` (one of formats()), exactly as the task renders
  // it. Throws std::invalid_argument for an unknown locale or format, an
  // invalid date, or a format the task skips in that locale.
  static std::string render(const std::string& locale, const std::string& format, int year,
                            int month, int day);
};

}  // namespace attnlab::data
