"""Training the pen-path half of the digit detector, and how its judgement joins the picture's.

The same writers as the picture's network (model.detector_training): the training half of
the UNIPEN dev writers without their held-back fifth, which is kept to join the two and to
choose the threshold. Only recorded strokes have a path, so MNIST is not used here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from .detector import Joint
from .detector_training import fit_not_a_digit, training_strokes
from .pen_path import PenPathNet, augmented, pen_path
from .scribbles import scribble
from .strokes import StrokeDigits

PEN_DIGIT_COPIES = 12  # each training pen digit, turned, slanted and stretched differently
CHARACTER_COPIES = 3  # each letter and symbol: there are about nine of them to each digit
PATH_SCRIBBLES = 8000
PATH_POLYLINES = 4000
PATH_EPOCHS = 8.0
JOINT_DIGIT_REFUSALS = 0.01  # of the held-back pen digits: sets the threshold


def path_sets(digits: StrokeDigits, characters: StrokeDigits, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(paths, is-not-a-digit labels) to fit on."""
    rng = np.random.default_rng(seed)
    pen_digits, letters = training_strokes(digits, characters, held=False)
    yes = [pen_path(augmented(s, rng)) for s in pen_digits for _ in range(PEN_DIGIT_COPIES)]
    no = [pen_path(augmented(s, rng)) for s in letters for _ in range(CHARACTER_COPIES)]
    no += [pen_path(scribble(rng)) for _ in range(PATH_SCRIBBLES)]
    no += [pen_path([rng.random((int(rng.integers(3, 13)), 2))]) for _ in range(PATH_POLYLINES)]
    labels = np.repeat(np.array([0, 1], np.float32), [len(yes), len(no)])
    return np.stack(yes + no), labels


def train_pen_path(
    fit: tuple[np.ndarray, np.ndarray], epochs: float = PATH_EPOCHS, batch_size: int = 256, seed: int = 0
) -> PenPathNet:
    """The path's network, its batches as they are (fit_not_a_digit): they were turned,
    slanted and stretched when the paths were made (path_sets)."""
    torch.manual_seed(seed)
    return fit_not_a_digit(
        PenPathNet(), torch.from_numpy(fit[0]), torch.from_numpy(fit[1]), epochs, batch_size
    )


def fit_joint(
    image_logits: tuple[np.ndarray, np.ndarray], path_logits: tuple[np.ndarray, np.ndarray]
) -> tuple[Joint, dict[str, float]]:
    """Join the two networks' logits of the held-back (digits, letters and symbols): the
    threshold refuses JOINT_DIGIT_REFUSALS of the held-back digits."""
    (image_digits, image_letters), (path_digits, path_letters) = image_logits, path_logits
    scaled = Joint(
        float(image_digits.mean()),
        float(image_digits.std()),
        float(path_digits.mean()),
        float(path_digits.std()),
    )
    scores = np.r_[scaled.score(image_digits, path_digits), scaled.score(image_letters, path_letters)]
    slope, intercept = logistic_fit(scores, np.repeat([0.0, 1.0], [len(image_digits), len(image_letters)]))
    fitted = replace(scaled, slope=slope, intercept=intercept)
    digits_p = fitted.probability(image_digits, path_digits)
    joint = replace(fitted, threshold=float(np.quantile(digits_p, 1 - JOINT_DIGIT_REFUSALS)))
    letters_p = joint.probability(image_letters, path_letters)
    return joint, {
        "joint: pen digits refused": float((digits_p >= joint.threshold).mean()),
        "joint: letters and symbols refused": float((letters_p >= joint.threshold).mean()),
    }


def logistic_fit(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of P(label 1) = sigmoid(slope * score + intercept), by LBFGS, as
    if both labels were equally common (as the picture's network learns them): the held-back
    writers wrote about four letters and symbols to each digit, users do not."""
    x, y = torch.tensor(scores, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64)
    ones = float(y.sum())
    weight = torch.where(y > 0, 0.5 / max(ones, 1.0), 0.5 / max(len(y) - ones, 1.0))
    params = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([params], max_iter=200)

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = F.binary_cross_entropy_with_logits(
            params[0] * x + params[1], y, weight=weight, reduction="sum"
        )
        value.backward()  # type: ignore[no-untyped-call]
        return value

    optimizer.step(loss)  # type: ignore[no-untyped-call]
    slope, intercept = params.detach().tolist()
    return float(slope), float(intercept)
