// Validation of the composed tree into RunSettings. A small Reader walks one
// map, converts each known key with range checks, and at the end reports any
// key it was not asked about.
#include "config/settings.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

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

class Reader {
 public:
  Reader(const Composed& composed, YAML::Node node, std::string path)
      : composed_(composed), node_(std::move(node)), path_(std::move(path)) {
    if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
      fail(path_, "expected a group of keys");
    }
  }

  long long integer(const std::string& key, long long fallback, long long min, long long max) {
    const YAML::Node value = take(key);
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
    if (!value.IsDefined() || value.IsNull()) return "";
    seen_.erase(key);
    return text(key, "");
  }

  bool boolean(const std::string& key, bool fallback) {
    const YAML::Node value = take(key);
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
    if (!value.IsDefined()) return fallback;
    const std::string text = value.IsScalar() ? value.Scalar() : render_value(value);
    for (const auto& v : valid) {
      if (v == text) return text;
    }
    fail(full(key), "'" + text + "' is not available" + base::did_you_mean(text, valid) +
                        "; valid: " + base::join(valid));
  }

  // [min, max] with least <= min <= max <= most.
  std::array<int, 2> range(const std::string& key, std::array<int, 2> fallback, int least, int most,
                           const std::string& what = "lengths") {
    const YAML::Node value = take(key);
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

  Reader child(const std::string& key) { return Reader(composed_, take(key), full(key)); }

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

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const std::string where = composed_.where(key);
    throw ConfigError((where.empty() ? "" : where + ": ") + key + ": " + what);
  }

  const Composed& composed_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

}  // namespace

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> kNames = {"copy",  "reverse", "sort",        "addition",
                                                  "dates", "numbers", "g2p_cmudict", "tsv"};
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

RunSettings parse_settings(const Composed& composed) {
  RunSettings s;
  Reader root(composed, composed.root, "");

  Reader task = root.child("task");
  s.task.name = task.choice("name", s.task.name, task_names());
  s.task.train_lengths = task.length_range("train_lengths", s.task.train_lengths);
  s.task.test_lengths = task.length_range("test_lengths", s.task.test_lengths);
  s.task.eval_examples =
      static_cast<int>(task.integer("eval_examples", s.task.eval_examples, 1, 1000000));
  const std::string& t = s.task.name;
  if (t == "copy" || t == "reverse" || t == "sort") {
    s.task.vocab_size = static_cast<int>(task.integer("vocab_size", s.task.vocab_size, 2, 10000));
  } else if (t == "dates") {
    s.task.locales = task.text_list("locales", s.task.locales);
    s.task.years = task.range("years", s.task.years, 1, 9999, "years");
    s.task.size = static_cast<int>(task.integer("size", s.task.size, 1, 10000000));
  } else if (t == "numbers") {
    s.task.language = task.text("language", s.task.language);
    s.task.direction = task.choice("direction", s.task.direction, {"to_digits", "to_words"});
  } else if (t == "g2p_cmudict" || t == "tsv") {
    s.task.path = task.optional_text("path");
    if (t == "tsv") {
      if (s.task.path.empty()) {
        throw ConfigError(
            "task.path: the tsv task reads a tab-separated file of source<TAB>"
            "target lines; set task.path=FILE");
      }
      s.task.tokenize = task.choice("tokenize", s.task.tokenize, {"char", "whitespace"});
      s.task.min_frequency =
          static_cast<int>(task.integer("min_frequency", s.task.min_frequency, 1, 1000000));
    }
  }
  task.finish();

  Reader model = root.child("model");
  s.model.name = model.choice("name", s.model.name, {"rnn", "transformer"});
  s.model.hidden_size =
      static_cast<int>(model.integer("hidden_size", s.model.hidden_size, 1, 65536));
  s.model.layers = static_cast<int>(model.integer("layers", s.model.layers, 1, 64));
  s.model.dropout = model.real("dropout", s.model.dropout, 0.0, 0.99);
  if (s.model.name == "rnn") {
    s.model.cell = model.choice("cell", s.model.cell, {"gru", "lstm"});
    s.model.decoder = model.choice("decoder", s.model.decoder, {"luong", "bahdanau"});
    s.model.input_feeding = model.boolean("input_feeding", s.model.input_feeding);
    s.model.embedding_size =
        static_cast<int>(model.integer("embedding_size", s.model.embedding_size, 1, 65536));
    s.model.bidirectional = model.boolean("bidirectional", s.model.bidirectional);
    if (s.model.bidirectional && s.model.hidden_size % 2 != 0) {
      throw ConfigError(composed.where("model.hidden_size") +
                        ": model.hidden_size: a bidirectional encoder gives each direction half "
                        "of it, so it must be even; got " +
                        std::to_string(s.model.hidden_size));
    }
  } else {
    s.model.ff_size = static_cast<int>(model.integer("ff_size", s.model.ff_size, 1, 1 << 20));
    s.model.positions = model.choice("positions", s.model.positions, {"sinusoidal", "learned"});
  }
  model.finish();

  Reader attention = root.child("attention");
  s.attention.name = attention.text("name", s.attention.name);
  if (s.attention.name == "multihead") {
    s.attention.heads = static_cast<int>(attention.integer("heads", s.attention.heads, 1, 1024));
    if (s.model.hidden_size % s.attention.heads != 0) {
      throw ConfigError(composed.where("attention.heads") +
                        ": attention.heads: " + std::to_string(s.attention.heads) +
                        " heads do not divide model.hidden_size " +
                        std::to_string(s.model.hidden_size));
    }
  }
  attention.finish();
  if (s.model.name == "transformer" && s.attention.name != "multihead") {
    throw ConfigError(composed.where("attention.name") +
                      ": attention.name: model=transformer attends with multi-head attention "
                      "throughout; valid: multihead (got '" +
                      s.attention.name + "')");
  }

  Reader train = root.child("train");
  s.train.steps = static_cast<int>(train.integer("steps", s.train.steps, 0, 100000000));
  s.train.batch_size = static_cast<int>(train.integer("batch_size", s.train.batch_size, 1, 65536));
  s.train.lr = train.real("lr", s.train.lr, 1e-12, 1e30);
  s.train.clip_norm = train.real("clip_norm", s.train.clip_norm, 0.0, 1e9);
  s.train.log_every = static_cast<int>(train.integer("log_every", s.train.log_every, 1, 100000000));
  s.train.checkpoint_every =
      static_cast<int>(train.integer("checkpoint_every", s.train.checkpoint_every, 0, 100000000));
  s.train.eval_every =
      static_cast<int>(train.integer("eval_every", s.train.eval_every, 0, 100000000));
  s.train.precision = train.choice("precision", s.train.precision, {"fp32", "bf16"});
  s.train.deterministic = train.boolean("deterministic", s.train.deterministic);
  s.train.schedule = train.choice("schedule", s.train.schedule, schedule_names());
  s.train.warmup_steps =
      static_cast<int>(train.integer("warmup_steps", s.train.warmup_steps, 0, 100000000));
  s.train.select = train.choice("select", s.train.select, selection_names());
  s.train.patience = static_cast<int>(train.integer("patience", s.train.patience, 0, 1000000));
  s.train.dev_examples =
      static_cast<int>(train.integer("dev_examples", s.train.dev_examples, 1, 1000000));
  s.train.engine = train.choice("engine", s.train.engine, {"auto", "fused", "modules"});
  train.finish();
  const auto needs_dev = [&](const std::string& key, const std::string& what) {
    if (s.train.eval_every > 0) return;
    throw ConfigError(
        composed.where(key) + ": " + key + ": " + what +
        " needs dev evaluations; set train.eval_every to a number of steps (it is 0)");
  };
  if (s.train.select == "best_dev") needs_dev("train.select", "best_dev");
  if (s.train.patience > 0) needs_dev("train.patience", "early stopping");

  Reader decode = root.child("decode");
  s.decode.beam_size = static_cast<int>(decode.integer("beam_size", s.decode.beam_size, 1, 1000));
  s.decode.length_penalty = decode.real("length_penalty", s.decode.length_penalty, 0.0, 10.0);
  decode.finish();

  s.seed = static_cast<std::uint64_t>(
      root.integer("seed", static_cast<long long>(s.seed), 0, (1LL << 53)));
  s.threads = static_cast<int>(root.integer("threads", s.threads, 0, 1024));
  s.device = root.text("device", s.device);
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

nlohmann::ordered_json to_ordered_json(const RunSettings& s) {
  nlohmann::ordered_json j;
  j["task"] = {{"name", s.task.name},
               {"train_lengths", s.task.train_lengths},
               {"test_lengths", s.task.test_lengths},
               {"eval_examples", s.task.eval_examples}};
  // Settings a task does not use stay out, so they cannot change its hash.
  const std::string& t = s.task.name;
  if (t == "copy" || t == "reverse" || t == "sort") j["task"]["vocab_size"] = s.task.vocab_size;
  if (t == "dates") {
    j["task"]["locales"] = s.task.locales;
    j["task"]["years"] = s.task.years;
    j["task"]["size"] = s.task.size;
  }
  if (t == "numbers") {
    j["task"]["language"] = s.task.language;
    j["task"]["direction"] = s.task.direction;
  }
  if (t == "g2p_cmudict" || t == "tsv") j["task"]["path"] = s.task.path;
  if (t == "tsv") {
    j["task"]["tokenize"] = s.task.tokenize;
    j["task"]["min_frequency"] = s.task.min_frequency;
  }
  // Settings a model does not use stay out, so they cannot change its hash.
  j["model"] = {{"name", s.model.name},
                {"hidden_size", s.model.hidden_size},
                {"layers", s.model.layers},
                {"dropout", s.model.dropout}};
  if (s.model.name == "rnn") {
    j["model"]["cell"] = s.model.cell;
    j["model"]["decoder"] = s.model.decoder;
    if (s.model.decoder == "luong") j["model"]["input_feeding"] = s.model.input_feeding;
    j["model"]["embedding_size"] = s.model.embedding_size;
    j["model"]["bidirectional"] = s.model.bidirectional;
  } else {
    j["model"]["ff_size"] = s.model.ff_size;
    j["model"]["positions"] = s.model.positions;
  }
  j["attention"] = {{"name", s.attention.name}};
  if (s.attention.name == "multihead") j["attention"]["heads"] = s.attention.heads;
  j["train"] = {{"steps", s.train.steps},
                {"batch_size", s.train.batch_size},
                {"lr", s.train.lr},
                {"clip_norm", s.train.clip_norm},
                {"log_every", s.train.log_every},
                {"checkpoint_every", s.train.checkpoint_every},
                {"eval_every", s.train.eval_every}};
  // Off by default and out of the hash then, so that configs from before
  // these settings keep their hashes.
  if (s.train.precision != "fp32") j["train"]["precision"] = s.train.precision;
  if (s.train.deterministic) j["train"]["deterministic"] = true;
  j["train"]["schedule"] = s.train.schedule;
  j["train"]["warmup_steps"] = s.train.warmup_steps;
  j["train"]["select"] = s.train.select;
  j["train"]["patience"] = s.train.patience;
  j["train"]["dev_examples"] = s.train.dev_examples;
  // Like precision: the default stays out of the hash, so that configs from
  // before engines keep their hashes.
  if (s.train.engine != "auto") j["train"]["engine"] = s.train.engine;
  j["decode"] = {{"beam_size", s.decode.beam_size}, {"length_penalty", s.decode.length_penalty}};
  j["seed"] = s.seed;
  j["threads"] = s.threads;
  j["device"] = s.device;
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
  return nlohmann::json(to_ordered_json(settings)).dump();
}

std::string to_yaml(const RunSettings& settings) {
  YAML::Emitter out;
  emit(out, to_ordered_json(settings));
  return std::string(out.c_str()) + "\n";
}

std::string config_hash(const RunSettings& settings, const std::string& code_version,
                        const std::string& data_identity) {
  return sha256_hex(canonical_json(settings) + "\n" + code_version +
                    (data_identity.empty() ? "" : "\n" + data_identity));
}

}  // namespace attnlab::config
