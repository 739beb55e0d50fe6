// Where a run ran: recorded with every run so that numbers can be traced to
// the code, library, threads and machine that produced them.
#pragma once

#include <cstdint>
#include <string>

#include "store/records.h"

namespace attnlab::train {

// The code version compiled into this binary (git commit, or "unknown").
std::string code_version();

// "attnlab 0.1.0 (commit 1a2b3c4, LibTorch 1.13.0)", for --version.
std::string version_text();

// OpenBLAS's kernel set ("SkylakeX", "Haswell"), or "" when the BLAS that
// LibTorch calls is not OpenBLAS.
std::string blas_core();

// Keeps freed memory in the process instead of returning it to the kernel.
// glibc serves blocks above its mmap threshold (at most 32 MiB) with fresh
// mappings, so every large tensor of every step would be page-faulted and
// zeroed anew; measured 2-8x slower attention steps (see bench/). Called by
// configure_environment(); safe to call more than once.
void keep_freed_memory();

// Sets LibTorch's thread count (0 = one per core), keeps freed memory (see
// keep_freed_memory()) and reports the environment.
// LibTorch starts with one intra-op thread, so this is always called before
// training. For a GPU it records the model, driver, CUDA and cuDNN versions.
// REQUIRES: device is "cpu", "cuda" or "cuda:N" (resolve_device()).
store::Environment configure_environment(int threads, const std::string& device);

// This process's peak resident memory so far (getrusage), in bytes.
std::int64_t peak_memory_bytes();

// Resolves "auto" to "cuda" when a GPU is usable, else "cpu". Throws
// std::invalid_argument, saying why and what would work, when "cuda" or
// "cuda:N" is asked for and this build or machine has no such GPU.
std::string resolve_device(const std::string& requested);

}  // namespace attnlab::train
