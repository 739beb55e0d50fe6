// Typed settings: values, validation errors with positions, and the hash.
#include "config/settings.h"

#include <gtest/gtest.h>

#include <set>

#include "config/errors.h"
#include "config/explain.h"

namespace attnlab::config {
namespace {

const std::filesystem::path kData = ATTNLAB_TEST_DATA;

RunSettings settings_with(const std::vector<std::string>& overrides) {
  ComposeRequest request;
  request.config_dir = kData / "configs";
  for (const auto& o : overrides)
    request.overrides.push_back(parse_override(o));
  return parse_settings(compose(request));
}

std::string error_of(const std::vector<std::string>& overrides) {
  try {
    settings_with(overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, ListItemsAreAddressedByIndex) {
  EXPECT_EQ(settings_with({"task.train_lengths.1=9"}).task.train_lengths,
            (std::array<int, 2>{1, 9}));
  EXPECT_NE(error_of({"task.train_lengths.2=9"}).find("Could not override"), std::string::npos);
  EXPECT_NE(error_of({"~task.train_lengths.0"}).find("expected [min, max] lengths"),
            std::string::npos);
}

TEST(Settings, ReadsEveryField) {
  const RunSettings s = settings_with({"model.hidden_size=48", "task.train_lengths=[2,9]"});
  EXPECT_EQ(s.task.name, "reverse");
  EXPECT_EQ(s.task.vocab_size, 10);
  EXPECT_EQ(s.task.train_lengths, (std::array<int, 2>{2, 9}));
  EXPECT_EQ(s.task.test_lengths, (std::array<int, 2>{1, 6}));
  EXPECT_EQ(s.model.hidden_size, 48);
  EXPECT_EQ(s.model.embedding_size, 16);
  EXPECT_EQ(s.attention.name, "additive");
  EXPECT_EQ(s.train.steps, 20);
  EXPECT_DOUBLE_EQ(s.train.lr, 0.003);
  EXPECT_EQ(s.seed, 7u);
}

TEST(Settings, TheTrainingProtocolIsCheckedAsAWhole) {
  const auto s = settings_with({"+train.schedule=linear", "+train.warmup_steps=5",
                                "+train.select=best_dev", "+train.patience=2"});
  EXPECT_EQ(s.train.schedule, "linear");
  EXPECT_EQ(s.train.warmup_steps, 5);
  EXPECT_EQ(s.train.select, "best_dev");
  EXPECT_EQ(s.train.patience, 2);
  // Defaults for configs that do not name them: the protocol before these keys.
  const auto plain = settings_with({});
  EXPECT_EQ(plain.train.schedule, "constant");
  EXPECT_EQ(plain.train.select, "last");
  EXPECT_EQ(plain.train.patience, 0);
  EXPECT_EQ(error_of({"+train.schedule=cosin"}),
            "override '+train.schedule=cosin': train.schedule: 'cosin' is not available (did you "
            "mean 'cosine'?); valid: constant, inverse_sqrt, cosine, linear");
  EXPECT_EQ(error_of({"train.eval_every=0", "+train.select=best_dev"}),
            "override '+train.select=best_dev': train.select: best_dev needs dev evaluations; "
            "set train.eval_every to a number of steps (it is 0)");
  EXPECT_EQ(error_of({"train.eval_every=0", "+train.patience=3"}),
            "override '+train.patience=3': train.patience: early stopping needs dev "
            "evaluations; set train.eval_every to a number of steps (it is 0)");
  EXPECT_EQ(error_of({"+train.warmup_steps=-1"}),
            "override '+train.warmup_steps=-1': train.warmup_steps: expected an integer in [0, "
            "100000000], got -1");
}

TEST(Settings, UnknownKeysAndBadValuesNameTheKeyAndWhereItWasSet) {
  EXPECT_EQ(error_of({"+train.stpes=3"}),
            "override '+train.stpes=3': train.stpes: unknown key (did you mean 'steps'?); valid "
            "keys in 'train': batch_size, checkpoint_every, clip_norm, deterministic, "
            "dev_examples, engine, eval_every, keep_weights, log_every, lr, patience, precision, "
            "schedule, select, "
            "steps, warmup_steps");
  EXPECT_EQ(error_of({"train.steps=many"}),
            "override 'train.steps=many': train.steps: expected an integer in [1, 100000000], "
            "got many");
  EXPECT_EQ(error_of({"train.steps='10'"}),
            "override 'train.steps='10'': train.steps: expected an integer in [1, 100000000], "
            "got '10'");
  EXPECT_NE(error_of({"task.train_lengths=[5,2]"}).find("expected [min, max] lengths"),
            std::string::npos);
  EXPECT_NE(
      error_of({"device=tpu"})
          .find("device: 'tpu' is not a device (did you mean 'cpu'?); valid: cpu, cuda, cuda:N"),
      std::string::npos);
  EXPECT_NE(error_of({"train.lr=-1"}).find("train.lr: expected a number in"), std::string::npos);
  // Found by the fuzzer: bytes that are not UTF-8 must not reach the JSON hash.
  EXPECT_NE(error_of({"attention.name=r\xff\xff"}).find("attention.name: expected printable UTF-8"),
            std::string::npos);
  EXPECT_NE(error_of({"attention.name=r\xf6\x8c\x9a\x9a"}).find("expected printable UTF-8"),
            std::string::npos);
  EXPECT_NE(error_of({"attention.name=a\x15"
                      "b"})
                .find("expected printable UTF-8"),
            std::string::npos);
  // Real UTF-8 passes this check and then meets the scorer table's own check.
  EXPECT_EQ(error_of({"attention.name=r\xc3\xa9verse"}), "");
  // Task names are checked here, with the valid ones.
  EXPECT_NE(error_of({"task.name=reverso"})
                .find("task.name: 'reverso' is not available (did you mean 'reverse'?); valid: "
                      "copy, reverse, sort, addition, dates, numbers, g2p_cmudict, tsv"),
            std::string::npos);
}

TEST(Settings, FilePositionsAppearForValuesFromFiles) {
  ComposeRequest request;
  request.config_dir = kData / "configs";
  Composed composed = compose(request);
  composed.root["train"]["batch_size"] = "lots";  // as if the file said so
  try {
    parse_settings(composed);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind((kData / "configs/train/default.yaml").string() + ":2:", 0), 0u)
        << e.what();
  }
}

TEST(Settings, HashIgnoresHowValuesWereWritten) {
  const auto a = config_hash(settings_with({"train.lr=0.001"}), "v1");
  const auto b = config_hash(settings_with({"train.lr=1e-3"}), "v1");
  const auto c = config_hash(settings_with({"train.lr=1_0e-4"}), "v1");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, config_hash(settings_with({"train.lr=0.002"}), "v1"));
  EXPECT_NE(a, config_hash(settings_with({"train.lr=0.001"}), "v2"));
  EXPECT_EQ(canonical_json(settings_with({})).substr(0, 32),
            "{\"attention\":{\"name\":\"additive\"}");
}

TEST(Settings, YamlRoundTripsThroughComposition) {
  const RunSettings s = settings_with({"attention=dot", "seed=42"});
  const YAML::Node node = YAML::Load(to_yaml(s));
  EXPECT_EQ(node["attention"]["name"].as<std::string>(), "dot");
  EXPECT_EQ(node["seed"].as<int>(), 42);
  EXPECT_EQ(node["task"]["train_lengths"][1].as<int>(), 5);
}

TEST(Settings, TheTransformerSelectsMultiheadAttentionUnlessTheCommandLineChose) {
  const RunSettings s = settings_with({"model=transformer"});
  EXPECT_EQ(s.model.name, "transformer");
  EXPECT_EQ(s.attention.name, "multihead");
  EXPECT_EQ(s.attention.heads, 2);
  EXPECT_EQ(s.model.ff_size, 32);
  EXPECT_EQ(s.model.positions, Positions::kSinusoidal);
  EXPECT_EQ(error_of({"model=transformer", "attention=dot"}),
            (kData / "configs/attention/dot.yaml").string() +
                ":1:7: attention.name: model=transformer attends with multi-head attention "
                "throughout; valid: multihead (got 'dot')");
  // Recurrent-only keys are unknown to the Transformer.
  EXPECT_NE(error_of({"model=transformer", "+model.cell=lstm"})
                .find("model.cell: unknown key; valid keys in 'model': "),
            std::string::npos);
  EXPECT_NE(error_of({"model=transformer", "model.positions=rotary"})
                .find("'rotary' is not available; valid: sinusoidal, learned"),
            std::string::npos);
}

TEST(Settings, RecurrentChoicesAreCheckedAgainstTheirLists) {
  const RunSettings s = settings_with(
      {"model.cell=lstm", "model.decoder=bahdanau", "model.bidirectional=true", "model.layers=3"});
  EXPECT_EQ(s.model.cell, Cell::kLstm);
  EXPECT_EQ(s.model.decoder, Decoder::kBahdanau);
  EXPECT_TRUE(s.model.bidirectional);
  EXPECT_EQ(s.model.layers, 3);
  EXPECT_NE(error_of({"model.decoder=sutskever"})
                .find("model.decoder: 'sutskever' is not available; valid: luong, bahdanau"),
            std::string::npos);
  EXPECT_NE(error_of({"model.cell=rnn_tanh"}).find("valid: gru, lstm"), std::string::npos);
  // A task's closed sets are parsed here too: no model or task sees a name.
  EXPECT_NE(error_of({"task.name=numbers", "+task.direction=sideways"})
                .find("task.direction: 'sideways' is not available; valid: to_digits, to_words"),
            std::string::npos)
      << error_of({"task.name=numbers", "+task.direction=sideways"});
  EXPECT_EQ(settings_with({"task.name=numbers", "~task.vocab_size", "+task.direction=to_words"})
                .task.direction,
            Direction::kToWords);
  EXPECT_NE(error_of({"model.bidirectional=true", "model.hidden_size=33"})
                .find("model.hidden_size: a bidirectional encoder gives each direction half of it, "
                      "so it must be even; got 33"),
            std::string::npos);
  EXPECT_NE(error_of({"+model.dropout=1.5"}).find("model.dropout: expected a number in [0, 0.99]"),
            std::string::npos);
}

TEST(Settings, HeadsAreReadForMultiheadOnlyAndMustDivideTheHiddenSize) {
  EXPECT_EQ(settings_with({"attention=multihead", "attention.heads=4"}).attention.heads, 4);
  EXPECT_EQ(error_of({"attention=multihead", "attention.heads=3"}),
            "override 'attention.heads=3': attention.heads: 3 heads do not divide "
            "model.hidden_size 32");
  EXPECT_NE(error_of({"+attention.heads=4"}).find("attention.heads: unknown key"),
            std::string::npos);
}

TEST(Settings, LocalAttentionReadsItsWindowAndContentScore) {
  const auto s = settings_with({"attention=local_p", "attention.window=5", "attention.score=dot"});
  EXPECT_EQ(s.attention.window, 5);
  EXPECT_EQ(s.attention.score, "dot");
  EXPECT_EQ(error_of({"attention=local_p", "attention.score=location"}),
            "override 'attention.score=location': attention.score: 'location' is not available; "
            "valid: dot, general, concat");
  EXPECT_NE(error_of({"attention=local_p", "attention.window=0"})
                .find("attention.window: expected an integer in [1, 1000], got 0"),
            std::string::npos);
  // Other scorers neither read them nor change their hash by them.
  EXPECT_NE(error_of({"+attention.window=4"}).find("attention.window: unknown key"),
            std::string::npos);
  EXPECT_NE(config_hash(s, "v"),
            config_hash(settings_with({"attention=local_p", "attention.score=dot"}), "v"));
}

TEST(Settings, ChosDecoderTakesNoAttention) {
  EXPECT_EQ(settings_with({"model.decoder=cho", "attention=none"}).model.decoder, Decoder::kCho);
  EXPECT_EQ(error_of({"model.decoder=cho"}),
            "override 'model.decoder=cho': model.decoder: cho has no attention (Cho et al. 2014 "
            "feed the source's summary at every step), but attention=additive; use "
            "attention=none, or model.decoder=bahdanau for RNNsearch");
}

TEST(Settings, DecodeSettingsHaveDefaultsAndRanges) {
  EXPECT_EQ(settings_with({}).decode.beam_size, 1);
  const RunSettings s = settings_with({"+decode.beam_size=5", "+decode.length_penalty=0.6"});
  EXPECT_EQ(s.decode.beam_size, 5);
  EXPECT_DOUBLE_EQ(s.decode.length_penalty, 0.6);
  EXPECT_NE(error_of({"+decode.beam_size=0"}).find("decode.beam_size: expected an integer in [1, "),
            std::string::npos);
}

TEST(Settings, SettingsAModelDoesNotUseLeaveItsHashAlone) {
  const auto hash = [](const std::vector<std::string>& overrides) {
    return config_hash(settings_with(overrides), "v");
  };
  // Input feeding belongs to the Luong decoder.
  EXPECT_EQ(hash({"model.decoder=bahdanau"}),
            hash({"model.decoder=bahdanau", "+model.input_feeding=false"}));
  EXPECT_NE(hash({}), hash({"+model.input_feeding=false"}));
}

TEST(Settings, NumbersTokensAndG2pPhonemesAreTheirTasksOwnKeys) {
  const auto hash = [](std::vector<std::string> overrides) {
    overrides.insert(overrides.begin(), {"task.name=numbers", "~task.vocab_size"});
    return config_hash(settings_with(overrides), "v");
  };
  // Characters, the default, leave the hashes of earlier numbers runs alone.
  EXPECT_EQ(hash({}), hash({"+task.tokenize=char"}));
  EXPECT_NE(hash({}), hash({"+task.tokenize=whitespace"}));
  EXPECT_EQ(settings_with({"task.name=numbers", "~task.vocab_size", "+task.tokenize=whitespace"})
                .task.tokenize,
            Tokenize::kWhitespace);
  EXPECT_EQ(error_of({"task.name=numbers", "~task.vocab_size", "+task.tokenize=words"}),
            "override '+task.tokenize=words': task.tokenize: 'words' is not available; valid: "
            "char, whitespace");
  const std::vector<std::string> g2p = {"task.name=g2p_cmudict", "~task.vocab_size"};
  EXPECT_EQ(settings_with(g2p).task.phonemes, "festival");
  auto cmu39 = g2p;
  cmu39.push_back("+task.phonemes=cmu39");
  EXPECT_EQ(settings_with(cmu39).task.phonemes, "cmu39");
  EXPECT_NE(config_hash(settings_with(g2p), "v"), config_hash(settings_with(cmu39), "v"));
  auto arpabet = g2p;
  arpabet.push_back("+task.phonemes=arpabet");
  EXPECT_EQ(error_of(arpabet),
            "override '+task.phonemes=arpabet': task.phonemes: 'arpabet' is not available; "
            "valid: festival, cmu39");
  // Other tasks have neither key.
  EXPECT_NE(error_of({"+task.phonemes=cmu39"}).find("task.phonemes: unknown key"),
            std::string::npos)
      << error_of({"+task.phonemes=cmu39"});
}

TEST(Settings, DevicesPrecisionAndDeterminism) {
  EXPECT_EQ(settings_with({}).device, "cpu");
  EXPECT_EQ(settings_with({"device=cuda:1"}).device, "cuda:1");
  EXPECT_EQ(settings_with({"device=auto"}).device, "auto");
  EXPECT_EQ(error_of({"device=cuda1"}),
            "override 'device=cuda1': device: 'cuda1' is not a device (did you mean 'cuda'?); "
            "valid: cpu, cuda, cuda:N (the GPU with index N), auto (cuda when a GPU is usable, "
            "else cpu)");
  EXPECT_NE(error_of({"device=cuda:x"}).find("is not a device"), std::string::npos);
  const RunSettings s = settings_with({"+train.precision=bf16", "+train.deterministic=true"});
  EXPECT_EQ(s.train.precision, Precision::kBf16);
  EXPECT_TRUE(s.train.deterministic);
  EXPECT_EQ(settings_with({}).train.precision, Precision::kFp32);
  EXPECT_NE(error_of({"+train.precision=fp16"}).find("'fp16' is not available"), std::string::npos)
      << error_of({"+train.precision=fp16"});
}

TEST(Settings, PrecisionAndDeterminismChangeTheHashOnlyWhenSet) {
  const auto hash = [](const std::vector<std::string>& overrides) {
    return config_hash(settings_with(overrides), "v");
  };
  // The defaults keep the hashes of configs written before these settings.
  EXPECT_EQ(hash({}), hash({"+train.precision=fp32", "+train.deterministic=false"}));
  EXPECT_NE(hash({}), hash({"+train.precision=bf16"}));
  EXPECT_NE(hash({}), hash({"+train.deterministic=true"}));
}

// Every key any shipped task, model or scorer reads has a meaning for
// `attnlab config --explain`, and each explanation says what it accepts,
// its default and its value, and where that was set.
TEST(Explain, EveryKeyOfEveryShippedChoiceHasAMeaning) {
  const auto shipped = kData.parent_path().parent_path() / "configs";
  std::set<std::string> read;
  for (const auto& overrides : std::vector<std::vector<std::string>>{
           {"task=dates"},
           {"task=numbers"},
           {"task=tsv", "task.path=" + (kData / "corpora" / "pairs.tsv").string()},
           {"task=g2p_cmudict"},
           {"model=transformer", "attention=multihead"},
           {"attention=local_p"},
           {"model=rnn", "attention=multihead", "+tags.note=x"}}) {
    ComposeRequest request;
    request.config_dir = shipped;
    for (const auto& o : overrides)
      request.overrides.push_back(parse_override(o));
    std::vector<KeyDoc> docs;
    parse_settings(compose(request), &docs);
    for (const auto& doc : docs) {
      EXPECT_EQ(key_meanings().count(doc.key), 1u) << doc.key << " has no meaning";
      read.insert(doc.key);
    }
  }
  for (const auto& [key, meaning] : key_meanings())
    EXPECT_EQ(read.count(key), 1u) << key << " is explained but no shipped config reads it";

  ComposeRequest request;
  request.config_dir = shipped;
  request.overrides.push_back(parse_override("train.lr=0.01"));
  const Composed composed = compose(request);
  EXPECT_EQ(explain_key(composed, "train.lr"),
            "train.lr\n  Adam's learning rate (the schedule's peak)\n  accepts: a number in "
            "[1e-12, 1e+30]\n  default: 0.001\n  value:   0.01  (override 'train.lr=0.01')\n");
  EXPECT_THROW(explain_key(composed, "task.years"), ConfigError);  // the dates task's
  try {
    explain_key(composed, "train.stpes");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.stpes: unknown key (did you mean 'train.steps'?)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace attnlab::config
