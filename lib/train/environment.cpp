// Threads, device and the environment recorded with each run.
#include "train/environment.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace attnlab::train {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

// The BLAS library loaded into this process, as its path ends
// ("openblas-openmp/libblas.so.3"), or "unknown".
std::string loaded_blas_path() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("blas") == std::string::npos && path.find("mkl") == std::string::npos) continue;
    const auto parent = path.rfind('/', path.rfind('/') - 1);
    return path.substr(parent + 1);
  }
  return "unknown";
}

// That library with OpenBLAS's kernel set in parentheses when it is OpenBLAS.
std::string loaded_blas() {
  const std::string core = blas_core();
  return loaded_blas_path() + (core.empty() ? "" : " (" + core + ")");
}

}  // namespace

std::string blas_core() {
  // Looked up rather than linked: LibTorch reaches BLAS through Debian's
  // libblas.so.3 alternative, which need not be OpenBLAS.
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return core_name ? core_name() : "";
}

std::string code_version() {
  return ATTNLAB_GIT_COMMIT;
}

std::string resolve_device(const std::string& requested) {
  const bool cuda = torch::cuda::is_available();
  if (requested == "auto") return cuda ? "cuda" : "cpu";
  if (requested == "cuda" && !cuda) {
    throw std::invalid_argument(
        "device: 'cuda' was asked for, but this build of LibTorch sees no usable GPU; use "
        "device=cpu or device=auto");
  }
  return requested;
}

std::int64_t peak_memory_bytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux counts KiB
}

void keep_freed_memory() {
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);  // also stops glibc's dynamic threshold
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
  mallopt(M_TOP_PAD, 64 << 20);
}

store::Environment configure_environment(int threads, const std::string& device) {
  keep_freed_memory();
  const int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, n));
  store::Environment env;
  env.git_commit = code_version();
  env.torch_version = TORCH_VERSION;
  env.threads = torch::get_num_threads();
  env.cpu = cpu_model();
  env.device = device;
  env.git_dirty = ATTNLAB_GIT_DIRTY != 0;
  env.attnlab_version = ATTNLAB_VERSION;
  env.blas = loaded_blas();
  if (device == "cuda") env.gpu = std::to_string(torch::cuda::device_count()) + " CUDA device(s)";
  env.hostname = store::this_host();
  return env;
}

}  // namespace attnlab::train
