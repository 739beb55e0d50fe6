#!/usr/bin/python3
"""The default model of `make run`, written as a competent PyTorch user would:
the reference `attnlab bench train` is compared with
(bench/reference/compare.py runs both alternately).

Model (configs/model/rnn.yaml, configs/attention/): embeddings of 32, a GRU
encoder of 64, a Luong decoder (GRU cell fed [embedding; h~_{t-1}], input
feeding) that scores its current state against the encoder states with
`general` (h_t^T W_a h_s) or `additive` (v^T tanh(W_a h_t + U_a h_s)), the
attentional vector h~_t = tanh(W_c [c_t; h_t]) and logits W_s h~_t. Task:
reverse a random sequence of 20 symbols, one length per batch drawn from
1..15, as attnlab's generated tasks batch. Adam at 5e-3, gradient-norm
clipping at 1.0, batch 32, fp32, one thread: the settings of
configs/train/default.yaml.

Keys are projected once per batch; one output projection and one loss per
batch. On a GPU (--device cuda) the batches are drawn on the CPU and moved,
as attnlab's are, the loss is read back once per repeat rather than once per
step, and --precision bf16 runs the forward pass under autocast as attnlab's
train.precision=bf16 does. Prints one JSON object.
"""
import argparse
import json
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS, FIRST_SYMBOL = 0, 1, 2, 3


class Seq2Seq(nn.Module):
    def __init__(self, vocab, embedding, hidden, attention):
        super().__init__()
        self.attention = attention
        self.src_embedding = nn.Embedding(vocab, embedding)
        self.tgt_embedding = nn.Embedding(vocab, embedding)
        self.encoder = nn.GRU(embedding, hidden, batch_first=True)
        self.cell = nn.GRUCell(embedding + hidden, hidden)
        if attention == "general":
            self.w_a = nn.Linear(hidden, hidden, bias=False)
        else:
            self.w_a = nn.Linear(hidden, hidden)
            self.u_a = nn.Linear(hidden, hidden, bias=False)
            self.v_a = nn.Linear(hidden, 1, bias=False)
        self.w_c = nn.Linear(2 * hidden, hidden, bias=False)
        self.w_s = nn.Linear(hidden, vocab)

    def forward(self, source, target_in):
        states, final = self.encoder(self.src_embedding(source))  # [B,S,H], [1,B,H]
        if self.attention == "general":
            keys = self.w_a(states)  # projected once per batch
        else:
            keys = self.u_a(states)
        h = final[0]
        feed = torch.zeros_like(h)
        embedded = self.tgt_embedding(target_in)  # [B,T,E]
        features = []
        for t in range(target_in.size(1)):
            h = self.cell(torch.cat([embedded[:, t], feed], 1), h)
            if self.attention == "general":
                scores = torch.bmm(keys, h.unsqueeze(2)).squeeze(2)
            else:
                scores = self.v_a(torch.tanh(keys + self.w_a(h).unsqueeze(1))).squeeze(2)
            weights = torch.softmax(scores, 1)
            context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
            feed = torch.tanh(self.w_c(torch.cat([context, h], 1)))
            features.append(feed)
        return self.w_s(torch.stack(features, 1))  # one projection for all steps


def batch(generator, size, lengths, symbols, device):
    length = int(torch.randint(lengths[0], lengths[1] + 1, (1,), generator=generator))
    source = torch.randint(FIRST_SYMBOL, FIRST_SYMBOL + symbols, (size, length),
                           generator=generator)
    target = torch.cat([source.flip(1), torch.full((size, 1), EOS)], 1)
    target_in = torch.cat([torch.full((size, 1), BOS), target[:, :-1]], 1)
    return source.to(device), target_in.to(device), target.to(device), size * (length + 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attention", choices=["general", "additive"], default="additive")
    p.add_argument("--symbols", type=int, default=20)
    p.add_argument("--embedding", type=int, default=32)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lengths", type=int, nargs=2, default=[1, 15])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=200, help="timed steps per repeat")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit(f"error: --device {a.device}, but this PyTorch ({torch.__version__}) sees no GPU")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    generator = torch.Generator().manual_seed(a.seed)
    vocab = FIRST_SYMBOL + a.symbols
    model = Seq2Seq(vocab, a.embedding, a.hidden, a.attention).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    autocast = a.precision == "bf16"

    def step():
        source, target_in, target, tokens = batch(generator, a.batch, a.lengths, a.symbols,
                                                  device)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            logits = model(source, target_in)
        loss = F.cross_entropy(logits.float().reshape(-1, vocab), target.reshape(-1),
                               ignore_index=PAD)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.detach(), tokens

    for _ in range(a.warmup):
        step()
    steps_per_second, tokens_per_second = [], []
    loss = 0.0
    for _ in range(a.repeats):
        tokens = 0
        total = torch.zeros((), device=device)
        start = time.perf_counter()
        for _ in range(a.steps):
            step_loss, n = step()
            total += step_loss
            tokens += n
        loss = total.item() / a.steps  # waits for the device's work
        seconds = time.perf_counter() - start
        steps_per_second.append(a.steps / seconds)
        tokens_per_second.append(tokens / seconds)
    print(json.dumps({
        "implementation": "pytorch-python",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": a.device,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
        "precision": a.precision,
        "threads": torch.get_num_threads(),
        "attention": a.attention,
        "hidden": a.hidden, "embedding": a.embedding, "batch": a.batch,
        "steps_per_second": statistics.median(steps_per_second),
        "steps_per_second_runs": steps_per_second,
        "tokens_per_second": statistics.median(tokens_per_second),
        "final_loss": loss,
    }))


if __name__ == "__main__":
    sys.exit(main())
