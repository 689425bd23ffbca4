"""Synthetic instrument answers that fit a client's stage and symptom level.

Every answer is a printed response value of the item's own scale, so ``scoring.score`` accepts it; the
demo then stores exactly the result the scoring engine computes.

* URICA-32: subscale means are chosen so that the readiness score (C + A + M - PC) lands near the
  published group mean of the client's stage (Mid-Atlantic ATTC anchors: precontemplation 9.3,
  contemplation 11.0, action 12.6; Mid-Atlantic ATTC), with noise, so the proposed stage usually agrees
  with the clinician's and sometimes does not.
* Symptom and use measures (PHQ-9, GAD-7, AUDIT, DAST-10): a latent level in [0, 1] (higher = worse),
  correlated across instruments and falling as the client moves towards action and maintenance.
* Strength measures (BARC-10, readiness ruler, contemplation ladder): a level that rises with the stage.
"""

from __future__ import annotations

import random

from stagewise.core.instruments.model import Form

Number = int | float

# Readiness (C + A + M - PC) aimed at for each stage order 0-4 (see the module docstring).
URICA_READINESS = (8.4, 11.0, 11.7, 12.7, 13.1)
# Share of (readiness + PC) carried by C, A and M at each stage order: early stages lean on
# contemplation, later ones on action and maintenance (McConnaughy et al. 1983 profiles, roughly).
_URICA_SPLIT = (
    (0.40, 0.31, 0.29),
    (0.38, 0.32, 0.30),
    (0.35, 0.34, 0.31),
    (0.31, 0.36, 0.33),
    (0.30, 0.34, 0.36),
)
_URICA_SUBSCALES = ("precontemplation", "contemplation", "action", "maintenance")


def _options(form: Form, item_id: str) -> tuple[Number, ...]:
    return tuple(sorted(form.allowed_values(item_id)))


def _items_for_mean(rng: random.Random, mean: float, count: int) -> list[int]:
    """``count`` answers on 1-5 whose sum is as close as possible to ``mean * count`` (with spread)."""
    target = max(count, min(5 * count, round(mean * count)))
    base, extra = divmod(target, count)
    values = [base + (1 if i < extra else 0) for i in range(count)]
    for _ in range(count):  # spread the answers without changing the sum
        i, j = rng.randrange(count), rng.randrange(count)
        if i != j and values[i] < 5 and values[j] > 1:
            values[i] += 1
            values[j] -= 1
    rng.shuffle(values)
    return values


def urica_answers(rng: random.Random, form: Form, stage_order: int) -> dict[str, Number]:
    """URICA answers whose readiness lands near ``stage_order``'s group mean."""
    readiness = rng.gauss(URICA_READINESS[stage_order], 0.9)
    pc = min(4.5, max(1.2, rng.gauss(1.9 + max(0.0, 10.0 - readiness) * 0.35, 0.25)))
    total = readiness + pc
    wc, wa, wm = _URICA_SPLIT[stage_order]
    means = {
        "precontemplation": pc,
        "contemplation": min(5.0, max(1.0, total * wc)),
        "action": min(5.0, max(1.0, total * wa)),
        "maintenance": min(5.0, max(1.0, total * wm)),
    }
    answers: dict[str, Number] = {}
    scored: set[str] = set()
    for sd in form.scores:
        if sd.name in means:
            for item_id, value in zip(
                sd.items, _items_for_mean(rng, means[sd.name], len(sd.items)), strict=True
            ):
                answers[item_id] = value
            scored.update(sd.items)
    for item in form.items:
        if item.id not in scored:
            answers[item.id] = rng.choice(_options(form, item.id)[1:-1] or _options(form, item.id))
    return answers


def level_answers(rng: random.Random, form: Form, level: float, *, spread: float = 0.18) -> dict[str, Number]:
    """Answers at a latent ``level`` in [0, 1] (0 = lowest option, 1 = highest) with per-item noise.

    Reverse-scored items are answered from the other end, so the total follows ``level``.  A flagged
    safety item (PHQ-9 item 9) is answered from a damped level: it is positive far less often than the
    other items, as in clinical samples.
    """
    reverse: set[str] = set()
    for sd in form.scores:
        reverse.update(sd.reverse)
    answers: dict[str, Number] = {}
    for item in form.items:
        options = _options(form, item.id)
        n = len(options) - 1
        lv = 1.0 - level if item.id in reverse else level
        if item.flag is not None:
            lv = max(0.0, lv - 0.45)
        index = round((lv + rng.gauss(0.0, spread)) * n)
        answers[item.id] = options[min(n, max(0, index))]
    return answers
