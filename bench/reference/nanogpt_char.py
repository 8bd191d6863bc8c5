#!/usr/bin/env python3
"""A PyTorch reference for the GPT quality target: nanoGPT's CPU recipe on Tiny Shakespeare, same machine.

The issue holds `panamax gpt train` to nanoGPT's published val loss (1.88 after 2000 steps of
`shakespeare-char-small`). This script trains the same model with the same recipe in PyTorch, so that figure can be
checked here, with PyTorch's numerics and random streams, instead of taken from nanoGPT's README. It is written
from the recipe (nanoGPT's `train.py` semantics as listed in the project README, "Parity with nanoGPT"), not
copied: 4 layers, 4 heads, width 128, block 64, no biases, no dropout, tied embeddings; N(0, 0.02²) weights and
N(0, (0.02/√(2·layers))²) for both residual projections; AdamW(β = 0.9, 0.99; decay 0.1 on tensors of rank ≥ 2);
lr 1e-3, 100 warmup steps, cosine to 1e-4 at step 2000; clip 1.0; batch 12; 20 random val batches per
evaluation; split data[:90%] / data[90%:].

It is not part of the build or the tests (PyTorch is not a dependency of the project). To run it:

    python3 -m venv --system-site-packages /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch
    /tmp/torch-venv/bin/python bench/reference/nanogpt_char.py --seed 1337 --threads 2

It prints the 20-batch val loss every 250 steps, the loss over the whole val split (all non-overlapping windows
of 64 characters, as `panamax gpt train --full-val`), and the wall time.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width, bias=False)
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.attn_proj = nn.Linear(width, width, bias=False)
        self.ln_2 = nn.LayerNorm(width, bias=False)
        self.fc = nn.Linear(width, 4 * width, bias=False)
        self.mlp_proj = nn.Linear(4 * width, width, bias=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.mlp_proj(F.gelu(self.fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab, block, layers, heads, width):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(block, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width, bias=False)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.wte.weight          # tied
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, 0.02)
        for name, p in self.named_parameters():
            if name.endswith("attn_proj.weight") or name.endswith("mlp_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default="../shared/data/tinyshakespeare.txt")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-iters", type=int, default=2000)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    text = open(args.text, encoding="utf-8").read()
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    split = int(len(data) * 0.9)
    train, val = data[:split], data[split:]
    block, batch, warmup, lr, min_lr = 64, 12, 100, 1e-3, 1e-4

    def get_batch(source):
        ix = torch.randint(len(source) - block, (batch,))
        return (torch.stack([source[i:i + block] for i in ix]),
                torch.stack([source[i + 1:i + 1 + block] for i in ix]))

    model = Gpt(len(chars), block, 4, 4, 128)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.99))
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, vocab {len(chars)}")

    def learning_rate(it):
        if it < warmup:
            return lr * (it + 1) / (warmup + 1)
        ratio = (it - warmup) / (args.max_iters - warmup)
        return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (lr - min_lr)

    @torch.no_grad()
    def val_loss(batches=20):
        model.eval()
        loss = sum(model(*get_batch(val)).item() for _ in range(batches)) / batches
        model.train()
        return loss

    start = time.time()
    for it in range(args.max_iters + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(it)
        if it % 250 == 0 or it == args.max_iters:
            print(f"step {it}: val loss {val_loss():.4f} ({time.time() - start:.0f} s)", flush=True)
        if it == args.max_iters:
            break
        loss = model(*get_batch(train))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    train_seconds = time.time() - start

    with torch.no_grad():
        model.eval()
        windows = (len(val) - 1) // block
        x = val[:windows * block].view(windows, block)
        y = val[1:windows * block + 1].view(windows, block)
        total = sum(model(x[i:i + 64], y[i:i + 64]).item() * len(x[i:i + 64]) for i in range(0, windows, 64))
    print(f"whole val split ({windows} windows of {block}): {total / windows:.4f}")
    print(f"{args.max_iters} steps in {train_seconds:.0f} s on {args.threads} thread(s)")


if __name__ == "__main__":
    main()
