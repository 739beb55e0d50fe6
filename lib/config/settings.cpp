// Validation of the composed tree into RunSettings. A small Reader walks one
// map, converts each known key with range checks, and at the end reports any
// key it was not asked about. The keys a task, a model or a scorer has of
// its own come from one table per kind (OwnKeys), read and written there.
#include "config/settings.h"

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "base/errors.h"
#include "base/registry.h"
#include "base/text.h"
#include "config/device.h"
#include "config/errors.h"
#include "config/sha256.h"

namespace attnlab::config {
namespace {

// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// past U+10FFFF) without control characters: what a name may hold.
bool printable_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
    }
    i += length;
  }
  return true;
}

std::string number_text(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

class Reader {
 public:
  // With `docs`, each key read is noted there: what it accepts, its default
  // and its value.
  Reader(const Composed& composed, YAML::Node node, std::string path,
         std::vector<KeyDoc>* docs = nullptr)
      : composed_(composed), node_(std::move(node)), path_(std::move(path)), docs_(docs) {
    if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
      fail(path_, "expected a group of keys");
    }
  }

  long long integer(const std::string& key, long long fallback, long long min, long long max) {
    const YAML::Node value = take(key);
    note(key, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]",
         std::to_string(fallback), value);
    if (!value.IsDefined()) return fallback;
    long long out = 0;
    if (!value.IsScalar() || value.Tag() == "!" || !parse_int(value.Scalar(), &out) || out < min ||
        out > max) {
      fail(full(key), "expected an integer in [" + std::to_string(min) + ", " +
                          std::to_string(max) + "], got " + render_value(value));
    }
    return out;
  }

  double real(const std::string& key, double fallback, double min, double max) {
    const YAML::Node value = take(key);
    note(key, "a number in [" + number_text(min) + ", " + number_text(max) + "]",
         number_text(fallback), value);
    if (!value.IsDefined()) return fallback;
    double out = 0;
    if (!value.IsScalar() || value.Tag() == "!" || !parse_float(value.Scalar(), &out) ||
        !std::isfinite(out) || out < min || out > max) {
      std::ostringstream range;
      range << "[" << min << ", " << max << "]";
      fail(full(key), "expected a number in " + range.str() + ", got " + render_value(value));
    }
    return out;
  }

  std::string text(const std::string& key, const std::string& fallback) {
    const YAML::Node value = take(key);
    note(key, "a name (printable text)", fallback, value);
    if (!value.IsDefined()) return fallback;
    if (!value.IsScalar() || value.Scalar().empty()) {
      fail(full(key), "expected a name, got " + render_value(value));
    }
    if (!printable_utf8(value.Scalar())) {
      fail(full(key), "expected printable UTF-8 text, got bytes that are not");
    }
    return value.Scalar();
  }

  // Like text(), but null (~) or missing gives "".
  std::string optional_text(const std::string& key) {
    const YAML::Node value = take(key);
    note(key, "a name, or null for none", "null", value);
    if (!value.IsDefined() || value.IsNull()) return "";
    seen_.erase(key);
    return text(key, "");
  }

  bool boolean(const std::string& key, bool fallback) {
    const YAML::Node value = take(key);
    note(key, "true or false", fallback ? "true" : "false", value);
    if (!value.IsDefined()) return fallback;
    if (value.IsScalar() && value.Tag() != "!") {
      if (value.Scalar() == "true" || value.Scalar() == "True") return true;
      if (value.Scalar() == "false" || value.Scalar() == "False") return false;
    }
    fail(full(key), "expected true or false, got " + render_value(value));
  }

  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& valid) {
    const YAML::Node value = take(key);
    note(key, "one of: " + base::join(valid), fallback, value);
    if (!value.IsDefined()) return fallback;
    const std::string text = value.IsScalar() ? value.Scalar() : render_value(value);
    for (const auto& v : valid) {
      if (v == text) return text;
    }
    fail(base::ChoiceError(full(key), text, valid));
  }

  // One of a closed set's names, as its value.
  template <typename Enum>
  Enum one_of(const std::string& key, Enum fallback, const base::Registry<Enum>& table) {
    const std::string& fallback_name = table.name_of(fallback);
    return table.at(choice(key, fallback_name, table.names()));
  }

  // [min, max] with least <= min <= max <= most.
  std::array<int, 2> range(const std::string& key, std::array<int, 2> fallback, int least, int most,
                           const std::string& what = "lengths") {
    const YAML::Node value = take(key);
    note(key,
         "[min, max] " + what + " with " + std::to_string(least) +
             " <= min <= max <= " + std::to_string(most),
         "[" + std::to_string(fallback[0]) + ", " + std::to_string(fallback[1]) + "]", value);
    if (!value.IsDefined()) return fallback;
    long long lo = 0, hi = 0;
    if (!value.IsSequence() || value.size() != 2 || !value[0].IsScalar() || !value[1].IsScalar() ||
        !parse_int(value[0].Scalar(), &lo) || !parse_int(value[1].Scalar(), &hi) || lo < least ||
        hi < lo || hi > most) {
      fail(full(key), "expected [min, max] " + what + " with " + std::to_string(least) +
                          " <= min <= max <= " + std::to_string(most) + ", got " +
                          render_value(value));
    }
    return {static_cast<int>(lo), static_cast<int>(hi)};
  }

  std::array<int, 2> length_range(const std::string& key, std::array<int, 2> fallback) {
    return range(key, fallback, 1, 1000);
  }

  std::vector<std::string> text_list(const std::string& key,
                                     const std::vector<std::string>& fallback) {
    const YAML::Node value = take(key);
    note(key, "a list of names", "[" + base::join(fallback) + "]", value);
    if (!value.IsDefined()) return fallback;
    std::vector<std::string> out;
    if (value.IsSequence()) {
      for (const auto& item : value) {
        if (!item.IsScalar() || item.Scalar().empty() || !printable_utf8(item.Scalar())) break;
        out.push_back(item.Scalar());
      }
    }
    if (out.empty() || out.size() != value.size()) {
      fail(full(key), "expected a non-empty list of names, got " + render_value(value));
    }
    return out;
  }

  // Free-form labels: a group of KEY: VALUE, each value printable text.
  std::map<std::string, std::string> labels(const std::string& key) {
    const YAML::Node value = take(key);
    note(key, "a group of KEY: VALUE labels", "{}", value);
    std::map<std::string, std::string> out;
    if (!value.IsDefined() || value.IsNull()) return out;
    if (!value.IsMap()) fail(full(key), "expected a group of KEY: VALUE labels");
    for (const auto& item : value) {
      const std::string name = item.first.as<std::string>();
      if (!item.second.IsScalar() || !printable_utf8(item.second.Scalar())) {
        fail(full(key) + "." + name,
             "expected a label (printable text), got " + render_value(item.second));
      }
      out[name] = item.second.Scalar();
    }
    return out;
  }

  Reader child(const std::string& key) { return Reader(composed_, take(key), full(key), docs_); }

  // Fails on any key nobody asked for.
  void finish() const {
    if (!node_.IsMap()) return;
    for (const auto& item : node_) {
      const std::string key = item.first.as<std::string>();
      if (seen_.count(key) != 0) continue;
      const std::vector<std::string> known(seen_.begin(), seen_.end());
      fail(full(key), "unknown key" + base::did_you_mean(key, known) + "; valid keys" +
                          (path_.empty() ? "" : " in '" + path_ + "'") + ": " + base::join(known));
    }
  }

 private:
  YAML::Node take(const std::string& key) {
    seen_.insert(key);
    if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    return node_[key];
  }

  std::string full(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // Notes a key read, once, when docs are asked for.
  void note(const std::string& key, const std::string& accepts, const std::string& fallback,
            const YAML::Node& value) {
    if (docs_ == nullptr) return;
    const std::string name = full(key);
    for (const auto& doc : *docs_)
      if (doc.key == name) return;
    docs_->push_back({name, accepts, fallback, value.IsDefined() ? render_value(value) : fallback,
                      composed_.where(name)});
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    fail(base::KeyError(key, what));
  }

  // The error, prefixed with where its key was set.
  [[noreturn]] void fail(const base::KeyError& error) const {
    const std::string where = composed_.where(error.key());
    throw ConfigError((where.empty() ? "" : where + ": ") + error.what());
  }

  const Composed& composed_;
  YAML::Node node_;
  std::string path_;
  std::vector<KeyDoc>* docs_;
  std::set<std::string> seen_;
};

// The keys one choice (a task, a model, a scorer) has of its own, read and
// written in one place: parse_settings reads them for the chosen one only,
// and to_ordered_json writes them, so that settings a choice does not use
// cannot change its hash. `check` tests them against the other settings.
// Adding a choice with keys of its own is a line in its table and these
// functions; parse_settings stays as it is.
template <typename Settings>
struct OwnKeys {
  std::function<void(Reader&, Settings*)> read;
  std::function<void(const Settings&, nlohmann::ordered_json*)> write;
  std::function<void(const Composed&, const RunSettings&)> check;
};

void read_symbols(Reader& r, TaskSettings* t) {
  t->vocab_size = static_cast<int>(r.integer("vocab_size", t->vocab_size, 2, 10000));
}
void write_symbols(const TaskSettings& t, nlohmann::ordered_json* j) {
  (*j)["vocab_size"] = t.vocab_size;
}
void read_dates(Reader& r, TaskSettings* t) {
  t->locales = r.text_list("locales", t->locales);
  t->years = r.range("years", t->years, 1, 9999, "years");
  t->size = static_cast<int>(r.integer("size", t->size, 1, 10000000));
}
void write_dates(const TaskSettings& t, nlohmann::ordered_json* j) {
  (*j)["locales"] = t.locales;
  (*j)["years"] = t.years;
  (*j)["size"] = t.size;
}
void read_numbers(Reader& r, TaskSettings* t) {
  t->language = r.text("language", t->language);
  t->direction = r.one_of("direction", t->direction, directions());
  t->tokenize = r.one_of("tokenize", t->tokenize, tokenizations());
}
void write_numbers(const TaskSettings& t, nlohmann::ordered_json* j) {
  (*j)["language"] = t.language;
  (*j)["direction"] = name(t.direction);
  // Written only when words: runs from before the key keep their ids.
  if (t.tokenize != Tokenize::kCharacters) (*j)["tokenize"] = name(t.tokenize);
}
void read_path(Reader& r, TaskSettings* t) {
  t->path = r.optional_text("path");
}
void write_path(const TaskSettings& t, nlohmann::ordered_json* j) {
  (*j)["path"] = t.path;
}
void read_g2p(Reader& r, TaskSettings* t) {
  read_path(r, t);
  t->phonemes = r.choice("phonemes", t->phonemes, phoneme_set_names());
}
void write_g2p(const TaskSettings& t, nlohmann::ordered_json* j) {
  write_path(t, j);
  (*j)["phonemes"] = t.phonemes;
}
void read_tsv(Reader& r, TaskSettings* t) {
  read_path(r, t);
  if (t->path.empty()) {
    throw ConfigError(
        "task.path: the tsv task reads a tab-separated file of source<TAB>"
        "target lines; set task.path=FILE");
  }
  t->tokenize = r.one_of("tokenize", t->tokenize, tokenizations());
  t->min_frequency = static_cast<int>(r.integer("min_frequency", t->min_frequency, 1, 1000000));
}
void write_tsv(const TaskSettings& t, nlohmann::ordered_json* j) {
  write_path(t, j);
  (*j)["tokenize"] = name(t.tokenize);
  (*j)["min_frequency"] = t.min_frequency;
}

// Every task config::parse_settings accepts (lib/data builds them), with
// its own keys.
const base::Registry<OwnKeys<TaskSettings>>& tasks() {
  static const base::Registry<OwnKeys<TaskSettings>> kTasks(
      "task", {{"copy", {read_symbols, write_symbols, nullptr}},
               {"reverse", {read_symbols, write_symbols, nullptr}},
               {"sort", {read_symbols, write_symbols, nullptr}},
               {"addition", {}},
               {"dates", {read_dates, write_dates, nullptr}},
               {"numbers", {read_numbers, write_numbers, nullptr}},
               {"g2p_cmudict", {read_g2p, write_g2p, nullptr}},
               {"tsv", {read_tsv, write_tsv, nullptr}}});
  return kTasks;
}

void read_rnn(Reader& r, ModelSettings* m) {
  m->cell = r.one_of("cell", m->cell, cells());
  m->decoder = r.one_of("decoder", m->decoder, decoder_kinds());
  m->input_feeding = r.boolean("input_feeding", m->input_feeding);
  m->embedding_size = static_cast<int>(r.integer("embedding_size", m->embedding_size, 1, 65536));
  m->bidirectional = r.boolean("bidirectional", m->bidirectional);
}
void write_rnn(const ModelSettings& m, nlohmann::ordered_json* j) {
  (*j)["cell"] = name(m.cell);
  (*j)["decoder"] = name(m.decoder);
  if (m.decoder == Decoder::kLuong) (*j)["input_feeding"] = m.input_feeding;
  (*j)["embedding_size"] = m.embedding_size;
  (*j)["bidirectional"] = m.bidirectional;
}
void check_rnn(const Composed& composed, const RunSettings& s) {
  if (s.model.decoder != Decoder::kCho || s.attention.name == "none") return;
  throw ConfigError(composed.where("model.decoder") +
                    ": model.decoder: cho has no attention (Cho et al. 2014 feed the source's "
                    "summary at every step), but attention=" +
                    s.attention.name +
                    "; use attention=none, or model.decoder=bahdanau for "
                    "RNNsearch");
}
void read_transformer(Reader& r, ModelSettings* m) {
  m->ff_size = static_cast<int>(r.integer("ff_size", m->ff_size, 1, 1 << 20));
  m->positions = r.one_of("positions", m->positions, position_kinds());
}
void write_transformer(const ModelSettings& m, nlohmann::ordered_json* j) {
  (*j)["ff_size"] = m.ff_size;
  (*j)["positions"] = name(m.positions);
}
void check_transformer(const Composed& composed, const RunSettings& s) {
  if (s.attention.name == "multihead") return;
  throw ConfigError(composed.where("attention.name") +
                    ": attention.name: model=transformer attends with multi-head attention "
                    "throughout; valid: multihead (got '" +
                    s.attention.name + "')");
}

const base::Registry<OwnKeys<ModelSettings>>& models() {
  static const base::Registry<OwnKeys<ModelSettings>> kModels(
      "model", {{"rnn", {read_rnn, write_rnn, check_rnn}},
                {"transformer", {read_transformer, write_transformer, check_transformer}}});
  return kModels;
}

void read_heads(Reader& r, AttentionSettings* a) {
  a->heads = static_cast<int>(r.integer("heads", a->heads, 1, 1024));
}
void write_heads(const AttentionSettings& a, nlohmann::ordered_json* j) {
  (*j)["heads"] = a.heads;
}
void check_heads(const Composed& composed, const RunSettings& s) {
  if (s.model.hidden_size % s.attention.heads == 0) return;
  throw ConfigError(composed.where("attention.heads") + ": attention.heads: " +
                    std::to_string(s.attention.heads) + " heads do not divide model.hidden_size " +
                    std::to_string(s.model.hidden_size));
}

void read_local(Reader& r, AttentionSettings* a) {
  a->window = static_cast<int>(r.integer("window", a->window, 1, 1000));
  a->score = r.choice("score", a->score, local_score_names());
}
void write_local(const AttentionSettings& a, nlohmann::ordered_json* j) {
  (*j)["window"] = a.window;
  (*j)["score"] = a.score;
}

// The scorers with keys of their own (the attention layer's table holds
// every scorer).
const base::Registry<OwnKeys<AttentionSettings>>& scorers_with_keys() {
  static const base::Registry<OwnKeys<AttentionSettings>> kScorers(
      "attention", {{"multihead", {read_heads, write_heads, check_heads}},
                    {"local_m", {read_local, write_local, nullptr}},
                    {"local_p", {read_local, write_local, nullptr}}});
  return kScorers;
}

// The own keys of `name` in `table`; none (every member empty) when it has
// no line there.
template <typename Settings>
const OwnKeys<Settings>& own_keys(const base::Registry<OwnKeys<Settings>>& table,
                                  const std::string& name) {
  static const OwnKeys<Settings> kNone;
  const auto* own = table.find(name);
  return own != nullptr ? *own : kNone;
}

}  // namespace

const base::Registry<Direction>& directions() {
  static const base::Registry<Direction> kNames(
      "direction", {{"to_digits", Direction::kToDigits}, {"to_words", Direction::kToWords}});
  return kNames;
}

const base::Registry<Tokenize>& tokenizations() {
  static const base::Registry<Tokenize> kNames(
      "tokenization", {{"char", Tokenize::kCharacters}, {"whitespace", Tokenize::kWhitespace}});
  return kNames;
}

const base::Registry<Cell>& cells() {
  static const base::Registry<Cell> kNames("cell", {{"gru", Cell::kGru}, {"lstm", Cell::kLstm}});
  return kNames;
}

const base::Registry<Decoder>& decoder_kinds() {
  static const base::Registry<Decoder> kNames(
      "decoder",
      {{"luong", Decoder::kLuong}, {"bahdanau", Decoder::kBahdanau}, {"cho", Decoder::kCho}});
  return kNames;
}

const base::Registry<Positions>& position_kinds() {
  static const base::Registry<Positions> kNames(
      "positions", {{"sinusoidal", Positions::kSinusoidal}, {"learned", Positions::kLearned}});
  return kNames;
}

const base::Registry<Precision>& precisions() {
  static const base::Registry<Precision> kNames(
      "precision", {{"fp32", Precision::kFp32}, {"bf16", Precision::kBf16}});
  return kNames;
}

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> kNames = tasks().names();
  return kNames;
}

const std::vector<std::string>& phoneme_set_names() {
  static const std::vector<std::string> kNames = {"festival", "cmu39"};
  return kNames;
}

const std::vector<std::string>& local_score_names() {
  static const std::vector<std::string> kNames = {"dot", "general", "concat"};
  return kNames;
}

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> kNames = {"constant", "inverse_sqrt", "cosine", "linear"};
  return kNames;
}

const std::vector<std::string>& selection_names() {
  static const std::vector<std::string> kNames = {"last", "best_dev"};
  return kNames;
}

bool is_device_name(const std::string& device) {
  static const std::regex kDevice("cpu|cuda|auto|cuda:[0-9]{1,3}");
  return std::regex_match(device, kDevice);
}

namespace {

void read_task(Reader& task, TaskSettings* t) {
  t->name = task.choice("name", t->name, task_names());
  t->train_lengths = task.length_range("train_lengths", t->train_lengths);
  t->test_lengths = task.length_range("test_lengths", t->test_lengths);
  t->eval_examples = static_cast<int>(task.integer("eval_examples", t->eval_examples, 1, 1000000));
  if (const auto& own = own_keys(tasks(), t->name); own.read) own.read(task, t);
  task.finish();
}

void read_model(const Composed& composed, Reader& model, ModelSettings* m) {
  m->name = model.choice("name", m->name, models().names());
  m->hidden_size = static_cast<int>(model.integer("hidden_size", m->hidden_size, 1, 65536));
  m->layers = static_cast<int>(model.integer("layers", m->layers, 1, 64));
  m->dropout = model.real("dropout", m->dropout, 0.0, 0.99);
  if (const auto& own = own_keys(models(), m->name); own.read) own.read(model, m);
  if (m->bidirectional && m->hidden_size % 2 != 0) {
    throw ConfigError(composed.where("model.hidden_size") +
                      ": model.hidden_size: a bidirectional encoder gives each direction half "
                      "of it, so it must be even; got " +
                      std::to_string(m->hidden_size));
  }
  model.finish();
}

void read_attention(const Composed& composed, Reader& attention, RunSettings* s) {
  s->attention.name = attention.text("name", s->attention.name);
  const auto& own = own_keys(scorers_with_keys(), s->attention.name);
  if (own.read) own.read(attention, &s->attention);
  if (own.check) own.check(composed, *s);
  attention.finish();
  if (const auto& model = own_keys(models(), s->model.name); model.check) model.check(composed, *s);
}

void read_train(const Composed& composed, Reader& train, TrainSettings* t) {
  t->steps = static_cast<int>(train.integer("steps", t->steps, 1, 100000000));
  t->batch_size = static_cast<int>(train.integer("batch_size", t->batch_size, 1, 65536));
  t->lr = train.real("lr", t->lr, 1e-12, 1e30);
  t->clip_norm = train.real("clip_norm", t->clip_norm, 0.0, 1e9);
  t->log_every = static_cast<int>(train.integer("log_every", t->log_every, 1, 100000000));
  t->checkpoint_every =
      static_cast<int>(train.integer("checkpoint_every", t->checkpoint_every, 0, 100000000));
  t->eval_every = static_cast<int>(train.integer("eval_every", t->eval_every, 0, 100000000));
  t->precision = train.one_of("precision", t->precision, precisions());
  t->deterministic = train.boolean("deterministic", t->deterministic);
  t->schedule = train.choice("schedule", t->schedule, schedule_names());
  t->warmup_steps = static_cast<int>(train.integer("warmup_steps", t->warmup_steps, 0, 100000000));
  t->select = train.choice("select", t->select, selection_names());
  t->patience = static_cast<int>(train.integer("patience", t->patience, 0, 1000000));
  t->dev_examples = static_cast<int>(train.integer("dev_examples", t->dev_examples, 1, 1000000));
  t->engine = train.choice("engine", t->engine, {"auto", "fused", "modules"});
  t->keep_weights = train.boolean("keep_weights", t->keep_weights);
  train.finish();
  const auto needs_dev = [&](const std::string& key, const std::string& what) {
    if (t->eval_every > 0) return;
    throw ConfigError(
        composed.where(key) + ": " + key + ": " + what +
        " needs dev evaluations; set train.eval_every to a number of steps (it is 0)");
  };
  if (t->select == "best_dev") needs_dev("train.select", "best_dev");
  if (t->patience > 0) needs_dev("train.patience", "early stopping");
}

void read_decode(Reader& decode, DecodeSettings* d) {
  d->beam_size = static_cast<int>(decode.integer("beam_size", d->beam_size, 1, 1000));
  d->length_penalty = decode.real("length_penalty", d->length_penalty, 0.0, 10.0);
  decode.finish();
}

}  // namespace

RunSettings parse_settings(const Composed& composed) {
  return parse_settings(composed, nullptr);
}

RunSettings parse_settings(const Composed& composed, std::vector<KeyDoc>* docs) {
  RunSettings s;
  Reader root(composed, composed.root, "", docs);
  Reader task = root.child("task");
  read_task(task, &s.task);
  Reader model = root.child("model");
  read_model(composed, model, &s.model);
  Reader attention = root.child("attention");
  read_attention(composed, attention, &s);
  Reader train = root.child("train");
  read_train(composed, train, &s.train);
  Reader decode = root.child("decode");
  read_decode(decode, &s.decode);
  s.seed = static_cast<std::uint64_t>(
      root.integer("seed", static_cast<long long>(s.seed), 0, (1LL << 53)));
  s.threads = static_cast<int>(root.integer("threads", s.threads, 0, 1024));
  s.device = root.text("device", s.device);
  s.tags = root.labels("tags");
  if (!is_device_name(s.device)) {
    throw ConfigError(composed.where("device") + ": device: '" + s.device + "' is not a device" +
                      base::did_you_mean(s.device, {"cpu", "cuda", "auto"}) +
                      "; valid: cpu, cuda, cuda:N (the GPU with index N), auto (cuda when a GPU "
                      "is usable, else cpu)");
  }
  root.finish();
  return s;
}

namespace {

// kIdentity leaves out the settings added after runs were recorded while
// they hold their defaults, so that those runs keep their hashes.
enum class Keys { kIdentity, kAll };

nlohmann::ordered_json to_ordered_json(const RunSettings& s, Keys keys) {
  const bool all = keys == Keys::kAll;
  nlohmann::ordered_json j;
  j["task"] = {{"name", s.task.name},
               {"train_lengths", s.task.train_lengths},
               {"test_lengths", s.task.test_lengths},
               {"eval_examples", s.task.eval_examples}};
  // Settings a task, model or scorer does not use stay out, so they cannot
  // change its hash.
  if (const auto& own = own_keys(tasks(), s.task.name); own.write) own.write(s.task, &j["task"]);
  j["model"] = {{"name", s.model.name},
                {"hidden_size", s.model.hidden_size},
                {"layers", s.model.layers},
                {"dropout", s.model.dropout}};
  if (const auto& own = own_keys(models(), s.model.name); own.write) {
    own.write(s.model, &j["model"]);
  }
  j["attention"] = {{"name", s.attention.name}};
  if (const auto& own = own_keys(scorers_with_keys(), s.attention.name); own.write) {
    own.write(s.attention, &j["attention"]);
  }
  j["train"] = {{"steps", s.train.steps},
                {"batch_size", s.train.batch_size},
                {"lr", s.train.lr},
                {"clip_norm", s.train.clip_norm},
                {"log_every", s.train.log_every},
                {"checkpoint_every", s.train.checkpoint_every},
                {"eval_every", s.train.eval_every}};
  if (all || s.train.precision != Precision::kFp32) {
    j["train"]["precision"] = name(s.train.precision);
  }
  if (all || s.train.deterministic) j["train"]["deterministic"] = s.train.deterministic;
  j["train"]["schedule"] = s.train.schedule;
  j["train"]["warmup_steps"] = s.train.warmup_steps;
  j["train"]["select"] = s.train.select;
  j["train"]["patience"] = s.train.patience;
  j["train"]["dev_examples"] = s.train.dev_examples;
  if (all || s.train.engine != "auto") j["train"]["engine"] = s.train.engine;
  if (all || !s.train.keep_weights) j["train"]["keep_weights"] = s.train.keep_weights;
  j["decode"] = {{"beam_size", s.decode.beam_size}, {"length_penalty", s.decode.length_penalty}};
  j["seed"] = s.seed;
  j["threads"] = s.threads;
  j["device"] = s.device;
  if (all && !s.tags.empty()) j["tags"] = s.tags;  // labels, never part of a run's identity
  return j;
}

void emit(YAML::Emitter& out, const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : j.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, value);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& value : j)
      emit(out, value);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << j.get<std::string>();
  } else {
    out << j.dump();
  }
}

}  // namespace

std::string canonical_json(const RunSettings& settings) {
  // nlohmann::json (unordered) keeps object keys sorted: canonical order.
  return nlohmann::json(to_ordered_json(settings, Keys::kIdentity)).dump();
}

std::string to_yaml(const RunSettings& settings) {
  YAML::Emitter out;
  emit(out, to_ordered_json(settings, Keys::kAll));
  return std::string(out.c_str()) + "\n";
}

std::string to_json(const RunSettings& settings) {
  return to_ordered_json(settings, Keys::kAll).dump();
}

std::string config_hash(const RunSettings& settings, const std::string& code_version,
                        const std::string& data_identity) {
  return sha256_hex(canonical_json(settings) + "\n" + code_version +
                    (data_identity.empty() ? "" : "\n" + data_identity));
}

}  // namespace attnlab::config
