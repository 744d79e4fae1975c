"""Tests for checker.outputs.naming: file names from unit ids."""
from __future__ import annotations

import pytest

from checker.outputs.naming import href, ledger_path, notice_path, unit_stem


@pytest.mark.parametrize("uid", ["GD-07", "第七项目部", "U00001", "A_b.c"])
def test_safe_ids_are_used_unchanged(uid):
    assert unit_stem(uid) == uid
    assert notice_path(uid, "html") == f"notices/{uid}.html"
    assert ledger_path(uid) == f"ledgers/{uid}.xlsx"


@pytest.mark.parametrize("uid", ["../etc/passwd", "A/B", "A\\B", "a:b", "CON", "con.txt", ".hidden", "-rf", "x" * 200,
                                 "a#b", "a%2Fb", "tab\there", ""])
def test_unsafe_ids_become_clean_names_with_a_hash(uid):
    stem = unit_stem(uid)
    assert stem and len(stem) <= 90
    assert not any(ch in stem for ch in '/\\:*?"<>|#%\t')
    assert not stem.startswith((".", "-"))
    assert stem != uid
    assert unit_stem(uid) == stem                       # stable


def test_ids_that_clean_to_the_same_text_stay_distinct():
    assert len({unit_stem(u) for u in ("A/B", "A:B", "A*B", "A?B")}) == 4


def test_href_percent_encodes_but_keeps_slashes():
    assert href("notices/第七 项目部.html") == "notices/%E7%AC%AC%E4%B8%83%20%E9%A1%B9%E7%9B%AE%E9%83%A8.html"
    assert href("notices/GD-07.html") == "notices/GD-07.html"


def test_no_two_units_of_a_run_share_a_file():
    """Ids a run accepts (distinct after NFC and case folding) never share a notice or ledger file, on any file system."""
    hashed = unit_stem("A/B")
    ids = ["GD-07", "A/B", "A_B", hashed, hashed.upper(), "a:b", "CON", "CON-1", "x" * 200, "x" * 199 + "y",
           "第七项目部", "第七/项目部", "café", ".hidden", "hidden", "-rf", "rf", "A_B-00000000", "tab\there", "tab_here"]
    folded = {}
    for uid in ids:
        key = unit_stem(uid).casefold()
        assert key not in folded, (uid, folded.get(key))
        folded[key] = uid
