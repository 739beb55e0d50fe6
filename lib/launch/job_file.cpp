#include "launch/job_file.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace attnlab::launch {
namespace {

constexpr const char* kFormat = "attnlab-plan-1";

}  // namespace

std::string job_file_text(const JobFile& plan) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& j : plan.jobs) {
    jobs.push_back(
        {{"overrides", j.overrides}, {"config_hash", j.config_hash}, {"config", j.config_yaml}});
  }
  const nlohmann::json file = {
      {"format", kFormat},   {"sweep_id", plan.sweep_id},     {"name", plan.name},
      {"words", plan.words}, {"git_commit", plan.git_commit}, {"experiment", plan.experiment_yaml},
      {"jobs", jobs}};
  // Invalid UTF-8 from a command line becomes U+FFFD rather than an error.
  return file.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

JobFile parse_job_file(const std::string& text, const std::string& origin) {
  try {
    const auto file = nlohmann::json::parse(text);
    if (!file.is_object() || file.value("format", "") != kFormat) {
      throw std::invalid_argument(origin + ": not an attnlab job file (expected \"format\": \"" +
                                  kFormat + "\")");
    }
    JobFile plan;
    plan.sweep_id = file.at("sweep_id").get<std::string>();
    plan.name = file.at("name").get<std::string>();
    plan.words = file.at("words").get<std::vector<std::string>>();
    plan.git_commit = file.at("git_commit").get<std::string>();
    plan.experiment_yaml = file.at("experiment").get<std::string>();
    for (const auto& j : file.at("jobs")) {
      plan.jobs.push_back({static_cast<int>(plan.jobs.size()) + 1,
                           j.at("overrides").get<std::vector<std::string>>(),
                           j.at("config_hash").get<std::string>(),
                           j.at("config").get<std::string>()});
    }
    if (plan.sweep_id.empty()) throw std::invalid_argument(origin + ": empty sweep_id");
    return plan;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(origin + ": not a readable attnlab job file: " + e.what());
  }
}

}  // namespace attnlab::launch
