#!/usr/bin/python3
"""Writes the PyTorch fixtures that tests/Eslm.Tests/Model/PyTorchFixtureTests.cs compares Eslm against.

Run with Debian's interpreter (python3-torch 1.13 is importable only there):

    /usr/bin/python3 dev/make_fixtures.py

A tiny GPT-2 written from the math with PyTorch's own building blocks (F.layer_norm, F.gelu(approximate='tanh'),
softmax with a causal mask, F.cross_entropy over the real vocabulary V of padded logits, LM head tied to wte), seeded
weights, evaluated in float64 so that the fixture is an oracle rather than another float32 run. Fixtures:

  tiny_gpt2         plain training: per-token weights 1/(B*T), objective = mean of all per-token losses
  tiny_gpt2_masked  token selection: per-token mask m (zeros in the middle and at sequence ends, one sequence all zero
                    at the end, one fully kept), objective = sum(m * loss) / sum(m)
  tiny_gpt2_masked_kept_rows
                    the same objective with the kept-rows backward (Eslm's --backward kept-rows): in every layer the
                    keys and values of dropped tokens (m = 0) are detached, so no gradient flows through them

Format (little-endian), one pair of files per fixture under tests/Eslm.Tests/Fixtures/:
  NAME.json  {"format": "eslm-fixture-1", "config": {...}, "batch": B, "seq": T,
              "tensors": [{"name", "dtype": "f32"|"i32", "shape": [...], "offset": bytes into NAME.bin}]}
  NAME.bin   the tensors' raw little-endian data, concatenated in the order listed.
Tensors: param/<name> and grad/<name> for every parameter in Eslm's ParameterLayout order (per-layer tensors stacked
[L, ...], weights [out, in] like nn.Linear), inputs [B,T] and targets [B,T] (i32), dlosses [B,T] (the per-token weights
of the objective, what Eslm's Backward takes), logits [B,T,Vp] (padded columns included), losses [B,T], entropy [B,T],
objective [1] (the weighted loss whose gradients are stored) and mean_loss [1] (mean over all tokens).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Eslm.Tests", "Fixtures")

CONFIG = dict(layers=2, heads=2, channels=32, max_seq=24, vocab=97, padded_vocab=128)
B, T = 2, 16

# Eslm's ParameterLayout.For(config): names and shapes, in order.
def layout(cfg):
    L, C, Vp, maxT = cfg["layers"], cfg["channels"], cfg["padded_vocab"], cfg["max_seq"]
    return [
        ("wte", (Vp, C)), ("wpe", (maxT, C)),
        ("ln1w", (L, C)), ("ln1b", (L, C)),
        ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)),
        ("attprojw", (L, C, C)), ("attprojb", (L, C)),
        ("ln2w", (L, C)), ("ln2b", (L, C)),
        ("fcw", (L, 4 * C, C)), ("fcb", (L, 4 * C)),
        ("fcprojw", (L, C, 4 * C)), ("fcprojb", (L, C)),
        ("lnfw", (C,)), ("lnfb", (C,)),
    ]


def init_params(cfg, gen):
    """Seeded, deliberately not tiny (so attention is far from uniform and every path carries signal)."""
    C = cfg["channels"]
    p = {}
    for name, shape in layout(cfg):
        if name in ("ln1w", "ln2w", "lnfw"):
            t = 1.0 + 0.2 * torch.randn(shape, generator=gen, dtype=torch.float64)
        elif name in ("wte", "wpe"):
            t = 0.25 * torch.randn(shape, generator=gen, dtype=torch.float64)
        elif name.endswith("b"):
            t = 0.1 * torch.randn(shape, generator=gen, dtype=torch.float64)
        else:
            fan_in = shape[-1]
            t = 1.0 / math.sqrt(fan_in) * torch.randn(shape, generator=gen, dtype=torch.float64)
        # Rounded to float32 first: Eslm sees exactly the weights the float64 oracle used.
        p[name] = t.float().double().requires_grad_(True)
    return p


def forward(p, cfg, idx, tgt, detach_dropped=None):
    """detach_dropped: optional [B,T] bool, True where a token is dropped; its keys and values become constants."""
    L, NH, C, V = cfg["layers"], cfg["heads"], cfg["channels"], cfg["vocab"]
    HS = C // NH
    Bn, Tn = idx.shape
    x = p["wte"][idx] + p["wpe"][:Tn]
    mask = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for l in range(L):
        h = F.layer_norm(x, (C,), p["ln1w"][l], p["ln1b"][l], eps=1e-5)
        qkv = F.linear(h, p["qkvw"][l], p["qkvb"][l])
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(Bn, Tn, NH, HS).transpose(1, 2)
        k = k.view(Bn, Tn, NH, HS).transpose(1, 2)
        v = v.view(Bn, Tn, NH, HS).transpose(1, 2)
        if detach_dropped is not None:
            dropped = detach_dropped.view(Bn, 1, Tn, 1)
            k = torch.where(dropped, k.detach(), k)
            v = torch.where(dropped, v.detach(), v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HS)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, C)
        x = x + F.linear(y, p["attprojw"][l], p["attprojb"][l])
        h = F.layer_norm(x, (C,), p["ln2w"][l], p["ln2b"][l], eps=1e-5)
        h = F.gelu(F.linear(h, p["fcw"][l], p["fcb"][l]), approximate="tanh")
        x = x + F.linear(h, p["fcprojw"][l], p["fcprojb"][l])
    x = F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], eps=1e-5)
    logits = x @ p["wte"].T                      # [B,T,Vp], tied head; padded ids never count below
    real = logits[..., :V]
    losses = F.cross_entropy(real.reshape(-1, V), tgt.reshape(-1), reduction="none").view(Bn, Tn)
    logp = real.log_softmax(dim=-1)
    entropy = -(logp.exp() * logp).sum(dim=-1)
    return logits, losses, entropy


def write(name, cfg, params, idx, tgt, dlosses, backward="exact"):
    for t in params.values():
        t.grad = None
    logits, losses, entropy = forward(params, cfg, idx, tgt, detach_dropped=(dlosses == 0) if backward == "kept-rows" else None)
    objective = (losses * dlosses).sum()
    objective.backward()
    tensors = []
    for pname, _ in layout(cfg):
        tensors.append(("param/" + pname, params[pname].detach()))
    for pname, _ in layout(cfg):
        tensors.append(("grad/" + pname, params[pname].grad))
    tensors += [("inputs", idx), ("targets", tgt), ("dlosses", dlosses), ("logits", logits.detach()),
                ("losses", losses.detach()), ("entropy", entropy.detach()),
                ("objective", objective.detach().reshape(1)), ("mean_loss", losses.detach().mean().reshape(1))]
    index, blobs, offset = [], [], 0
    for tname, t in tensors:
        if t.dtype in (torch.int64, torch.int32):
            arr, dtype = t.numpy().astype("<i4"), "i32"
        else:
            arr, dtype = t.detach().numpy().astype("<f4"), "f32"
        data = arr.tobytes()
        index.append({"name": tname, "dtype": dtype, "shape": list(t.shape), "offset": offset})
        blobs.append(data)
        offset += len(data)
    header = {"format": "eslm-fixture-1", "generator": "dev/make_fixtures.py (PyTorch %s, float64)" % torch.__version__,
              "backward": backward, "config": cfg, "batch": int(idx.shape[0]), "seq": int(idx.shape[1]), "tensors": index}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(header, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        for data in blobs:
            f.write(data)
    print("%s: objective %.6f, mean loss %.6f, %d bytes" % (name, objective.item(), losses.mean().item(), offset))


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20240520)
    params = init_params(CONFIG, gen)
    V = CONFIG["vocab"]
    idx = torch.randint(0, V, (B, T), generator=gen)
    tgt = torch.randint(0, V, (B, T), generator=gen)
    idx[0, :3] = V - 1   # the last real id and repeated tokens (dwte rows accumulate)
    tgt[1, 5] = V - 1

    plain = torch.full((B, T), 1.0 / (B * T), dtype=torch.float64)
    write("tiny_gpt2", CONFIG, params, idx, tgt, plain)

    # Selection: zeros in the middle and at the ends of sequence 0; sequence 1 keeps everything but its last 4 tokens.
    mask = torch.ones(B, T, dtype=torch.float64)
    mask[0, 2] = 0; mask[0, 6:9] = 0; mask[0, 12:] = 0
    mask[1, 0] = 0; mask[1, T - 4:] = 0
    write("tiny_gpt2_masked", CONFIG, params, idx, tgt, mask / mask.sum())
    write("tiny_gpt2_masked_kept_rows", CONFIG, params, idx, tgt, mask / mask.sum(), backward="kept-rows")


if __name__ == "__main__":
    main()
