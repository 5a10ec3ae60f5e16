"""Is the evaluation-mode model the model that was trained?  The train/eval gap of a run.

    python studies/dropout_gap.py RUN_DIR [--split train|val] [--samples 4]

Loads a run's weight average from ``last.pt`` and predicts RUL on its own
training (or validation) windows twice: in evaluation mode, and with only the
dropout layers active (BatchNorm stays in evaluation mode; the mean over
``--samples`` passes). It prints JSON: per band of the true RUL, the bias
(mean predicted - true) and RMSE of each. A model without a train/eval
mismatch has the same figures in both; dropout in front of the RUL head's
ReLUs makes the evaluation-mode prediction systematically lower
(docs/recipe.md). Every 7th window is used, to keep it quick on a CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.experiment.run import load_data, read_run_config
from core.model import DualTaskModel
from core.runs import RunDir
from core.training.batches import DeviceWindows

BANDS = ((0, 30), (30, 80), (80, 124.9), (124.9, 1e9))


def predictions(model: DualTaskModel, x: torch.Tensor, dropout: bool, samples: int) -> np.ndarray:
    model.eval()
    for module in model.modules():
        if dropout and isinstance(module, torch.nn.Dropout | torch.nn.LSTM):
            module.train()  # LSTM.train() switches on its inter-layer dropout only
    with torch.no_grad():
        return np.mean([model(x)[0].numpy() for _ in range(samples if dropout else 1)], axis=0)


def figures(pred: np.ndarray, true: np.ndarray) -> list[dict]:
    rows = []
    for low, high in BANDS:
        band = (true >= low) & (true < high)
        error = pred[band] - true[band]
        rmse = float(np.sqrt(np.mean(error**2)))
        top = min(high, 125.0)
        rows.append({"rul": [low, top], "windows": int(band.sum()), "bias": float(error.mean()),
                     "rmse": rmse})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--split", default="train", choices=("train", "val"))
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()
    torch.manual_seed(0)
    config = read_run_config(RunDir(args.run))  # in today's shape, whatever its format
    data = load_data(config)
    state = torch.load(args.run / "last.pt", weights_only=False, map_location="cpu")
    model = DualTaskModel(data.n_features, config.model_preset())
    model.load_state_dict(state["ema"]["model"])
    windows = data.train if args.split == "train" else data.val
    index = torch.arange(0, len(windows), 7)
    x = DeviceWindows(windows, torch.device("cpu")).inputs(index)
    true = windows.rul[index.numpy()]
    out = {
        "run": str(args.run), "epoch": int(state["epoch"]), "split": args.split,
        "threads": torch.get_num_threads(),
        "eval_mode": figures(predictions(model, x, False, 1), true),
        "dropout_active": figures(predictions(model, x, True, args.samples), true),
    }  # fmt: skip
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
