"""PyTorch reference for `npm run bench:train`: the same network, data shapes, loss and optimiser as bench/train.ts.

    /usr/bin/python3 bench/train_step_torch.py --threads 2 --steps 10 --warmup 3 [--device cpu|cuda] [--json]

Batch 4 x 3 x 256 x 256 (channels_last), four stages of [3x3 conv stride 2 + ReLU, 3x3 conv + ReLU] with 32/64/128/256
channels, decoder: 1x1 lateral 256->64 from stride 16, bilinear x4 (align_corners=False), + 1x1 lateral 64->64 from
stride 4, ReLU, 3x3 conv 64 + ReLU, 1x1 conv to 19 classes at 64x64; softmax cross-entropy; Adam (lr 1e-3). Prints the
median step time in ms (forward, backward, Adam update, loss read back).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, classes=19, decoder=64, stages=(32, 64, 128, 256)):
        super().__init__()
        convs, cin = [], 3
        for ch in stages:
            convs += [nn.Conv2d(cin, ch, 3, stride=2, padding=1), nn.Conv2d(ch, ch, 3, padding=1)]
            cin = ch
        self.encoder = nn.ModuleList(convs)
        self.lateral16 = nn.Conv2d(stages[3], decoder, 1)
        self.lateral4 = nn.Conv2d(stages[1], decoder, 1)
        self.fuse = nn.Conv2d(decoder, decoder, 3, padding=1)
        self.classifier = nn.Conv2d(decoder, classes, 1)

    def forward(self, x):
        feats, h = [], x
        for i in range(0, len(self.encoder), 2):
            h = F.relu(self.encoder[i](h))
            h = F.relu(self.encoder[i + 1](h))
            feats.append(h)
        top = F.interpolate(self.lateral16(feats[3]), size=(64, 64), mode="bilinear", align_corners=False)
        d = F.relu(top + self.lateral4(feats[1]))
        d = F.relu(self.fuse(d))
        return self.classifier(d)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    dev = torch.device(a.device)
    net = Net().to(dev).to(memory_format=torch.channels_last)
    x = torch.randn(4, 3, 256, 256, device=dev).to(memory_format=torch.channels_last)
    labels = torch.randint(0, 19, (4, 64, 64), device=dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        loss.item()
        return (time.perf_counter() - t0) * 1000

    for _ in range(a.warmup):
        step()
    times = [step() for _ in range(a.steps)]
    med = statistics.median(times)
    if a.json:
        print(json.dumps({"torchVersion": torch.__version__, "threads": torch.get_num_threads(), "device": a.device, "stepMs": med}))
    else:
        print(f"PyTorch {torch.__version__} {a.device}, {torch.get_num_threads()} threads: step {med:.1f} ms (min {min(times):.1f}, max {max(times):.1f})")


if __name__ == "__main__":
    main()
