// Forward passes save what their backward needs in one C++ struct held by
// the autograd node (a capsule in saved_data); backward walks the steps in
// reverse, keeping the running gradients of h (and c) in small buffers.
#include "models/fused_engine.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "attention/kernels.h"
#include "models/cell_kernels.h"

namespace attnlab::models::fused {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
namespace ak = attention::kernels;

float* data(Tensor& t) {
  return t.data_ptr<float>();
}
const float* data(const Tensor& t) {
  return t.data_ptr<float>();
}

Tensor f32(at::IntArrayRef sizes) {
  return torch::empty(sizes, torch::kFloat32);
}

Tensor ready(const Tensor& t) {
  TORCH_CHECK(t.is_cpu() && t.scalar_type() == torch::kFloat32,
              "fused engine: tensors must be fp32 on the CPU, got ", t.scalar_type(), " on ",
              t.device());
  return t.detach().contiguous();
}

// The recurrent cell of one step on B rows.
struct Cell {
  bool lstm = false;
  int batch = 0, hidden = 0;

  int gates() const { return (lstm ? 4 : 3) * hidden; }
  std::int64_t rows(int n) const { return static_cast<std::int64_t>(n) * batch; }

  // gh = b_hh + h_prev W_hh^T, then the cell.
  void forward(const float* gi, const float* h_prev, const float* c_prev, const Tensor& w_hh,
               const float* b_hh, float* gh, float* gates_out, float* h, float* c) const {
    const int g = gates();
    for (int b = 0; b < batch; ++b)
      std::copy(b_hh, b_hh + g, gh + static_cast<std::int64_t>(b) * g);
    ak::gemm(false, true, batch, g, hidden, 1.0f, h_prev, hidden, data(w_hh), hidden, 1.0f, gh, g);
    if (lstm) {
      kernels::lstm_forward(gi, gh, c_prev, batch, hidden, gates_out, c, h);
    } else {
      kernels::gru_forward(gi, gh, h_prev, batch, hidden, gates_out, h);
    }
  }

  // From dh (and dc, replaced by dL/dc_prev): the gate gradients d_gi and
  // d_gh, and dL/dh_prev = direct part + d_gh W_hh, written to dh_prev.
  void backward(const float* dh, float* dc, const float* gates_in, const float* gh,
                const float* h_prev, const float* c, const float* c_prev, const Tensor& w_hh,
                float* d_gi, float* d_gh, float* dh_prev) const {
    const int g = gates();
    if (lstm) {
      kernels::lstm_backward(dh, gates_in, c, c_prev, batch, hidden, d_gi, dc);
      std::memcpy(d_gh, d_gi, sizeof(float) * rows(g));
      std::fill(dh_prev, dh_prev + rows(hidden), 0.0f);
    } else {
      kernels::gru_backward(dh, gates_in, gh, h_prev, batch, hidden, d_gi, d_gh, dh_prev);
    }
    ak::gemm(false, false, batch, hidden, g, 1.0f, d_gh, g, data(w_hh), hidden, 1.0f, dh_prev,
             hidden);
  }
};

// dW_hh = sum over steps of d_gh^T h_prev and db_hh = sum of d_gh, for
// d_gh [N, G] and h_prev [N, H] stacked over steps.
std::pair<Tensor, Tensor> hidden_weight_grads(const Tensor& d_gh, const Tensor& h_prev, int g,
                                              int hidden) {
  const int n = static_cast<int>(d_gh.numel() / g);
  auto d_w = f32({g, hidden});
  auto d_b = torch::zeros({g}, torch::kFloat32);
  ak::gemm(true, false, g, hidden, n, 1.0f, data(d_gh), g, data(h_prev), hidden, 0.0f, data(d_w),
           hidden);
  ak::add_column_sums(data(d_gh), n, g, data(d_b));
  return {d_w, d_b};
}

// ---------------------------------------------------------------------------
// One encoder layer in one direction.

struct LayerSaved : torch::CustomClassHolder {
  Cell cell;
  bool reverse = false;
  std::vector<std::int64_t> lengths;  // empty: every row has all steps
  Tensor w_hh;
  Tensor gh, gates;  // [S, B, G] by processing order
  Tensor run;        // [S + 1, B, H] states by processing order, zeros first
  Tensor cells;      // [S + 1, B, H] the LSTM's cells
};

class RecurrentLayerFunction : public torch::autograd::Function<RecurrentLayerFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const Tensor& gx_in, const Tensor& w_hh_in,
                               const Tensor& b_hh_in, const std::vector<std::int64_t>& lengths,
                               bool reverse, bool lstm) {
    auto saved = c10::make_intrusive<LayerSaved>();
    const Tensor gx = ready(gx_in);
    const int steps = static_cast<int>(gx.size(0));
    Cell& cell = saved->cell;
    cell = Cell{lstm, static_cast<int>(gx.size(1)), static_cast<int>(w_hh_in.size(1))};
    const int batch = cell.batch, hidden = cell.hidden, g = cell.gates();
    saved->reverse = reverse;
    saved->lengths = lengths;
    saved->w_hh = ready(w_hh_in);
    const Tensor b_hh = ready(b_hh_in);
    saved->gh = f32({steps, batch, g});
    saved->gates = f32({steps, batch, g});
    saved->run = torch::zeros({steps + 1, batch, hidden}, torch::kFloat32);
    saved->cells = lstm ? torch::zeros({steps + 1, batch, hidden}, torch::kFloat32) : Tensor();
    auto states = f32({steps, batch, hidden});
    float* run = data(saved->run);
    float* cells = lstm ? data(saved->cells) : nullptr;
    const std::int64_t bh = cell.rows(hidden), bg = cell.rows(g);
    for (int k = 0; k < steps; ++k) {
      const int i = reverse ? steps - 1 - k : k;
      cell.forward(data(gx) + i * bg, run + k * bh, lstm ? cells + k * bh : nullptr, saved->w_hh,
                   data(b_hh), data(saved->gh) + k * bg, data(saved->gates) + k * bg,
                   run + (k + 1) * bh, lstm ? cells + (k + 1) * bh : nullptr);
      float* out = data(states) + i * bh;
      std::memcpy(out, run + (k + 1) * bh, sizeof(float) * bh);
      for (int b = 0; b < batch && !saved->lengths.empty(); ++b) {
        if (i < saved->lengths[static_cast<size_t>(b)]) continue;
        const std::int64_t row = static_cast<std::int64_t>(b) * hidden;
        std::memcpy(run + (k + 1) * bh + row, run + k * bh + row, sizeof(float) * hidden);
        if (lstm)
          std::memcpy(cells + (k + 1) * bh + row, cells + k * bh + row, sizeof(float) * hidden);
        std::fill(out + row, out + row + hidden, 0.0f);
      }
    }
    variable_list outputs = {states, saved->run[steps].clone()};
    if (lstm) outputs.push_back(saved->cells[steps].clone());
    ctx->saved_data["saved"] = c10::IValue::make_capsule(saved);
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved =
        c10::static_intrusive_pointer_cast<LayerSaved>(ctx->saved_data["saved"].toCapsule());
    const Cell& cell = saved->cell;
    const int steps = static_cast<int>(saved->gates.size(0));
    const int batch = cell.batch, hidden = cell.hidden, g = cell.gates();
    const std::int64_t bh = cell.rows(hidden), bg = cell.rows(g);
    const auto grad_or_zeros = [&](size_t index) {
      return index < grads.size() && grads[index].defined()
                 ? ready(grads[index]).clone()
                 : torch::zeros({batch, hidden}, torch::kFloat32);
    };
    const Tensor d_states = grads[0].defined() ? ready(grads[0]) : Tensor();
    auto dh = grad_or_zeros(1);
    auto dc = grad_or_zeros(2);
    auto dh_prev = f32({batch, hidden});
    auto dc_kept = f32({batch, hidden});
    auto d_gx = f32({steps, batch, g});
    auto d_gh = f32({steps, batch, g});
    const float* run = data(saved->run);
    const float* cells = cell.lstm ? data(saved->cells) : nullptr;
    const bool masked = !saved->lengths.empty();
    for (int k = steps - 1; k >= 0; --k) {
      const int i = saved->reverse ? steps - 1 - k : k;
      const auto live = [&](int b) {
        return !masked || i < saved->lengths[static_cast<size_t>(b)];
      };
      if (d_states.defined()) {
        const float* ds = data(d_states) + i * bh;
        float* d = data(dh);
        for (int b = 0; b < batch; ++b) {
          if (!live(b)) continue;
          for (int j = 0; j < hidden; ++j)
            d[b * hidden + j] += ds[b * hidden + j];
        }
      }
      if (masked) dc_kept.copy_(dc);
      float* gi = data(d_gx) + i * bg;
      float* gh = data(d_gh) + k * bg;
      cell.backward(data(dh), data(dc), data(saved->gates) + k * bg, data(saved->gh) + k * bg,
                    run + k * bh, cell.lstm ? cells + (k + 1) * bh : nullptr,
                    cell.lstm ? cells + k * bh : nullptr, saved->w_hh, gi, gh, data(dh_prev));
      for (int b = 0; b < batch && masked; ++b) {
        if (live(b)) continue;
        const std::int64_t row = static_cast<std::int64_t>(b) * hidden;
        std::fill(gi + b * g, gi + (b + 1) * g, 0.0f);
        std::fill(gh + b * g, gh + (b + 1) * g, 0.0f);
        std::memcpy(data(dh_prev) + row, data(dh) + row, sizeof(float) * hidden);
        std::memcpy(data(dc) + row, data(dc_kept) + row, sizeof(float) * hidden);
      }
      std::swap(dh, dh_prev);
    }
    auto [d_w, d_b] = hidden_weight_grads(d_gh, saved->run.narrow(0, 0, steps), g, hidden);
    return {d_gx, d_w, d_b, Tensor(), Tensor(), Tensor()};
  }
};

// ---------------------------------------------------------------------------
// The decoder recurrence.

enum Input : size_t { kGx, kExtra, kWhh, kBhh, kH0, kC0, kMemory, kKeys, kWc, kScorer };

struct DecoderSaved : torch::CustomClassHolder {
  Cell cell;
  DecoderKind kind = DecoderKind::luong;
  bool feeding = false;
  attention::ScorerImpl* scorer = nullptr;
  int source = 0, key_size = 0;
  std::vector<Tensor> scorer_parameters;
  Tensor extra, w_hh, w_c, memory, keys, mask;
  Tensor gh, gates;             // [T, B, G]
  Tensor run, cells;            // [T + 1, B, H]: h_0 (or s_0), then each step's state; LSTM cells
  Tensor contexts;              // [T, B, H]
  Tensor weights;               // [T, B, S]
  Tensor features;              // Luong: [T, B, H]
  std::vector<float> energies;  // [B, S]
  std::vector<float> scratch;
};

attention::FusedStep score_step(DecoderSaved& s, const float* query) {
  attention::FusedStep step;
  step.batch = s.cell.batch;
  step.source = s.source;
  step.memory_size = s.cell.hidden;
  step.query = query;
  step.keys = data(s.keys);
  step.memory = data(s.memory);
  step.mask = s.mask.data_ptr<bool>();
  step.energies = s.energies.data();
  step.scratch = s.scratch.data();
  return step;
}

class DecoderLoopFunction : public torch::autograd::Function<DecoderLoopFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, at::TensorList in,
                               const DecoderLoopInputs* spec) {
    auto s = saved_inputs(in, spec);
    const Tensor gx = ready(in[kGx]);
    const Tensor b_hh = ready(in[kBhh]);
    const int steps = static_cast<int>(gx.size(0));
    std::vector<float> gi(static_cast<size_t>(s->cell.rows(s->cell.gates())));
    for (int t = 0; t < steps; ++t)
      forward_step(*s, t, data(gx), data(b_hh), gi.data());
    // Outputs are fresh aliases: the saved tensors must not become outputs
    // themselves, or the node would own tensors that point back to it (a
    // cycle that never frees).
    variable_list outputs;
    if (s->kind == DecoderKind::luong) {
      outputs = {s->features.detach(), s->run.narrow(0, 1, steps).detach(), s->contexts.detach()};
    } else {
      outputs = {s->run.narrow(0, 1, steps).detach(), s->contexts.detach()};
    }
    if (s->scorer) {
      outputs.push_back(s->weights.detach());
      ctx->mark_non_differentiable({outputs.back()});
    }
    ctx->saved_data["saved"] = c10::IValue::make_capsule(s);
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto s =
        c10::static_intrusive_pointer_cast<DecoderSaved>(ctx->saved_data["saved"].toCapsule());
    DecoderGrads d = start_grads(*s, grads);
    for (int t = static_cast<int>(s->gates.size(0)) - 1; t >= 0; --t)
      backward_step(*s, t, d);
    return input_grads(*s, d);
  }

 private:
  // The inputs the steps read (and backward() reads again) and the buffers
  // they fill.
  static c10::intrusive_ptr<DecoderSaved> saved_inputs(at::TensorList in,
                                                       const DecoderLoopInputs* spec) {
    auto s = c10::make_intrusive<DecoderSaved>();
    const int steps = static_cast<int>(in[kGx].size(0));
    Cell& cell = s->cell;
    cell = Cell{spec->lstm, static_cast<int>(in[kGx].size(1)), static_cast<int>(in[kWhh].size(1))};
    const int batch = cell.batch, hidden = cell.hidden, g = cell.gates();
    s->kind = spec->kind;
    s->feeding = spec->kind == DecoderKind::luong && spec->input_feeding;
    s->scorer = spec->scorer;
    if (in[kExtra].numel() > 0) s->extra = ready(in[kExtra]);
    s->w_hh = ready(in[kWhh]);
    if (in[kWc].numel() > 0) s->w_c = ready(in[kWc]);
    s->gh = f32({steps, batch, g});
    s->gates = f32({steps, batch, g});
    s->run = f32({steps + 1, batch, hidden});
    s->run[0].copy_(in[kH0].detach());
    if (cell.lstm) {
      s->cells = f32({steps + 1, batch, hidden});
      s->cells[0].copy_(in[kC0].detach());
    }
    s->contexts = torch::zeros({steps, batch, hidden}, torch::kFloat32);
    if (s->scorer) {
      s->memory = ready(in[kMemory]);
      s->keys = ready(in[kKeys]);
      s->mask = spec->mask.to(torch::kBool).contiguous();
      s->source = static_cast<int>(s->memory.size(1));
      s->key_size = static_cast<int>(s->keys.size(2));
      s->weights = f32({steps, batch, s->source});
      for (size_t p = kScorer; p < in.size(); ++p)
        s->scorer_parameters.push_back(ready(in[p]));
      s->energies.resize(static_cast<size_t>(batch) * s->source);
      s->scratch.resize(static_cast<size_t>(s->scorer->fused_scratch(batch, s->source)) + 1);
    }
    if (s->kind == DecoderKind::luong) s->features = f32({steps, batch, hidden});
    return s;
  }

  // Step t: Bahdanau's context, input feeding, the cell, then Luong's
  // attention and attentional vector. `gi` is a [B, G] buffer.
  static void forward_step(DecoderSaved& s, int t, const float* gx, const float* b_hh, float* gi) {
    const Cell& cell = s.cell;
    const int batch = cell.batch, hidden = cell.hidden, g = cell.gates();
    const std::int64_t bh = cell.rows(hidden), bg = cell.rows(g);
    float* run = data(s.run);
    float* cells = cell.lstm ? data(s.cells) : nullptr;
    const float* h_prev = run + t * bh;
    float* h = run + (t + 1) * bh;
    float* context = data(s.contexts) + t * bh;
    std::memcpy(gi, gx + t * bg, sizeof(float) * bg);
    if (s.kind == DecoderKind::bahdanau && s.scorer) {
      attend(s, h_prev, t, context);
      ak::gemm(false, true, batch, g, hidden, 1.0f, context, hidden, data(s.extra), hidden, 1.0f,
               gi, g);
    }
    if (s.feeding && t > 0) {
      ak::gemm(false, true, batch, g, hidden, 1.0f, data(s.features) + (t - 1) * bh, hidden,
               data(s.extra), hidden, 1.0f, gi, g);
    }
    cell.forward(gi, h_prev, cell.lstm ? cells + t * bh : nullptr, s.w_hh, b_hh,
                 data(s.gh) + t * bg, data(s.gates) + t * bg, h,
                 cell.lstm ? cells + (t + 1) * bh : nullptr);
    if (s.kind != DecoderKind::luong) return;
    // h~_t = tanh(W_c [c_t; h_t]), or tanh(W_c h_t) without a scorer.
    float* feature = data(s.features) + t * bh;
    const int wc_cols = static_cast<int>(s.w_c.size(1));
    if (s.scorer) {
      attend(s, h, t, context);
      ak::gemm(false, true, batch, hidden, hidden, 1.0f, context, hidden, data(s.w_c), wc_cols,
               0.0f, feature, hidden);
    }
    ak::gemm(false, true, batch, hidden, hidden, 1.0f, h, hidden,
             data(s.w_c) + (s.scorer ? hidden : 0), wc_cols, s.scorer ? 1.0f : 0.0f, feature,
             hidden);
    ak::tanh(feature, bh);
  }

  // What backward() carries from the last step to the first.
  struct DecoderGrads {
    // The outputs' gradients (undefined where none): Luong's features, the
    // states, the contexts.
    Tensor d_features, d_states, d_contexts;
    Tensor dh, dc, dh_prev;  // dL/dh_t, dL/dc_t (LSTM), and dL/dh_{t-1} being made
    Tensor d_feed;           // dL/dh~_t from step t + 1
    Tensor d_context;        // dL/dc_t of the context
    Tensor d_gx, d_gh;       // [T, B, G] gate gradients, input and hidden side
    Tensor d_a;              // Luong: [T, B, H] dL/d(W_c [c; h])
    Tensor d_memory, d_keys;
    std::vector<Tensor> d_scorer;
    std::vector<float*> d_scorer_data;
  };

  static DecoderGrads start_grads(const DecoderSaved& s, const variable_list& grads) {
    const int steps = static_cast<int>(s.gates.size(0));
    const int batch = s.cell.batch, hidden = s.cell.hidden, g = s.cell.gates();
    const bool luong = s.kind == DecoderKind::luong;
    const auto grad = [&](size_t i) {
      return i < grads.size() && grads[i].defined() ? ready(grads[i]) : Tensor();
    };
    DecoderGrads d;
    // Luong: (features, states, contexts); Bahdanau: (states, contexts).
    d.d_features = luong ? grad(0) : Tensor();
    d.d_states = grad(luong ? 1 : 0);
    d.d_contexts = grad(luong ? 2 : 1);
    d.dh = torch::zeros({batch, hidden}, torch::kFloat32);
    d.dc = torch::zeros({batch, hidden}, torch::kFloat32);
    d.dh_prev = f32({batch, hidden});
    d.d_feed = torch::zeros({batch, hidden}, torch::kFloat32);
    d.d_context = f32({batch, hidden});
    d.d_gx = f32({steps, batch, g});
    d.d_gh = f32({steps, batch, g});
    d.d_a = luong ? f32({steps, batch, hidden}) : Tensor();
    if (s.scorer) {
      d.d_memory = torch::zeros_like(s.memory);
      d.d_keys = torch::zeros_like(s.keys);
      for (const auto& p : s.scorer_parameters) {
        d.d_scorer.push_back(torch::zeros_like(p));
        d.d_scorer_data.push_back(data(d.d_scorer.back()));
      }
    }
    return d;
  }

  // Step t's share: through Luong's attentional vector (and the attention
  // it read), the cell, input feeding, and Bahdanau's context.
  static void backward_step(DecoderSaved& s, int t, DecoderGrads& d) {
    const Cell& cell = s.cell;
    const int batch = cell.batch, hidden = cell.hidden, g = cell.gates();
    const std::int64_t bh = cell.rows(hidden), bg = cell.rows(g);
    const bool luong = s.kind == DecoderKind::luong;
    const float* run = data(s.run);
    const float* cells = cell.lstm ? data(s.cells) : nullptr;
    const int wc_cols = s.w_c.defined() ? static_cast<int>(s.w_c.size(1)) : 0;
    const float* h = run + (t + 1) * bh;
    if (d.d_states.defined()) d.dh.add_(d.d_states[t]);
    if (luong) {
      // d_a = dL/dh~_t (1 - h~_t^2); dL/dc_t = d_a W_c[:, :H], dL/dh_t += d_a W_c[:, H:].
      float* da = data(d.d_a) + t * bh;
      const float* feature = data(s.features) + t * bh;
      const float* df = d.d_features.defined() ? data(d.d_features) + t * bh : nullptr;
      const float* fed = data(d.d_feed);
      for (std::int64_t j = 0; j < bh; ++j) {
        const float total = (df ? df[j] : 0.0f) + (s.feeding ? fed[j] : 0.0f);
        da[j] = total * (1.0f - feature[j] * feature[j]);
      }
      ak::gemm(false, false, batch, hidden, hidden, 1.0f, da, hidden,
               data(s.w_c) + (s.scorer ? hidden : 0), wc_cols, 1.0f, data(d.dh), hidden);
      if (s.scorer) {
        ak::gemm(false, false, batch, hidden, hidden, 1.0f, da, hidden, data(s.w_c), wc_cols, 0.0f,
                 data(d.d_context), hidden);
        if (d.d_contexts.defined()) d.d_context.add_(d.d_contexts[t]);
        attend_backward(s, h, t, data(d.d_context), data(d.dh), d.d_memory, d.d_keys,
                        d.d_scorer_data);
      }
    }
    float* gi = data(d.d_gx) + t * bg;
    float* gh = data(d.d_gh) + t * bg;
    cell.backward(data(d.dh), data(d.dc), data(s.gates) + t * bg, data(s.gh) + t * bg, run + t * bh,
                  cell.lstm ? cells + (t + 1) * bh : nullptr, cell.lstm ? cells + t * bh : nullptr,
                  s.w_hh, gi, gh, data(d.dh_prev));
    if (s.feeding && t > 0) {
      ak::gemm(false, false, batch, hidden, g, 1.0f, gi, g, data(s.extra), hidden, 0.0f,
               data(d.d_feed), hidden);
    }
    if (!luong && s.scorer) {
      // c_i fed the cell: dL/dc_i = its output gradient + d_gi W_ctx.
      if (d.d_contexts.defined()) {
        d.d_context.copy_(d.d_contexts[t]);
      } else {
        d.d_context.zero_();
      }
      ak::gemm(false, false, batch, hidden, g, 1.0f, gi, g, data(s.extra), hidden, 1.0f,
               data(d.d_context), hidden);
      attend_backward(s, run + t * bh, t, data(d.d_context), data(d.dh_prev), d.d_memory, d.d_keys,
                      d.d_scorer_data);
    }
    std::swap(d.dh, d.dh_prev);
  }

  // The gradients of the node's inputs, once every step is through.
  static variable_list input_grads(DecoderSaved& s, DecoderGrads& d) {
    const int steps = static_cast<int>(s.gates.size(0));
    const int batch = s.cell.batch, hidden = s.cell.hidden, g = s.cell.gates();
    const std::int64_t bh = s.cell.rows(hidden), bg = s.cell.rows(g);
    const bool luong = s.kind == DecoderKind::luong;
    variable_list out(kScorer + s.scorer_parameters.size() + 1);
    out[kGx] = d.d_gx;
    auto [d_whh, d_bhh] = hidden_weight_grads(d.d_gh, s.run.narrow(0, 0, steps), g, hidden);
    out[kWhh] = d_whh;
    out[kBhh] = d_bhh;
    out[kH0] = d.dh;
    if (s.cell.lstm) out[kC0] = d.dc;
    if (s.extra.defined()) {
      // Luong: sum over t >= 1 of d_gi_t^T h~_{t-1}; Bahdanau: sum of d_gi_i^T c_i.
      auto d_extra = torch::zeros({g, hidden}, torch::kFloat32);
      if (luong && steps > 1) {
        ak::gemm(true, false, g, hidden, (steps - 1) * batch, 1.0f, data(d.d_gx) + bg, g,
                 data(s.features), hidden, 0.0f, data(d_extra), hidden);
      } else if (!luong) {
        ak::gemm(true, false, g, hidden, steps * batch, 1.0f, data(d.d_gx), g, data(s.contexts),
                 hidden, 0.0f, data(d_extra), hidden);
      }
      out[kExtra] = d_extra;
    }
    if (luong) {
      const int wc_cols = static_cast<int>(s.w_c.size(1));
      auto d_wc = f32({hidden, wc_cols});
      const int n = steps * batch;
      if (s.scorer) {
        ak::gemm(true, false, hidden, hidden, n, 1.0f, data(d.d_a), hidden, data(s.contexts),
                 hidden, 0.0f, data(d_wc), wc_cols);
      }
      ak::gemm(true, false, hidden, hidden, n, 1.0f, data(d.d_a), hidden, data(s.run) + bh, hidden,
               0.0f, data(d_wc) + (s.scorer ? hidden : 0), wc_cols);
      out[kWc] = d_wc;
    }
    if (s.scorer) {
      out[kMemory] = d.d_memory;
      out[kKeys] = d.d_keys;
      for (size_t p = 0; p < d.d_scorer.size(); ++p)
        out[kScorer + p] = d.d_scorer[p];
    }
    return out;
  }

  // Scores `query` [B, H] against the keys; writes step t's weights and
  // the context [B, H].
  static void attend(DecoderSaved& s, const float* query, int t, float* context) {
    const std::int64_t bs = static_cast<std::int64_t>(s.cell.batch) * s.source;
    s.scorer->fused_read(score_step(s, query), data(s.weights) + t * bs, context);
  }

  // The backward of attend from d_context: adds to d_query [B, H], the
  // memory, key and scorer parameter gradients.
  static void attend_backward(DecoderSaved& s, const float* query, int t, const float* d_context,
                              float* d_query, Tensor& d_memory, Tensor& d_keys,
                              const std::vector<float*>& d_parameters) {
    const std::int64_t bs = static_cast<std::int64_t>(s.cell.batch) * s.source;
    s.scorer->fused_read_backward(score_step(s, query), data(s.weights) + t * bs, d_context,
                                  d_query, data(d_memory), data(d_keys), d_parameters);
  }
};

}  // namespace

LayerOutput recurrent_layer(const Tensor& gx, const Tensor& w_hh, const Tensor& b_hh,
                            const Tensor& lengths, bool reverse, bool lstm) {
  std::vector<std::int64_t> rows;
  if (lengths.defined()) {
    const auto l = lengths.to(torch::kCPU).to(torch::kInt64).contiguous();
    rows.assign(l.data_ptr<std::int64_t>(), l.data_ptr<std::int64_t>() + l.numel());
  }
  auto outputs = RecurrentLayerFunction::apply(gx, w_hh, b_hh, rows, reverse, lstm);
  LayerOutput out;
  out.states = outputs[0];
  out.final = outputs[1];
  if (lstm) out.final_cell = outputs[2];
  return out;
}

DecoderLoopOutput decoder_loop(const DecoderLoopInputs& inputs) {
  std::vector<Tensor> in(kScorer);
  in[kGx] = inputs.gx;
  in[kExtra] = inputs.w_extra;
  in[kWhh] = inputs.w_hh;
  in[kBhh] = inputs.b_hh;
  in[kH0] = inputs.h0;
  in[kC0] = inputs.c0;
  in[kMemory] = inputs.memory;
  in[kKeys] = inputs.keys;
  in[kWc] = inputs.w_c;
  if (inputs.scorer) {
    for (const auto& p : inputs.scorer->score_parameters())
      in.push_back(p);
  }
  // Autograd records every input of a node: absent ones become empty tensors.
  for (auto& t : in) {
    if (!t.defined()) t = torch::empty({0}, torch::kFloat32);
  }
  auto outputs = DecoderLoopFunction::apply(at::TensorList(in), &inputs);
  DecoderLoopOutput out;
  size_t next = 0;
  if (inputs.kind == DecoderKind::luong) {
    out.features = outputs[next++];
    out.states = outputs[next++];
  } else {
    out.states = outputs[next++];
  }
  out.contexts = outputs[next++];
  if (inputs.scorer) out.weights = outputs[next];
  return out;
}

Stepper::Stepper(StepperInputs inputs) : in_(std::move(inputs)) {
  for (Tensor* t : {&in_.embedding, &in_.w_ih, &in_.b_ih, &in_.w_hh, &in_.b_hh, &in_.w_c,
                    &in_.u_o_w, &in_.u_o_b, &in_.v_o_w, &in_.c_o_w, &in_.w_s, &in_.b_s, &in_.h0,
                    &in_.c0, &in_.memory, &in_.keys}) {
    if (t->defined()) *t = ready(*t).clone();
  }
  if (in_.mask.defined()) in_.mask = in_.mask.to(torch::kBool).contiguous();
  if (in_.lstm && !in_.c0.defined()) in_.c0 = torch::zeros_like(in_.h0);
  if (in_.kind == DecoderKind::luong && in_.input_feeding) feed_ = torch::zeros_like(in_.h0);
}

void Stepper::select(const Tensor& rows) {
  for (Tensor* t : {&in_.h0, &in_.c0, &in_.memory, &in_.keys, &in_.mask, &feed_}) {
    if (t->defined()) *t = t->index_select(0, rows).contiguous();
  }
}

void Stepper::attend(const float* query, float* weights) {
  const int n = rows();
  const int source = in_.memory.defined() ? source_length() : 0;
  attention::FusedStep read;
  read.batch = n;
  read.source = source;
  read.memory_size = static_cast<int>(in_.w_hh.size(1));
  read.query = query;
  read.keys = data(in_.keys);
  read.memory = data(in_.memory);
  read.mask = in_.mask.data_ptr<bool>();
  read.energies = energies_.data();
  scratch_.resize(static_cast<size_t>(in_.scorer->fused_scratch(n, source)) + 1);
  read.scratch = scratch_.data();
  in_.scorer->fused_read(read, weights, context_.data());
}

void Stepper::luong_features(const float* h, float* weights) {
  const int n = rows(), hidden = static_cast<int>(in_.w_hh.size(1));
  const auto nh = static_cast<size_t>(n) * hidden;
  const int wc_cols = static_cast<int>(in_.w_c.size(1));
  if (in_.scorer) {
    attend(h, weights);  // h_t
    ak::gemm(false, true, n, hidden, hidden, 1.0f, context_.data(), hidden, data(in_.w_c), wc_cols,
             0.0f, feature_.data(), hidden);
  }
  ak::gemm(false, true, n, hidden, hidden, 1.0f, h, hidden,
           data(in_.w_c) + (in_.scorer ? hidden : 0), wc_cols, in_.scorer ? 1.0f : 0.0f,
           feature_.data(), hidden);
  ak::tanh(feature_.data(), static_cast<std::int64_t>(nh));
  if (feed_.defined()) std::memcpy(data(feed_), feature_.data(), sizeof(float) * nh);
}

void Stepper::bahdanau_features(const float* h) {
  const int n = rows(), hidden = static_cast<int>(in_.w_hh.size(1));
  const int e = static_cast<int>(in_.embedding.size(1));
  const auto nh = static_cast<size_t>(n) * hidden;
  // t_i = max over pairs of U_o s_i + V_o E y_{i-1} + C_o c_i (+ bias).
  readout_.resize(2 * nh);
  for (int r = 0; r < n; ++r)
    std::copy(data(in_.u_o_b), data(in_.u_o_b) + 2 * hidden,
              readout_.data() + static_cast<std::int64_t>(r) * 2 * hidden);
  ak::gemm(false, true, n, 2 * hidden, hidden, 1.0f, h, hidden, data(in_.u_o_w), hidden, 1.0f,
           readout_.data(), 2 * hidden);
  ak::gemm(false, true, n, 2 * hidden, e, 1.0f, x_.data(), e, data(in_.v_o_w), e, 1.0f,
           readout_.data(), 2 * hidden);
  if (in_.scorer) {
    ak::gemm(false, true, n, 2 * hidden, hidden, 1.0f, context_.data(), hidden, data(in_.c_o_w),
             hidden, 1.0f, readout_.data(), 2 * hidden);
  }
  for (size_t j = 0; j < nh; ++j)
    feature_[j] = std::max(readout_[2 * j], readout_[2 * j + 1]);
}

void Stepper::step(const std::int64_t* tokens, float* log_probs, float* weights) {
  const int n = rows(), hidden = static_cast<int>(in_.w_hh.size(1));
  const int e = static_cast<int>(in_.embedding.size(1)),
            in_cols = static_cast<int>(in_.w_ih.size(1));
  const int g = static_cast<int>(in_.w_hh.size(0)), v = vocab_size();
  const int source = in_.memory.defined() ? source_length() : 0;
  const auto nh = static_cast<size_t>(n) * hidden;
  x_.resize(static_cast<size_t>(n) * e);
  gi_.resize(static_cast<size_t>(n) * g);
  gh_.resize(gi_.size());
  gates_.resize(gi_.size());
  h_.resize(nh);
  c_.resize(nh);
  context_.resize(nh);  // written by every read that uses it
  feature_.resize(nh);
  energies_.resize(static_cast<size_t>(n) * std::max(source, 1));
  float* h = data(in_.h0);
  float* c = in_.lstm ? data(in_.c0) : nullptr;
  const float* embedding = data(in_.embedding);
  for (int r = 0; r < n; ++r)
    std::memcpy(x_.data() + static_cast<std::int64_t>(r) * e, embedding + tokens[r] * e,
                sizeof(float) * e);
  for (int r = 0; r < n; ++r)
    std::copy(data(in_.b_ih), data(in_.b_ih) + g, gi_.data() + static_cast<std::int64_t>(r) * g);
  ak::gemm(false, true, n, g, e, 1.0f, x_.data(), e, data(in_.w_ih), in_cols, 1.0f, gi_.data(), g);
  const bool bahdanau = in_.kind == DecoderKind::bahdanau;
  if (bahdanau && in_.scorer) {
    attend(h, weights);  // s_{i-1}
    ak::gemm(false, true, n, g, hidden, 1.0f, context_.data(), hidden, data(in_.w_ih) + e, in_cols,
             1.0f, gi_.data(), g);
  }
  if (feed_.defined()) {
    ak::gemm(false, true, n, g, hidden, 1.0f, data(feed_), hidden, data(in_.w_ih) + e, in_cols,
             1.0f, gi_.data(), g);
  }
  const Cell cell{in_.lstm, n, hidden};
  cell.forward(gi_.data(), h, c, in_.w_hh, data(in_.b_hh), gh_.data(), gates_.data(), h_.data(),
               in_.lstm ? c_.data() : nullptr);
  std::memcpy(h, h_.data(), sizeof(float) * nh);
  if (c) std::memcpy(c, c_.data(), sizeof(float) * nh);
  if (bahdanau) {
    bahdanau_features(h);
  } else {
    luong_features(h, weights);
  }
  for (int r = 0; r < n; ++r)
    std::copy(data(in_.b_s), data(in_.b_s) + v, log_probs + static_cast<std::int64_t>(r) * v);
  ak::gemm(false, true, n, v, hidden, 1.0f, feature_.data(), hidden, data(in_.w_s), hidden, 1.0f,
           log_probs, v);
  ak::log_softmax(log_probs, n, v);
}

}  // namespace attnlab::models::fused
