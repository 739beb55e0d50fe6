// The fused engine: the recurrences of the recurrent model (recurrent.h)
// with their backward written out, one autograd node per recurrence instead
// of a few hundred small ones. Everything that does not depend on the
// previous step (embeddings, dropout, input gates for all steps, key
// projection, bridge, readout, output projection, loss) stays one LibTorch
// op over the whole sequence, so autograd still sees it and the random
// draws of dropout come in the same order as on the modules path. Per step
// a recurrence runs two or three cblas products and raw loops
// (cell_kernels.h, attention/kernels.h); the scorer's share of a step is
// its own fused_read() and fused_read_backward() (attention/scorer.h: by
// default its fused_score() and the shared softmax and weighted sum).
// Weight gradients are one product over all steps.
//
// Same parameters, same arithmetic, same gradients as the modules path up
// to rounding (tests/models/fused_engine_test.cpp). CPU and fp32 only.
//
// Shapes: B batch, S source length, T target length, H hidden, G gate rows
// (3H for a GRU, 4H for an LSTM), K key width.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "attention/scorer.h"

namespace attnlab::models::fused {

struct LayerOutput {
  torch::Tensor states;      // [S, B, H] time-major, zero past each source's length
  torch::Tensor final;       // [B, H] the state after each source (its first token when reversed)
  torch::Tensor final_cell;  // [B, H] the same for an LSTM; undefined for a GRU
};

// One recurrent layer in one direction from its input gates for all steps,
// gx = x W_ih^T + b_ih [S, B, G], time-major, starting from zeros.
// lengths [B] int64 on the CPU, or undefined when every source has S
// tokens: a row stops at its length as in a packed sequence.
LayerOutput recurrent_layer(const torch::Tensor& gx, const torch::Tensor& w_hh,
                            const torch::Tensor& b_hh, const torch::Tensor& lengths, bool reverse,
                            bool lstm);

enum class DecoderKind { luong, bahdanau };

// What both the training loop and the decoding steps read of a decoder,
// and the state after encoding (B rows, or N while decoding).
struct DecoderStart {
  DecoderKind kind = DecoderKind::luong;
  bool lstm = false;
  bool input_feeding = false;               // Luong only
  attention::ScorerImpl* scorer = nullptr;  // null: no attention
  torch::Tensor w_hh, b_hh;                 // the cell's hidden side
  torch::Tensor w_c;                        // Luong's W_c [H, 2H] ([H, H] without a scorer)
  torch::Tensor h0;                         // [B, H]
  torch::Tensor c0;                         // [B, H] for an LSTM
  torch::Tensor memory;                     // [B, S, H]
  torch::Tensor keys;                       // [B, S, K]
  torch::Tensor mask;                       // [B, S] bool
};

struct DecoderLoopInputs : DecoderStart {
  torch::Tensor gx;       // [T, B, G] embedding gates, b_ih included
  torch::Tensor w_extra;  // [G, H] W_ih's columns for h~_{t-1} (Luong, input feeding) or
                          // c_i (Bahdanau with a scorer); else undefined
};

struct DecoderLoopOutput {
  torch::Tensor features;  // Luong: h~_t [T, B, H]
  torch::Tensor states;    // Bahdanau: s_i [T, B, H]
  torch::Tensor contexts;  // Bahdanau: c_i [T, B, H] (zeros without a scorer)
  torch::Tensor weights;   // [T, B, S] attention weights (no gradient); undefined without scorer
};

// The teacher-forced decoder recurrence over all T steps.
DecoderLoopOutput decoder_loop(const DecoderLoopInputs& inputs);

// Everything one decoding step reads: the decoder's weights (fp32, CPU)
// and the state after encoding.
struct StepperInputs : DecoderStart {
  torch::Tensor embedding;                   // [V, E]
  torch::Tensor w_ih, b_ih;                  // the cell's input side, W_ih [G, E (+ H)]
  torch::Tensor u_o_w, u_o_b, v_o_w, c_o_w;  // Bahdanau's readout (c_o_w: with a scorer)
  torch::Tensor w_s, b_s;                    // the output projection [V, H], [V]
};

// Greedy and beam decoding on the fused engine: one step for N rows at a
// time with no autograd and no LibTorch op, in buffers that are reused
// from step to step. Evaluation mode only (no dropout).
class Stepper {
 public:
  explicit Stepper(StepperInputs inputs);
  // Advances every row by its last token ids [N] (int64, CPU): writes the
  // log-probabilities of the next token to log_probs [N, V] and, with a
  // scorer, the step's attention weights to weights [N, S].
  void step(const std::int64_t* tokens, float* log_probs, float* weights);
  // Keeps rows `rows` (int64) of the state, in that order.
  void select(const torch::Tensor& rows);
  int vocab_size() const { return static_cast<int>(in_.w_s.size(0)); }
  int rows() const { return static_cast<int>(in_.h0.size(0)); }
  int source_length() const { return static_cast<int>(in_.memory.size(1)); }

 private:
  // Reads the memory with `query` [N, H]: the weights into `weights`, the
  // context into context_.
  void attend(const float* query, float* weights);
  // The output features of state h [N, H] into feature_: Luong's
  // attentional vector (attention read with h_t), or Bahdanau's maxout
  // readout (from x_ and context_).
  void luong_features(const float* h, float* weights);
  void bahdanau_features(const float* h);

  StepperInputs in_;    // h0/c0 hold the running state
  torch::Tensor feed_;  // Luong's h~_{t-1} [N, H] (input feeding)
  std::vector<float> x_, gi_, gh_, gates_, h_, c_, context_, feature_, energies_, readout_,
      scratch_;
};

}  // namespace attnlab::models::fused
