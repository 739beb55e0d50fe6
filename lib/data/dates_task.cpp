// Dates rendered by ICU. Four choices keep every target exact:
// - the calendar is Gregorian in every locale (calendar=gregorian; th_TH
//   would otherwise count Buddhist years, 2567 for 2024) and proleptic: ICU's
//   GregorianCalendar is Julian before 1582-10-15 unless its change date is
//   moved to the beginning of time, and ISO 8601 dates are proleptic;
// - dates are formatted at noon UTC, so no time zone or DST moves the day;
// - a pattern is used only when it shows the full year (ICU's "y": 2024;
//   never "yy"), a month and a day; styles like kShort ("M/d/yy") are not;
// - a numeric date that some configured format writes identically for the
//   date with day and month swapped ("1/5/2024": January 5 in en_US, May 1 in
//   es_ES; for years below 32 also the year moved) is dropped, since its
//   target would depend on a locale the source does not show.
#include "data/dates_task.h"

#include <unicode/datefmt.h>
#include <unicode/dtptngen.h>
#include <unicode/gregocal.h>
#include <unicode/locid.h>
#include <unicode/smpdtfmt.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>

#include "base/errors.h"
#include "base/text.h"

namespace attnlab::data {
namespace {

struct Date {
  int year = 0, month = 0, day = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
// Hinnant's chrono-compatible low-level date algorithms).
std::int64_t days_from_civil(int year, int month, int day) {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  Date date;
  date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  date.year = static_cast<int>(yoe + era * 400 + (date.month <= 2 ? 1 : 0));
  return date;
}

std::string iso(const Date& date) {
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date.year, date.month, date.day);
  return text;
}

bool valid_date(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  const Date back = civil_from_days(days_from_civil(year, month, day));
  return back.year == year && back.month == month && back.day == day;
}

std::string utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

void check(UErrorCode status, const std::string& what) {
  if (U_FAILURE(status)) {
    throw std::runtime_error("ICU failed to " + what + ": " + u_errorName(status));
  }
}

// What a date pattern shows, from its letters outside quoted literals.
struct PatternFields {
  bool full_year = false;      // a "y" field other than "yy"
  bool other_year = false;     // "yy", or a year of another kind (week year "Y", "u", "U", "r")
  bool month = false;          // "M" or stand-alone "L"
  bool numeric_month = false;  // the month in digits ("M", "MM"), not by name ("MMM", ...)
  bool day = false;            // "d"

  bool usable() const { return full_year && !other_year && month && day; }
};

PatternFields fields_of(const icu::UnicodeString& pattern) {
  PatternFields fields;
  bool quoted = false;
  for (int32_t i = 0; i < pattern.length();) {
    const char16_t c = pattern.charAt(i);
    if (c == u'\'') {  // "''" (a literal quote) toggles twice
      quoted = !quoted;
      ++i;
      continue;
    }
    if (quoted || !((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z'))) {
      ++i;
      continue;
    }
    int32_t run = 1;
    while (i + run < pattern.length() && pattern.charAt(i + run) == c)
      ++run;
    switch (c) {
      case u'y':
        (run == 2 ? fields.other_year : fields.full_year) = true;
        break;
      case u'Y':
      case u'u':
      case u'U':
      case u'r':
        fields.other_year = true;
        break;
      case u'M':
      case u'L':
        fields.month = true;
        fields.numeric_month = run <= 2;
        break;
      case u'd':
        fields.day = true;
        break;
      default:
        break;
    }
    i += run;
  }
  return fields;
}

// A locale counts as known when ICU lists it, or its form with likely
// subtags added: ICU lists zh_Hans_CN, not zh_CN.
bool known_locale(const icu::Locale& locale) {
  static const std::set<std::string> kNames = [] {
    int32_t count = 0;
    const icu::Locale* all = icu::Locale::getAvailableLocales(count);
    std::set<std::string> names;
    for (int32_t i = 0; i < count; ++i)
      names.insert(all[i].getName());
    return names;
  }();
  if (locale.isBogus()) return false;
  if (kNames.count(locale.getBaseName()) != 0) return true;
  icu::Locale full = locale;
  UErrorCode status = U_ZERO_ERROR;
  full.addLikelySubtags(status);
  return U_SUCCESS(status) && kNames.count(full.getBaseName()) != 0;
}

[[noreturn]] void unknown_locale(const std::string& name) {
  int32_t count = 0;
  const icu::Locale* all = icu::Locale::getAvailableLocales(count);
  // Locales of the same language where there are any ("fr_XX": fr, fr_BE, ...).
  const std::string language = icu::Locale::createCanonical(name.c_str()).getLanguage();
  std::vector<std::string> examples;
  for (int32_t i = 0; i < count && !language.empty(); ++i) {
    if (all[i].getLanguage() == language) examples.push_back(all[i].getName());
  }
  if (examples.empty()) {
    examples = {"en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT",
                "ja_JP", "zh_CN", "ru_RU", "ar_EG", "hi_IN", "pt_BR"};
  }
  if (examples.size() > 12) examples.resize(12);
  throw base::KeyError("task.locales", "unknown locale '" + name +
                                           "'; valid: " + base::join(examples) +
                                           ", ... (ICU knows " + std::to_string(count) + ")");
}

// The canonical form of `name` with the Gregorian calendar. Throws
// std::invalid_argument when ICU does not know it.
icu::Locale gregorian_locale(const std::string& name) {
  icu::Locale locale = icu::Locale::createCanonical(name.c_str());
  if (!known_locale(locale)) unknown_locale(name);
  UErrorCode status = U_ZERO_ERROR;
  locale.setKeywordValue("calendar", "gregorian", status);
  check(status, "set the Gregorian calendar on " + name);
  return locale;
}

// The pattern of `format` (a skeleton, "long" or "full") in `locale`; empty
// when ICU's style is not a pattern.
icu::UnicodeString pattern_of(const std::string& format, const icu::Locale& locale,
                              icu::DateTimePatternGenerator& generator) {
  icu::UnicodeString pattern;
  if (format == "long" || format == "full") {
    const std::unique_ptr<icu::DateFormat> style(icu::DateFormat::createDateInstance(
        format == "long" ? icu::DateFormat::kLong : icu::DateFormat::kFull, locale));
    const auto* simple = dynamic_cast<const icu::SimpleDateFormat*>(style.get());
    if (simple != nullptr) simple->toPattern(pattern);
    return pattern;
  }
  UErrorCode status = U_ZERO_ERROR;
  pattern = generator.getBestPattern(icu::UnicodeString::fromUTF8(format), status);
  check(status, "find the pattern of skeleton " + format + " in " + locale.getName());
  return pattern;
}

std::unique_ptr<icu::DateTimePatternGenerator> pattern_generator(const icu::Locale& locale) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::DateTimePatternGenerator> generator(
      icu::DateTimePatternGenerator::createInstance(locale, status));
  check(status, std::string("load the date patterns of ") + locale.getName());
  return generator;
}

// One date pattern of one locale, on a proleptic Gregorian calendar in UTC.
class LocaleFormat {
 public:
  LocaleFormat(const icu::UnicodeString& pattern, const icu::Locale& locale, bool numeric_month)
      : numeric_month_(numeric_month) {
    UErrorCode status = U_ZERO_ERROR;
    formatter_ = std::make_unique<icu::SimpleDateFormat>(pattern, locale, status);
    auto calendar =
        std::make_unique<icu::GregorianCalendar>(icu::TimeZone::getGMT()->clone(), locale, status);
    calendar->setGregorianChange(U_DATE_MIN, status);
    check(status, "create the date format " + utf8(pattern) + " of " + locale.getName());
    formatter_->adoptCalendar(calendar.release());
  }

  // The text of the day `days` after 1970-01-01, formatted at noon UTC.
  std::string render(std::int64_t days) const {
    icu::UnicodeString text;
    formatter_->format(static_cast<UDate>(days) * U_MILLIS_PER_DAY + U_MILLIS_PER_DAY / 2, text);
    return utf8(text);
  }

  bool numeric_month() const { return numeric_month_; }

 private:
  std::unique_ptr<icu::SimpleDateFormat> formatter_;
  bool numeric_month_;
};

// The usable formats of one locale, each distinct pattern once.
std::vector<LocaleFormat> formats_of(const std::string& name) {
  const icu::Locale locale = gregorian_locale(name);
  const auto generator = pattern_generator(locale);
  std::vector<LocaleFormat> formats;
  std::vector<icu::UnicodeString> seen;
  for (const auto& format : DatesTask::formats()) {
    const icu::UnicodeString pattern = pattern_of(format, locale, *generator);
    const PatternFields fields = fields_of(pattern);
    if (!fields.usable() || std::find(seen.begin(), seen.end(), pattern) != seen.end()) continue;
    seen.push_back(pattern);
    formats.emplace_back(pattern, locale, fields.numeric_month);
  }
  if (formats.empty()) {
    throw base::KeyError("task.locales",
                         "ICU has no date format of '" + name + "' that shows the full year");
  }
  return formats;
}

// The other dates written with the same three numbers: day and month
// swapped and, for years below 32, the year in another place.
std::vector<std::int64_t> permuted_dates(const Date& date) {
  std::array<int, 3> numbers = {date.year, date.month, date.day};
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::int64_t> out;
  do {
    const bool same = numbers[0] == date.year && numbers[1] == date.month && numbers[2] == date.day;
    if (!same && valid_date(numbers[0], numbers[1], numbers[2])) {
      out.push_back(days_from_civil(numbers[0], numbers[1], numbers[2]));
    }
  } while (std::next_permutation(numbers.begin(), numbers.end()));
  return out;
}

// True when some numeric format writes another date exactly as `text`: the
// source would not determine the target. Only numeric formats can: a month
// name tells the month.
bool ambiguous(const std::string& text, const Date& date,
               const std::vector<const LocaleFormat*>& numeric) {
  for (const auto days : permuted_dates(date)) {
    for (const auto* format : numeric) {
      if (format->render(days) == text) return true;
    }
  }
  return false;
}

}  // namespace

const std::vector<std::string>& DatesTask::formats() {
  static const std::vector<std::string> kFormats = {"yMd",    "yMMdd",      "yMMMd", "yMMMEd",
                                                    "yMMMMd", "yMMMMEEEEd", "long",  "full"};
  return kFormats;
}

std::string DatesTask::render(const std::string& locale, const std::string& format, int year,
                              int month, int day) {
  if (std::find(formats().begin(), formats().end(), format) == formats().end()) {
    throw std::invalid_argument("unknown date format '" + format +
                                "'; valid: " + base::join(formats()));
  }
  if (!valid_date(year, month, day)) {
    throw std::invalid_argument("no such date: year " + std::to_string(year) + ", month " +
                                std::to_string(month) + ", day " + std::to_string(day));
  }
  const icu::Locale icu_locale = gregorian_locale(locale);
  const icu::UnicodeString pattern = pattern_of(format, icu_locale, *pattern_generator(icu_locale));
  const PatternFields fields = fields_of(pattern);
  if (!fields.usable()) {
    throw std::invalid_argument("the " + format + " pattern of " + locale + " ('" + utf8(pattern) +
                                "') does not show day, month and full year; the task skips it");
  }
  return LocaleFormat(pattern, icu_locale, fields.numeric_month)
      .render(days_from_civil(year, month, day));
}

DatesTask::DatesTask(const config::TaskSettings& settings) : CorpusTask(Vocabulary("")) {
  if (settings.locales.empty()) {
    throw base::KeyError("task.locales", "expected at least one locale");
  }
  if (settings.years[0] < 1 || settings.years[1] > 9999 || settings.years[0] > settings.years[1]) {
    throw base::KeyError("task.years",
                         "expected [first, last] with 1 <= first <= last <= "
                         "9999, got [" +
                             std::to_string(settings.years[0]) + ", " +
                             std::to_string(settings.years[1]) + "]");
  }
  std::vector<std::vector<LocaleFormat>> locales;
  for (const auto& name : settings.locales)
    locales.push_back(formats_of(name));
  std::vector<const LocaleFormat*> numeric;
  for (const auto& formats : locales) {
    for (const auto& format : formats) {
      if (format.numeric_month()) numeric.push_back(&format);
    }
  }

  Vocabulary& vocabulary = mutable_vocabulary();
  for (const char* symbol : {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-"})
    vocabulary.add(symbol);
  // The collection belongs to the task, not to the run: the same for every seed.
  Rng rng(derive_seed(0, "dates", 0));
  const std::int64_t first = days_from_civil(settings.years[0], 1, 1);
  const std::int64_t days = days_from_civil(settings.years[1], 12, 31) - first + 1;
  for (int i = 0; i < settings.size; ++i) {
    const std::int64_t day =
        first + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(days)));
    const auto& formats = locales[rng.below(locales.size())];
    const LocaleFormat& format = formats[rng.below(formats.size())];
    const Date date = civil_from_days(day);
    const std::string text = format.render(day);
    if (format.numeric_month() && ambiguous(text, date, numeric)) continue;
    Example e;
    for (const auto& c : utf8_characters(text))
      e.source.push_back(vocabulary.add(c));
    for (const auto& c : utf8_characters(iso(date)))
      e.target.push_back(vocabulary.add(c));
    e.length = static_cast<int>(e.source.size());
    add(text, std::move(e));
  }
  require_training_examples(settings.train_lengths, "dates in " + base::join(settings.locales));
}

}  // namespace attnlab::data
