// The standard workload of `attnlab bench train` (issue 8; bench/README.md):
// a one-layer GRU encoder, a GRU-cell decoder fed [embedding(y_{t-1});
// context_{t-1}] (input feeding), Luong's `general` score on the current
// decoder state, and an output projection of [h_t; c_t] to the vocabulary,
// trained with teacher forcing on full-length batches (no padding).
//
// Two implementations of one set of parameters:
//  - Implementation::modules: LibTorch modules and autograd, op for op what
//    bench/reference/standard_workload.py does in Python;
//  - Implementation::fused: the same arithmetic with a hand-written
//    backward pass (one autograd node for the whole sequence). Per step it
//    runs two small matrix products, the gates, and one hand-written
//    attention kernel (fused_kernels.h) in each direction. Everything that
//    does not depend on the previous step (input projections of the
//    embeddings, key projection, output projection, loss, weight gradients)
//    is one large matrix product over the whole sequence. No autograd graph
//    is built per step and nothing is allocated per step beyond LibTorch's
//    own temporaries.
// Both give the same loss and gradients (tests/models/standard_workload_test).
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden,
// V vocabulary.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab::models {

struct WorkloadSizes {
  int vocab = 32;
  int embedding = 256;
  int hidden = 256;
  int batch = 64;
  int length = 30;  // source and target
};

enum class Implementation { modules, fused };

// "modules" or "fused"; implementation_of throws std::invalid_argument
// naming both for anything else.
std::string implementation_name(Implementation implementation);
Implementation implementation_of(const std::string& name);

// Multiply-adds counted as 2 FLOPs, from the shapes of the matrix products
// of one training step (forward and backward); elementwise work, softmax
// and the loss are not counted. Per sequence, forward:
//   encoder    S (2 E 3H + 2 H 3H)       input and recurrent gates
//   keys       S 2 H H                   W_a once per source
//   decoder    T (2 (E + H) 3H + 2 H 3H) cell on [embedding; context]
//   attention  T (2 S H + 2 S H)         scores and context
//   output     T 2 (2H) V                projection of [h_t; c_t]
// and backward twice that (gradients for inputs and for weights), so a
// step is 3 B times the forward sum.
double training_flops(const WorkloadSizes& sizes);

struct WorkloadBatch {
  torch::Tensor source;      // [B, S] int64, symbols
  torch::Tensor target_in;   // [B, T] int64, <bos> then the reversed source
  torch::Tensor target_out;  // [B, T] int64, the reversed source
};

// A batch of the reversal task drawn from `generator` (symbols 3..V-1;
// 0 is <pad>, 1 <bos>, 2 <eos>).
WorkloadBatch workload_batch(const WorkloadSizes& sizes, torch::Generator& generator);

class StandardWorkloadImpl : public torch::nn::Module {
 public:
  explicit StandardWorkloadImpl(const WorkloadSizes& sizes);

  // The mean cross-entropy of teacher-forced decoding, with its autograd
  // graph: loss.backward() fills every parameter's gradient.
  torch::Tensor loss(const WorkloadBatch& batch, Implementation implementation);

 private:
  torch::Tensor loss_modules(const WorkloadBatch& batch);
  torch::Tensor loss_fused(const WorkloadBatch& batch);

  WorkloadSizes sizes_;
  torch::nn::Embedding source_embedding_{nullptr}, target_embedding_{nullptr};
  torch::nn::GRU encoder_{nullptr};
  torch::nn::GRUCell cell_{nullptr};
  torch::nn::Linear w_a_{nullptr};  // H -> H, no bias: keys = W_a h_s
  torch::nn::Linear out_{nullptr};  // [h_t; c_t] -> V
};
TORCH_MODULE(StandardWorkload);

}  // namespace attnlab::models
