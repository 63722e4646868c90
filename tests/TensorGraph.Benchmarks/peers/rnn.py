"""PyTorch peer of the `rnn` benchmark: one LSTM training step with the same shapes.

inputs [batch 32, time 50, depth 64] -> nn.LSTM(64, 256) -> Linear(256, 64) on every step ->
cross-entropy -> Adam(1e-3). Prints `rnn_step_ms` (median of 5 windows of 4 steps after 6
warm-up steps). Run with Debian's interpreter next to ../shared/tools/peers (for
openblas_best.py): /usr/bin/python3 rnn.py [THREADS]
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "tools", "peers"))
try:
    import openblas_best  # noqa: F401  (selects OpenBLAS's best kernels for this CPU)
except ImportError:
    pass

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)
B, T, D, H, C = 32, 50, 64, 256, 64
lstm = torch.nn.LSTM(D, H, batch_first=True)
head = torch.nn.Linear(H, C)
opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
x = torch.rand(B, T, D) * 2 - 1
y = torch.randint(0, C, (B, T))


def step():
    opt.zero_grad()
    out, _ = lstm(x)
    loss = torch.nn.functional.cross_entropy(head(out.reshape(-1, H)), y.reshape(-1))
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(6):
    step()
windows = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(4):
        step()
    windows.append((time.perf_counter() - t0) * 1000 / 4)
print(f"rnn_step_ms {statistics.median(windows):.1f} windows {' '.join(f'{w:.1f}' for w in windows)} threads {threads} torch {torch.__version__}")
