"""The installed package carries its rule packs, report templates and examples (non-editable install)."""
from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

import checker
from checker.resources import resource_dir

SOURCE_TREE = (Path(checker.__file__).resolve().parent.parent / "pyproject.toml").is_file()


@pytest.mark.skipif(SOURCE_TREE, reason="running from a source checkout; CI installs the wheel and runs this")
@pytest.mark.parametrize(("name", "marker"), [
    ("rules", "party-business-integration/pack.yaml"),
    ("rules", "party-business-integration/tests/base.yaml"),
    ("reports", "notice.html.j2"),
    ("examples", "records"),
])
def test_data_is_inside_the_installed_package(name, marker):
    """Packs, templates and examples are found through importlib.resources, inside the package."""
    root = importlib.resources.files("checker") / name
    assert (root / marker).exists() if hasattr(root / marker, "exists") else (root / marker).is_file()
    assert resource_dir(name) == Path(str(root))


def test_resource_dir_rejects_odd_names():
    from checker.errors import InternalError
    with pytest.raises(InternalError):
        resource_dir("../etc")
