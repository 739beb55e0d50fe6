// Threads, device and the environment recorded with each run.
#include "train/environment.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "base/errors.h"
#include "store/run_store.h"

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

// Whether this LibTorch has its CUDA part: without it, asking for the CUDA
// runtime's version throws.
bool built_with_cuda() {
  try {
    return at::detail::getCUDAHooks().versionCUDART() > 0;
  } catch (const std::exception&) {
    return false;
  }
}

// A symbol of a library that may be absent (the NVIDIA driver's), or null.
void* driver_symbol(const char* library, const char* name) {
  void* handle = dlopen(library, RTLD_LAZY | RTLD_LOCAL);
  return handle ? dlsym(handle, name) : nullptr;
}

// The GPU's model from the driver (libcuda, which numbers devices as CUDA
// does, CUDA_VISIBLE_DEVICES included), or "".
std::string gpu_name(int index) {
  using Init = int (*)(unsigned);
  using Get = int (*)(int*, int);
  using Name = int (*)(char*, int, int);
  const auto init = reinterpret_cast<Init>(driver_symbol("libcuda.so.1", "cuInit"));
  const auto get = reinterpret_cast<Get>(driver_symbol("libcuda.so.1", "cuDeviceGet"));
  const auto name = reinterpret_cast<Name>(driver_symbol("libcuda.so.1", "cuDeviceGetName"));
  int device = 0;
  char text[256] = {};
  if (!init || !get || !name || init(0) != 0 || get(&device, index) != 0 ||
      name(text, sizeof text, device) != 0) {
    return "";
  }
  return text;
}

// The driver's version ("580.159.04") from NVML, or "".
std::string driver_version() {
  using Init = int (*)();
  using Version = int (*)(char*, unsigned);
  const auto init = reinterpret_cast<Init>(driver_symbol("libnvidia-ml.so.1", "nvmlInit_v2"));
  const auto version =
      reinterpret_cast<Version>(driver_symbol("libnvidia-ml.so.1", "nvmlSystemGetDriverVersion"));
  char text[96] = {};
  if (!init || !version || init() != 0 || version(text, sizeof text) != 0) return "";
  return text;
}

// "13.0" from CUDA's 13000, "9.10.2" from cuDNN's 91002.
std::string cuda_version(long v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}
std::string cudnn_version(long v) {
  if (v < 10000) {  // cuDNN 8 and older: 8902
    return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 100) + "." +
           std::to_string(v % 100);
  }
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." +
         std::to_string(v % 100);
}

// "NVIDIA H100 80GB HBM3 (cuda:0; driver 580.159.04, CUDA 13.0, cuDNN 9.10.2)".
std::string gpu_description(const std::string& device) {
  const auto colon = device.find(':');
  const int index = colon == std::string::npos ? 0 : std::stoi(device.substr(colon + 1));
  const auto& hooks = at::detail::getCUDAHooks();
  const std::string name = gpu_name(index);
  std::string out = (name.empty() ? "unknown GPU" : name) + " (cuda:" + std::to_string(index);
  const std::string driver = driver_version();
  if (!driver.empty()) out += "; driver " + driver;
  if (built_with_cuda()) out += ", CUDA " + cuda_version(hooks.versionCUDART());
  if (hooks.compiledWithCuDNN()) out += ", cuDNN " + cudnn_version(hooks.versionCuDNN());
  return out + ")";
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

std::string version_text() {
  return std::string("attnlab ") + ATTNLAB_VERSION + " (commit " + code_version() +
         (ATTNLAB_GIT_DIRTY != 0 ? " with uncommitted changes" : "") + ", LibTorch " +
         TORCH_VERSION + ")";
}

std::string resolve_device(const std::string& requested) {
  const bool cuda = torch::cuda::is_available();
  if (requested == "auto") return cuda ? "cuda" : "cpu";
  if (requested.rfind("cuda", 0) != 0) return requested;
  if (!cuda) {
    throw base::KeyError(
        "device", "'" + requested + "' was asked for, but " +
                      (built_with_cuda()
                           ? std::string("no GPU is usable")
                           : "this build of attnlab uses a LibTorch without CUDA (" +
                                 std::string(TORCH_VERSION) +
                                 "); build against a CUDA LibTorch (README: Building for a GPU)") +
                      "; use device=cpu or device=auto");
  }
  const auto colon = requested.find(':');
  if (colon != std::string::npos) {
    const int index = std::stoi(requested.substr(colon + 1));
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw base::KeyError("device", "'" + requested + "' was asked for, but this machine has " +
                                         std::to_string(count) +
                                         " GPU(s): cuda:0 to cuda:" + std::to_string(count - 1));
    }
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
  if (device.rfind("cuda", 0) == 0) env.gpu = gpu_description(device);
  env.hostname = store::this_host();
  return env;
}

}  // namespace attnlab::train
