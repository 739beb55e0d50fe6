// `attnlab decode RUN_ID [INPUT... | -]`: runs a finished run's kept weights
// (runs/RUN_ID/model.pt) on inputs of one's own, tokenised as the run's task
// tokenises, and prints each output with its attention as a text matrix;
// --figure draws the heatmaps.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/files.h"
#include "base/text.h"
#include "config/sha256.h"
#include "models/decoding.h"
#include "report/figures.h"
#include "report/plot.h"
#include "runner/common.h"
#include "train/evaluate.h"
#include "train/trained_model.h"

namespace attnlab::runner {
namespace {

struct DecodeOptions {
  std::string run_id;
  std::vector<std::string> inputs;  // "-": one per line of standard input
  int beam = 0;                     // 0: the run's decode.beam_size
  std::filesystem::path figure;
};

// The run and its weights file's bytes, checked against the recorded digest.
std::pair<store::RunRecord, std::string> finished_run_with_weights(const GlobalOptions& globals,
                                                                   const std::string& id) {
  store::RunStore store = open_results_read_only(globals);
  const std::optional<store::RunRecord> found = find_run(store, globals, id);
  if (found->status != store::RunStatus::kFinished) {
    throw UsageError("run " + found->run_id + " is " + store::status_name(found->status) +
                     "; only a finished run keeps weights to decode with");
  }
  const auto file = globals.results_dir() / "runs" / found->run_id / "model.pt";
  std::string bytes;
  if (found->weights_sha256.empty() || !base::read_file(file, &bytes)) {
    throw UsageError("run " + found->run_id + " kept no weights (" + file.string() +
                     "): it ran with train.keep_weights=false, before attnlab kept weights, or "
                     "the file was removed; train the config again to decode with it");
  }
  if (config::sha256_hex(bytes) != found->weights_sha256) {
    throw UsageError(file.string() + " is not the file run " + found->run_id +
                     " wrote (its SHA-256 differs from the one recorded)");
  }
  return {*found, std::move(bytes)};
}

// The inputs, from the command line or (for "-") standard input.
std::vector<std::string> read_inputs(const std::vector<std::string>& words) {
  std::vector<std::string> inputs;
  for (const auto& word : words) {
    if (word != "-") {
      inputs.push_back(word);
      continue;
    }
    for (std::string line; std::getline(std::cin, line);)
      inputs.push_back(line);
  }
  if (inputs.empty()) {
    throw UsageError("decode: no input; give inputs after the run id, or - to read one per line");
  }
  return inputs;
}

// `text`'s symbol ids as the task tokenises (characters, or words and
// symbols between spaces). Throws UsageError for an empty input, an unknown
// symbol or more tokens than the model was built for.
std::vector<std::int64_t> tokenise(const std::string& text, size_t number,
                                   const data::Vocabulary& vocabulary, int most_tokens,
                                   const std::string& run_id) {
  std::vector<std::string> symbols;
  if (vocabulary.separator().empty()) {
    symbols = data::utf8_characters(text);
  } else {
    std::istringstream words(text);
    for (std::string w; words >> w;)
      symbols.push_back(w);
  }
  const std::string which = "input " + std::to_string(number) + " ('" + text + "')";
  if (symbols.empty()) throw UsageError(which + " is empty");
  if (static_cast<int>(symbols.size()) > most_tokens) {
    throw UsageError(which + " has " + std::to_string(symbols.size()) + " tokens; run " + run_id +
                     "'s model takes at most " + std::to_string(most_tokens) +
                     " (its task.test_lengths)");
  }
  std::vector<std::int64_t> ids;
  for (const auto& symbol : symbols) {
    const auto id = vocabulary.find(symbol);
    if (!id || *id < data::kFirstSymbol) {
      std::vector<std::string> valid;
      for (std::int64_t v = data::kFirstSymbol; v < vocabulary.size(); ++v)
        valid.push_back(vocabulary.name(v));
      if (valid.size() > 40) {
        valid.resize(40);
        valid.push_back("...");
      }
      throw UsageError(which + ": '" + symbol + "' is not in run " + run_id + "'s vocabulary" +
                       base::did_you_mean(symbol, valid) + "; valid: " + base::join(valid));
    }
    ids.push_back(*id);
  }
  return ids;
}

// One decoded input: its output, and its attention in percent, a row per
// output token and a column per input token.
void print_decoded(const store::DecodedExample& e, size_t number) {
  std::cout << "input " << number << ":  " << e.source << "\n"
            << "output:   " << e.prediction << "\n";
  if (e.weights.empty()) {
    std::cout << "  (no attention weights: the model has no attention)\n";
    return;
  }
  size_t width = 3;
  for (const auto& t : e.source_tokens)
    width = std::max(width, t.size());
  size_t label = 5;
  for (const auto& t : e.output_tokens)
    label = std::max(label, t.size());
  std::cout << "  attention, % (rows: output tokens; columns: input tokens)\n  "
            << std::string(label, ' ');
  for (const auto& t : e.source_tokens)
    std::cout << " " << std::setw(static_cast<int>(width)) << t;
  std::cout << "\n";
  const size_t columns = e.source_tokens.size();
  for (size_t r = 0; r < e.output_tokens.size(); ++r) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(label)) << e.output_tokens[r]
              << std::right;
    for (size_t c = 0; c < columns; ++c) {
      std::cout << " " << std::setw(static_cast<int>(width))
                << static_cast<int>(std::lround(100 * e.weights[r * columns + c]));
    }
    std::cout << "\n";
  }
}

void check_figure(const std::filesystem::path& figure) {
  if (figure.empty()) return;
  std::vector<std::string> valid;
  for (const auto& format : report::figure_formats()) {
    if (figure.extension() == "." + format) return;
    valid.push_back("." + format);
  }
  throw UsageError("--figure " + figure.string() +
                   ": its extension names the format; valid: " + base::join(valid));
}

void decode(const GlobalOptions& globals, const DecodeOptions& options) {
  check_figure(options.figure);
  const auto [run, bytes] = finished_run_with_weights(globals, options.run_id);
  const ComposedConfig job = job_from_yaml(run.run.config_yaml, "run " + run.run_id);
  const auto& s = job.settings;
  const auto task = task_of(s.task);
  if (task->data_identity() != run.run.data_identity) {
    throw UsageError("run " + run.run_id + " was trained on other data than the task reads now (" +
                     run.run.data_identity + " then, " + task->data_identity() + " now)");
  }
  const auto inputs = read_inputs(options.inputs);
  const int most_tokens =
      task->max_source_tokens(std::max(s.task.train_lengths[1], s.task.test_lengths[1]));
  std::vector<std::vector<std::int64_t>> sources;
  for (size_t i = 0; i < inputs.size(); ++i)
    sources.push_back(tokenise(inputs[i], i + 1, task->vocabulary(), most_tokens, run.run_id));

  const auto model = train::build_model(s, *task);
  try {
    train::load_weights(*model, bytes, train::model_identity(s, *task));
  } catch (const std::runtime_error& e) {
    throw UsageError("run " + run.run_id + "'s weights cannot be loaded: " + e.what());
  }
  const int beam = options.beam > 0 ? options.beam : s.decode.beam_size;
  const auto decoded = train::decode_sources(*model, sources, task->vocabulary(),
                                             {beam, s.decode.length_penalty, 0});
  for (size_t i = 0; i < decoded.size(); ++i)
    print_decoded(decoded[i], i + 1);
  if (options.figure.empty()) return;
  report::AttentionPanels panels;
  for (size_t i = 0; i < decoded.size(); ++i)
    if (!decoded[i].weights.empty())
      panels.emplace_back("input " + std::to_string(i + 1), &decoded[i]);
  if (panels.empty()) {
    throw UsageError("--figure: run " + run.run_id + "'s model has no attention to draw");
  }
  try {
    report::draw_attention(panels, options.figure);
  } catch (const std::runtime_error& e) {
    throw RunFailed(e.what());
  }
  std::cout << "figure: " << options.figure.string() << "\n";
}

}  // namespace

void add_decode_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<DecodeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decode", "Decode inputs of your own with a finished run's weights, showing its attention.");
  cmd->add_option("run_id", options->run_id, "the run's id, or a unique prefix of it")->required();
  cmd->add_option("inputs", options->inputs,
                  "inputs, tokenised as the run's task does; - reads one per line from stdin");
  cmd->add_option("--beam", options->beam, "beam size (default: the run's decode.beam_size)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--figure", options->figure,
                  "also draw the attention heatmaps as FILE (.png, .svg or .pdf)");
  cmd->footer(
      "Examples:\n"
      "  attnlab decode 3f2a9c1b7e 'a b c d e'\n"
      "  attnlab decode 3f2a9c1b7e --beam 4 --figure attention.svg 'a b c' 'd e f'\n"
      "  printf 'a b\\nc d e\\n' | attnlab decode 3f2a9c1b7e -\n"
      "A run keeps the weights it evaluated as results/runs/RUN_ID/model.pt unless it\n"
      "ran with train.keep_weights=false.\n"
      "Exit codes: 0 decoded, 1 the figure could not be drawn, 2 bad usage or input.");
  cmd->callback([&globals, options] { decode(globals, *options); });
}

}  // namespace attnlab::runner
