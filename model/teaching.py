"""Teaching: the training loop applied to one drawing the user corrected, at once.

Each step trains on a small batch that mixes augmented copies of the new example, some of
the user's earlier examples and replayed training digits (MNIST, or the practice set): the
correction is learnt without the network forgetting what it knew. Batch normalisation keeps
its statistics (the network stays in eval mode), so a few dozen digits cannot shift them.
Learning ends as soon as the network reads the drawing as the taught digit with confidence.

Then it rehearses, in the background: more steps on replayed digits, the training digits
that look most like the drawing (those a correction would drag along with it: a 7 written
like a 2 would turn MNIST's 2s into 7s) and a little of the user's own examples, which weigh
less than while learning, at a rate slowing to nothing. What the correction disturbed comes back;
the correction stays.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from .networks import DigitNet
from .training import TrainingData, random_affine


@dataclass(frozen=True)
class TeachSettings:
    """How hard one correction pushes; measured by bench/teach.py on the dev writers."""

    learning_rate: float = 0.01  # SGD with momentum
    copies: int = 8  # augmented copies of the new drawing in each batch
    earlier: int = 8  # the user's earlier examples in each batch
    replay: int = 128  # training digits in each batch, so that the rest is not forgotten
    min_steps: int = 3
    max_steps: int = 40
    confident: float = 0.6  # the drawing is read as the taught digit with this probability: learnt
    max_gradient: float = 1.0  # a drawing read badly has a huge loss: its first steps are clipped
    rehearse: int = 250  # steps once it is learnt: what the correction disturbed comes back
    rehearse_copies: int = 2  # the drawing's share of a rehearsal batch ...
    rehearse_earlier: int = 4  # ... and the user's earlier examples'
    rehearse_share: float = 0.25  # their share of a rehearsal step's loss (the rest: replay)
    lookalikes: int = 256  # training digits nearest the drawing, replayed while rehearsing ...
    lookalikes_per_batch: int = 32  # ... this many in each batch (of the `replay`)


@dataclass(frozen=True)
class TeachProgress:
    """One step of teaching, seen from the taught drawing."""

    label: int
    step: int
    loss: float  # cross-entropy of the drawing itself, as the network now reads it
    probabilities: np.ndarray  # (10,) for the drawing
    learnt: bool = False  # read as the taught digit with confidence (or given up); rehearsal follows
    rehearsed: int = 0  # rehearsal steps so far ...
    rehearsal_steps: int = 0  # ... of this many
    done: bool = False

    @property
    def just_learnt(self) -> bool:
        """The step that ended learning (confident, or at the step limit); rehearsal follows."""
        return self.learnt and not self.rehearsed


def teach_steps(
    net: DigitNet,
    pixels: np.ndarray,
    label: int,
    earlier: tuple[torch.Tensor, torch.Tensor],
    replay: TrainingData | None,
    settings: TeachSettings = TeachSettings(),
    seed: int = 0,
) -> Generator[TeachProgress, None, None]:
    """Fine-tune `net` in place on one drawing (28x28 uint8 pixels, as Example.pixels).

    Yields a TeachProgress before the first step (the loss as it was), after each step until
    the drawing is learnt (the first with learnt=True), then after each rehearsal step; the
    last says done. Stopping early, after learnt, keeps the correction.
    """
    generator = torch.Generator().manual_seed(seed)
    image = torch.from_numpy(np.asarray(pixels, dtype=np.float32)).reshape(1, 1, 28, 28) / 255.0
    target = torch.tensor([label])
    parameters = list(net.parameters())
    net.eval()
    yield _read(net, image, label, 0)

    def step_on(
        mix: TeachSettings, optimizer: torch.optim.Optimizer, lookalikes: torch.Tensor | None = None
    ) -> None:
        x, y, own = _batch(image, target, earlier, replay, mix, generator, lookalikes)
        logits = net(x)
        # The user's drawings have a fixed weight, however many of each there are: while
        # learning, as much as all the replayed digits; while rehearsing, a smaller share.
        if lookalikes is None:
            parts = [F.cross_entropy(logits[:own], y[:own])] if own else []
            if own < len(y):
                parts.append(F.cross_entropy(logits[own:], y[own:]))
            loss = torch.stack(parts).sum()
        else:
            share = settings.rehearse_share
            mine, replayed = F.cross_entropy(logits[:own], y[:own]), F.cross_entropy(logits[own:], y[own:])
            loss = share * mine + (1 - share) * replayed
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]  # Tensor.backward is unannotated in torch
        torch.nn.utils.clip_grad_norm_(parameters, settings.max_gradient)
        optimizer.step()

    learning = torch.optim.SGD(parameters, lr=settings.learning_rate, momentum=0.9)
    step = 0
    while True:
        step += 1
        step_on(settings, learning)
        progress = _read(net, image, label, step)
        learnt = step >= settings.min_steps and progress.probabilities[label] >= settings.confident
        if learnt or step >= settings.max_steps:
            break
        yield progress
    if replay is None or not settings.rehearse:  # nothing to rehearse with
        yield replace(progress, learnt=True, done=True)
        return
    yield replace(progress, learnt=True, rehearsal_steps=settings.rehearse)
    # Rehearsal: a fresh momentum (learning's would carry the network on past the drawing).
    rehearsing = torch.optim.SGD(parameters, lr=settings.learning_rate, momentum=0.9)
    mix = replace(settings, copies=settings.rehearse_copies, earlier=settings.rehearse_earlier)
    lookalikes = nearest_training_digits(replay, image, settings.lookalikes)
    for rehearsed in range(1, settings.rehearse + 1):
        rehearsing.param_groups[0]["lr"] = settings.learning_rate * (1 - (rehearsed - 1) / settings.rehearse)
        step_on(mix, rehearsing, lookalikes)
        progress = _read(net, image, label, step + rehearsed)
        yield replace(
            progress,
            learnt=True,
            rehearsed=rehearsed,
            rehearsal_steps=settings.rehearse,
            done=rehearsed == settings.rehearse,
        )


def nearest_training_digits(replay: TrainingData, image: torch.Tensor, count: int) -> torch.Tensor:
    """Indices of the `count` training digits closest to `image` pixel by pixel."""
    flat = replay.train_x.reshape(len(replay.train_x), -1)
    distances = torch.linalg.vector_norm(flat, dim=1).square_() - 2 * (flat @ image.reshape(-1))
    return torch.topk(distances, min(count, len(distances)), largest=False).indices


def _read(net: DigitNet, image: torch.Tensor, label: int, step: int) -> TeachProgress:
    with torch.inference_mode():
        logits = net(image)
        loss = F.cross_entropy(logits, torch.tensor([label])).item()
        probabilities = F.softmax(logits, dim=1)[0].numpy().copy()
    return TeachProgress(label, step, loss, probabilities)


def _batch(
    image: torch.Tensor,
    target: torch.Tensor,
    earlier: tuple[torch.Tensor, torch.Tensor],
    replay: TrainingData | None,
    settings: TeachSettings,
    generator: torch.Generator,
    lookalikes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Inputs and labels: the user's drawings (augmented) first, then replayed digits (among
    them, some `lookalikes`: indices of training digits); and how many of the user's there are."""
    xs, ys = [image.expand(settings.copies, -1, -1, -1)], [target.expand(settings.copies)]
    own_x, own_y = earlier
    if len(own_y) and settings.earlier:
        pick = torch.randint(len(own_y), (settings.earlier,), generator=generator)
        xs.append(own_x[pick])
        ys.append(own_y[pick])
    x, y = torch.cat(xs), torch.cat(ys)
    own = len(y)
    if own:
        x = random_affine(x, generator)
    if replay is not None and settings.replay:
        pick = torch.randint(len(replay.train_y), (settings.replay,), generator=generator)
        if lookalikes is not None and len(lookalikes):
            chosen = torch.randint(len(lookalikes), (settings.lookalikes_per_batch,), generator=generator)
            pick[: len(chosen)] = lookalikes[chosen]
        x = torch.cat([x, replay.train_x[pick]])
        y = torch.cat([y, replay.train_y[pick]])
    return x, y, own
