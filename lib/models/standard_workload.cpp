// The fused implementation keeps every tensor time-major ([T, B, *]) so that
// one step's slice is contiguous, and batch-major copies of the encoder
// states and keys ([B, S, H]) for the attention products. GRU gates follow
// LibTorch's order (r, z, n):
//   r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z),
//   n = tanh(x_n + r * h_n), h' = (1 - z) n + z h,
// where x_* include b_ih and h_* include b_hh.
#include "models/standard_workload.h"

#include <stdexcept>

#include "models/fused_kernels.h"

namespace attnlab::models {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One GRU step from input-side gates gx [B, 3H] and hidden-side gates
// gh [B, 3H]: writes (r, z, n) to gates [B, 3H] and h' to h_new [B, H].
void gru_forward(const Tensor& gx, const Tensor& gh, const Tensor& h, Tensor gates, Tensor h_new) {
  const auto hidden = h.size(1);
  auto rz = gates.narrow(1, 0, 2 * hidden);
  at::add_out(rz, gx.narrow(1, 0, 2 * hidden), gh.narrow(1, 0, 2 * hidden));
  rz.sigmoid_();
  auto n = gates.narrow(1, 2 * hidden, hidden);
  at::addcmul_out(n, gx.narrow(1, 2 * hidden, hidden), rz.narrow(1, 0, hidden),
                  gh.narrow(1, 2 * hidden, hidden));
  n.tanh_();
  at::sub_out(h_new, h, n);
  h_new.mul_(rz.narrow(1, hidden, hidden)).add_(n);
}

// The whole teacher-forced pass as one autograd node. Forward saves the
// gates, states, attention weights and log-probabilities; backward is
// backpropagation through time written out (standard_workload.h).
class FusedPass : public torch::autograd::Function<FusedPass> {
 public:
  static variable_list forward(AutogradContext* ctx, Tensor source_embedding,
                               Tensor target_embedding, Tensor enc_w_ih, Tensor enc_w_hh,
                               Tensor enc_b_ih, Tensor enc_b_hh, Tensor dec_w_ih, Tensor dec_w_hh,
                               Tensor dec_b_ih, Tensor dec_b_hh, Tensor w_a, Tensor out_w,
                               Tensor out_b, const WorkloadBatch& batch) {
    const auto b = batch.source.size(0), s = batch.source.size(1), t = batch.target_in.size(1);
    const auto e = source_embedding.size(1), h = enc_w_hh.size(1);
    const auto f32 = source_embedding.options();

    // Encoder: input gates for all steps at once, then the recurrence.
    const auto source_ids = batch.source.t().reshape({-1});        // time-major
    const auto xs = source_embedding.index_select(0, source_ids);  // [S B, E]
    const auto enc_gx = at::addmm(enc_b_ih, xs, enc_w_ih.t()).view({s, b, 3 * h});
    auto enc_gh = torch::empty({s, b, 3 * h}, f32);
    auto enc_gates = torch::empty({s, b, 3 * h}, f32);
    auto states = torch::empty({s, b, h}, f32);
    const auto zeros = torch::zeros({b, h}, f32);
    const auto enc_w_hh_t = enc_w_hh.t();
    for (std::int64_t i = 0; i < s; ++i) {
      const auto& prev = i == 0 ? zeros : states[i - 1];
      auto gh = enc_gh[i];
      at::addmm_out(gh, enc_b_hh, prev, enc_w_hh_t);
      gru_forward(enc_gx[i], gh, prev, enc_gates[i], states[i]);
    }
    const auto memory = states.transpose(0, 1).contiguous();                // [B, S, H]
    const auto keys = memory.view({b * s, h}).mm(w_a.t()).view({b, s, h});  // once per source

    // Decoder: embedding gates for all steps at once; each step adds the
    // previous context's gates (input feeding), runs the cell, attends.
    const auto target_ids = batch.target_in.t().reshape({-1});
    const auto ys = target_embedding.index_select(0, target_ids);  // [T B, E]
    const auto w_ie = dec_w_ih.narrow(1, 0, e);
    const auto w_ic = dec_w_ih.narrow(1, e, h).contiguous();
    auto dec_gx = at::addmm(dec_b_ih, ys, w_ie.t()).view({t, b, 3 * h});
    auto dec_gh = torch::empty({t, b, 3 * h}, f32);
    auto dec_gates = torch::empty({t, b, 3 * h}, f32);
    auto hs = torch::empty({t, b, h}, f32);
    auto cs = torch::empty({t, b, h}, f32);
    auto weights = torch::empty({t, b, s}, f32);
    const auto first = states[s - 1];
    const auto w_ic_t = w_ic.t();
    const auto dec_w_hh_t = dec_w_hh.t();
    for (std::int64_t i = 0; i < t; ++i) {
      const auto& prev = i == 0 ? first : hs[i - 1];
      if (i > 0) dec_gx[i].addmm_(cs[i - 1], w_ic_t);
      auto gh = dec_gh[i], w = weights[i], context = cs[i];
      at::addmm_out(gh, dec_b_hh, prev, dec_w_hh_t);
      gru_forward(dec_gx[i], gh, prev, dec_gates[i], hs[i]);
      kernels::attend(keys, memory, hs[i], w, context);
    }

    // One output projection and one loss over the whole target.
    const auto features = at::cat({hs, cs}, 2).view({t * b, 2 * h});
    const auto log_probs = at::log_softmax(at::addmm(out_b, features, out_w.t()), 1);
    const auto targets = batch.target_out.t().reshape({-1});
    const auto loss = at::nll_loss(log_probs, targets, {}, at::Reduction::Mean, /*ignore=*/0);

    ctx->save_for_backward(
        {source_embedding, target_embedding, enc_w_ih, enc_w_hh, dec_w_ih, dec_w_hh, w_a, out_w});
    auto& saved = ctx->saved_data;
    saved["source_ids"] = source_ids;
    saved["target_ids"] = target_ids;
    saved["targets"] = targets;
    saved["xs"] = xs;
    saved["ys"] = ys;
    saved["enc_gh"] = enc_gh;
    saved["enc_gates"] = enc_gates;
    saved["states"] = states;
    saved["memory"] = memory;
    saved["keys"] = keys;
    saved["dec_gh"] = dec_gh;
    saved["dec_gates"] = dec_gates;
    saved["hs"] = hs;
    saved["cs"] = cs;
    saved["weights"] = weights;
    saved["features"] = features;
    saved["log_probs"] = log_probs;
    return {loss};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto params = ctx->get_saved_variables();
    const auto &source_embedding = params[0], &target_embedding = params[1];
    const auto &enc_w_ih = params[2], &enc_w_hh = params[3], &dec_w_ih = params[4];
    const auto &dec_w_hh = params[5], &w_a = params[6], &out_w = params[7];
    auto& saved = ctx->saved_data;
    const auto get = [&](const char* name) { return saved[name].toTensor(); };
    const auto states = get("states"), memory = get("memory"), keys = get("keys");
    const auto hs = get("hs"), cs = get("cs"), weights = get("weights");
    const auto dec_gates = get("dec_gates"), dec_gh = get("dec_gh");
    const auto enc_gates = get("enc_gates"), enc_gh = get("enc_gh");
    const auto targets = get("targets");
    const auto s = states.size(0), b = states.size(1), h = states.size(2), t = hs.size(0);
    const auto e = source_embedding.size(1);
    const auto f32 = states.options();

    // Loss and output projection.
    auto dlogits = get("log_probs").exp();
    const auto real = targets.ne(0);
    dlogits.scatter_add_(1, targets.unsqueeze(1), -torch::ones({t * b, 1}, f32));
    dlogits.mul_(real.unsqueeze(1).to(torch::kFloat32) *
                 (grad_outputs[0] / real.sum().to(torch::kFloat32)));
    const auto d_out_w = dlogits.t().mm(get("features"));
    const auto d_out_b = dlogits.sum(0);
    const auto d_features = dlogits.mm(out_w).view({t, b, 2 * h});
    const auto dh_out = d_features.narrow(2, 0, h), dc_out = d_features.narrow(2, h, h);

    // Decoder, last step first.
    const auto w_ic = dec_w_ih.narrow(1, e, h).contiguous();
    auto dec_dgx = torch::empty({t, b, 3 * h}, f32), dec_dgh = torch::empty({t, b, 3 * h}, f32);
    auto d_contexts = torch::empty({t, b, h}, f32), d_energies = torch::empty({t, b, s}, f32);
    auto dh_next = torch::zeros({b, h}, f32), dc_next = torch::zeros({b, h}, f32);
    auto dh = torch::empty({b, h}, f32), dh_prev = torch::empty({b, h}, f32);
    const auto first = states[s - 1];
    for (std::int64_t i = t - 1; i >= 0; --i) {
      auto dc = d_contexts[i], de = d_energies[i];
      at::add_out(dc, dc_out[i], dc_next);
      at::add_out(dh, dh_out[i], dh_next);
      kernels::attend_backward(keys, memory, weights[i], dc, de, dh);
      auto dgx = dec_dgx[i], dgh = dec_dgh[i];
      kernels::gru_backward(dh, dec_gates[i], dec_gh[i], i == 0 ? first : hs[i - 1], dgx, dgh,
                            dh_prev);
      at::addmm_out(dh_next, dh_prev, dgh, dec_w_hh);
      if (i > 0) at::mm_out(dc_next, dgx, w_ic);
    }
    const auto dgx_flat = dec_dgx.view({t * b, 3 * h}), dgh_flat = dec_dgh.view({t * b, 3 * h});
    const auto h_before = at::cat({first.unsqueeze(0), hs.narrow(0, 0, t - 1)});
    const auto c_before = at::cat({torch::zeros({1, b, h}, f32), cs.narrow(0, 0, t - 1)});
    const auto d_dec_w_hh = dgh_flat.t().mm(h_before.view({t * b, h}));
    const auto d_dec_b_hh = dgh_flat.sum(0);
    const auto d_dec_w_ih =
        at::cat({dgx_flat.t().mm(get("ys")), dgx_flat.t().mm(c_before.view({t * b, h}))}, 1);
    const auto d_dec_b_ih = dgx_flat.sum(0);
    const auto d_target_embedding =
        torch::zeros_like(target_embedding)
            .index_add_(0, get("target_ids"), dgx_flat.mm(dec_w_ih.narrow(1, 0, e)));

    // Attention: the per-step outer products summed over steps as two
    // batched products, then the key projection.
    auto d_memory = at::bmm(weights.permute({1, 2, 0}), d_contexts.transpose(0, 1));  // [B,S,H]
    const auto d_keys = at::bmm(d_energies.permute({1, 2, 0}), hs.transpose(0, 1));
    const auto d_w_a = d_keys.view({b * s, h}).t().mm(memory.view({b * s, h}));
    d_memory.view({b * s, h}).addmm_(d_keys.view({b * s, h}), w_a);
    auto d_states = d_memory.transpose(0, 1).contiguous();  // [S, B, H]
    d_states[s - 1].add_(dh_next);                          // the decoder's first state

    // Encoder, last step first.
    auto enc_dgx = torch::empty({s, b, 3 * h}, f32), enc_dgh = torch::empty({s, b, 3 * h}, f32);
    const auto zeros = torch::zeros({b, h}, f32);
    dh_next.zero_();
    for (std::int64_t i = s - 1; i >= 0; --i) {
      at::add_out(dh, d_states[i], dh_next);
      auto dgx = enc_dgx[i], dgh = enc_dgh[i];
      kernels::gru_backward(dh, enc_gates[i], enc_gh[i], i == 0 ? zeros : states[i - 1], dgx, dgh,
                            dh_prev);
      if (i > 0) at::addmm_out(dh_next, dh_prev, dgh, enc_w_hh);
    }
    const auto ex_flat = enc_dgx.view({s * b, 3 * h}), eh_flat = enc_dgh.view({s * b, 3 * h});
    const auto enc_before = at::cat({zeros.unsqueeze(0), states.narrow(0, 0, s - 1)});
    const auto d_enc_w_hh = eh_flat.t().mm(enc_before.view({s * b, h}));
    const auto d_enc_w_ih = ex_flat.t().mm(get("xs"));
    const auto d_source_embedding =
        torch::zeros_like(source_embedding).index_add_(0, get("source_ids"), ex_flat.mm(enc_w_ih));
    return {d_source_embedding,
            d_target_embedding,
            d_enc_w_ih,
            d_enc_w_hh,
            ex_flat.sum(0),
            eh_flat.sum(0),
            d_dec_w_ih,
            d_dec_w_hh,
            d_dec_b_ih,
            d_dec_b_hh,
            d_w_a,
            d_out_w,
            d_out_b,
            Tensor()};
  }
};

}  // namespace

std::string implementation_name(Implementation implementation) {
  return implementation == Implementation::fused ? "fused" : "modules";
}

Implementation implementation_of(const std::string& name) {
  if (name == "fused") return Implementation::fused;
  if (name == "modules") return Implementation::modules;
  throw std::invalid_argument("unknown implementation '" + name + "'; valid: fused, modules");
}

double training_flops(const WorkloadSizes& z) {
  const double s = z.length, t = z.length, e = z.embedding, h = z.hidden, v = z.vocab;
  const double encoder = s * (2 * e * 3 * h + 2 * h * 3 * h);
  const double keys = s * 2 * h * h;
  const double decoder = t * (2 * (e + h) * 3 * h + 2 * h * 3 * h);
  const double attention = t * (2 * s * h + 2 * s * h);
  const double output = t * 2 * (2 * h) * v;
  return 3.0 * z.batch * (encoder + keys + decoder + attention + output);
}

WorkloadBatch workload_batch(const WorkloadSizes& sizes, torch::Generator& generator) {
  constexpr std::int64_t kFirstSymbol = 3, kBos = 1;
  WorkloadBatch batch;
  batch.source = torch::randint(kFirstSymbol, sizes.vocab, {sizes.batch, sizes.length}, generator,
                                torch::kInt64);
  batch.target_out = batch.source.flip({1});
  batch.target_in = torch::cat({torch::full({sizes.batch, 1}, kBos, torch::kInt64),
                                batch.target_out.narrow(1, 0, sizes.length - 1)},
                               1);
  return batch;
}

StandardWorkloadImpl::StandardWorkloadImpl(const WorkloadSizes& sizes) : sizes_(sizes) {
  if (sizes.vocab < 4 || sizes.embedding < 1 || sizes.hidden < 1 || sizes.batch < 1 ||
      sizes.length < 2) {
    throw std::invalid_argument(
        "standard workload: needs vocab >= 4, length >= 2 and positive sizes");
  }
  source_embedding_ =
      register_module("source_embedding", torch::nn::Embedding(sizes.vocab, sizes.embedding));
  target_embedding_ =
      register_module("target_embedding", torch::nn::Embedding(sizes.vocab, sizes.embedding));
  encoder_ = register_module(
      "encoder",
      torch::nn::GRU(torch::nn::GRUOptions(sizes.embedding, sizes.hidden).batch_first(true)));
  cell_ = register_module("cell", torch::nn::GRUCell(sizes.embedding + sizes.hidden, sizes.hidden));
  w_a_ = register_module(
      "w_a", torch::nn::Linear(torch::nn::LinearOptions(sizes.hidden, sizes.hidden).bias(false)));
  out_ = register_module("out", torch::nn::Linear(2 * sizes.hidden, sizes.vocab));
}

torch::Tensor StandardWorkloadImpl::loss(const WorkloadBatch& batch,
                                         Implementation implementation) {
  return implementation == Implementation::fused ? loss_fused(batch) : loss_modules(batch);
}

torch::Tensor StandardWorkloadImpl::loss_modules(const WorkloadBatch& batch) {
  auto [states, final] = encoder_(source_embedding_(batch.source));  // [B, S, H], [1, B, H]
  const auto keys = w_a_(states);
  auto h = final[0];
  auto context = torch::zeros_like(h);
  const auto embedded = target_embedding_(batch.target_in);
  std::vector<torch::Tensor> features;
  for (std::int64_t t = 0; t < embedded.size(1); ++t) {
    h = cell_(torch::cat({embedded.select(1, t), context}, 1), h);
    const auto weights = torch::softmax(torch::bmm(keys, h.unsqueeze(2)).squeeze(2), 1);
    context = torch::bmm(weights.unsqueeze(1), states).squeeze(1);
    features.push_back(torch::cat({h, context}, 1));
  }
  const auto logits = out_(torch::stack(features, 1));
  return torch::nn::functional::cross_entropy(
      logits.reshape({-1, sizes_.vocab}), batch.target_out.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(0));
}

torch::Tensor StandardWorkloadImpl::loss_fused(const WorkloadBatch& batch) {
  const auto& enc = encoder_->named_parameters();
  return FusedPass::apply(source_embedding_->weight, target_embedding_->weight, enc["weight_ih_l0"],
                          enc["weight_hh_l0"], enc["bias_ih_l0"], enc["bias_hh_l0"],
                          cell_->weight_ih, cell_->weight_hh, cell_->bias_ih, cell_->bias_hh,
                          w_a_->weight, out_->weight, out_->bias, batch)[0];
}

}  // namespace attnlab::models
