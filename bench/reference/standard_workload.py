#!/usr/bin/python3
"""The standard workload of `attnlab bench train`, written as a competent
PyTorch user would: the reference attnlab's training loop is measured
against (bench/reference/compare.sh runs both alternately).

Model: a one-layer GRU encoder, a GRU-cell decoder fed
[embedding(y_{t-1}); context_{t-1}] (input feeding), Luong's `general` score
on the current decoder state, and an output projection of [h_t; c_t] to the
vocabulary. Task: reverse a random sequence. Adam, gradient-norm clipping,
teacher forcing, fp32.

Prints one JSON object (the same keys as `attnlab bench train --json`).
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

PAD, BOS, FIRST_SYMBOL = 0, 1, 3


class Seq2Seq(nn.Module):
    def __init__(self, vocab, embedding, hidden):
        super().__init__()
        self.src_embedding = nn.Embedding(vocab, embedding)
        self.tgt_embedding = nn.Embedding(vocab, embedding)
        self.encoder = nn.GRU(embedding, hidden, batch_first=True)
        self.cell = nn.GRUCell(embedding + hidden, hidden)
        self.w_a = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, source, target_in):
        states, final = self.encoder(self.src_embedding(source))  # [B,S,H], [1,B,H]
        keys = self.w_a(states)  # projected once per sequence
        h = final[0]
        context = torch.zeros_like(h)
        embedded = self.tgt_embedding(target_in)  # [B,T,E]
        features = []
        for t in range(target_in.size(1)):
            h = self.cell(torch.cat([embedded[:, t], context], 1), h)
            weights = torch.softmax(torch.bmm(keys, h.unsqueeze(2)).squeeze(2), 1)
            context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
            features.append(torch.cat([h, context], 1))
        return self.out(torch.stack(features, 1))  # one projection for all steps


def batch(generator, size, length, vocab):
    source = torch.randint(FIRST_SYMBOL, vocab, (size, length), generator=generator)
    target = source.flip(1)
    target_in = torch.cat([torch.full((size, 1), BOS), target[:, :-1]], 1)
    return source, target_in, target


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocab", type=int, default=32)
    p.add_argument("--embedding", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--length", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=30, help="timed steps per repeat")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    generator = torch.Generator().manual_seed(a.seed)
    model = Seq2Seq(a.vocab, a.embedding, a.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        source, target_in, target = batch(generator, a.batch, a.length, a.vocab)
        optimizer.zero_grad(set_to_none=True)
        logits = model(source, target_in)
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), target.reshape(-1), ignore_index=PAD)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    rates = []
    loss = 0.0
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        rates.append(a.steps * a.batch * a.length / (time.perf_counter() - start))
    print(json.dumps({
        "implementation": "pytorch-python",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "hidden": a.hidden, "embedding": a.embedding, "batch": a.batch,
        "length": a.length, "vocab": a.vocab,
        "tokens_per_second": statistics.median(rates),
        "tokens_per_second_runs": rates,
        "final_loss": loss,
    }))


if __name__ == "__main__":
    sys.exit(main())
