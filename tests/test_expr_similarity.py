"""similar_pairs' candidate search (prefix filtering) gives exactly the pairs of the pairwise method."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.expr.evaluate import EXACT_BELOW, exact_index_pairs, normalise_text, similar_index_pairs, trigrams

ALPHABET = "党建学习会议研究部署安全生产检修计划落实"


def _texts(seed: int, n: int) -> list[frozenset[str]]:
    """Texts in families of near-duplicates (a few characters changed), so every threshold has pairs."""
    rng = random.Random(seed)
    bases = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(10, 60))) for _ in range(max(1, n // 6))]
    out = []
    for _ in range(n):
        chars = list(rng.choice(bases))
        for _ in range(rng.randint(0, 6)):
            chars[rng.randrange(len(chars))] = rng.choice(ALPHABET)
        out.append(trigrams(normalise_text("".join(chars))))
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10 ** 6), n=st.integers(EXACT_BELOW, 160),
       threshold=st.sampled_from([0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.2]),
       grouped=st.booleans())
def test_candidate_pairs_equal_the_pairwise_method(seed, n, threshold, grouped):
    grams = _texts(seed, n)
    groups = [random.Random(seed + i).choice(["支委会", "党员大会", None]) for i in range(n)] if grouped else None
    assert similar_index_pairs(grams, groups, threshold) == exact_index_pairs(grams, groups, threshold)


def test_many_texts_with_many_similar_pairs():
    """600 texts in near-duplicate families: hundreds of pairs, all found, none extra, in order."""
    grams = _texts(7, 600)
    fast = similar_index_pairs(grams, None, 0.7)
    assert len(fast) > 200
    assert fast == exact_index_pairs(grams, None, 0.7)


def test_threshold_zero_or_none_compares_every_pair():
    grams = _texts(3, EXACT_BELOW + 2)
    assert similar_index_pairs(grams, None, None) == exact_index_pairs(grams, None, None)
    assert len(similar_index_pairs(grams, None, 0)) == len(grams) * (len(grams) - 1) // 2
