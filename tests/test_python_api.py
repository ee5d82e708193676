"""The Python API: `from wikicourse import ...` loads lazily, names what it promises, ships its
type hints, and the worked example of docs/python-api.md runs as written."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import wikicourse
from test_startup import loaded_by, unwanted

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "python-api.md"


def test_every_public_name_imports_from_the_package_and_is_the_defining_modules_own():
    import importlib

    assert wikicourse.__all__[0] == "__version__" and set(wikicourse.__all__[1:]) == set(wikicourse._WHERE)
    for name in wikicourse.__all__[1:]:
        module = importlib.import_module(wikicourse._WHERE[name], "wikicourse")
        assert getattr(wikicourse, name) is getattr(module, name), name
        assert name in dir(wikicourse)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        wikicourse.nothing_here  # noqa: B018


def test_no_public_name_is_also_a_submodules_name():
    """Importing a submodule sets the package's attribute of its name, which would then hide
    a function exported under the same name."""
    package = Path(wikicourse.__file__).parent
    submodules = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir() if p.is_dir()}
    assert not submodules & set(wikicourse.__all__)


def test_importing_the_package_or_the_command_line_loads_no_public_name_s_module():
    _, modules = loaded_by("-c", "import sys, wikicourse; print('\\n'.join(sys.modules), file=sys.stderr)")
    assert unwanted(modules, also=("sqlalchemy", "wikicourse.models", "wikicourse.stats")) == []
    _, modules = loaded_by("-c", "import sys; from wikicourse import course_stats; "
                                 "print('\\n'.join(sys.modules), file=sys.stderr)")
    assert "wikicourse.stats" in modules and unwanted(modules) == []  # no web stack, no update cycle


def test_the_type_marker_is_in_the_package_and_in_its_package_data():
    assert (Path(wikicourse.__file__).parent / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["wikicourse"]


def test_the_worked_example_of_the_documentation_runs_as_written(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "open_db(" in b)
    monkeypatch.chdir(tmp_path)  # it creates course.sqlite in the current folder
    exec(compile(example, str(DOC), "exec"), {"__name__": "python_api_example"})
    printed = capsys.readouterr().out.splitlines()
    # Each `print(...)  # shown` in the example says what it prints.
    promised = [line.split("#", 1)[1].split(":")[0].strip() if "]:" in line else line.split("#", 1)[1].strip()
                for line in example.splitlines() if line.lstrip().startswith("print(") and "#" in line]
    assert promised and all(any(p in out for out in printed) for p in promised), (promised, printed)
    # The figures it printed are the database's.
    engine = wikicourse.open_db(f"sqlite:///{tmp_path / 'course.sqlite'}")
    try:
        doc = wikicourse.course_stats(engine, "writing-2024")
        assert [u["username"] for u in doc["users"]] == ["Amara Okafor", "Lena Fischer"]
        mei = next(line for line in printed if line.startswith("Mei Chen "))
        before = int(printed[printed.index(mei) + 1].split(" -> ")[0])
        assert before - int(mei.split()[2]) == doc["course"]["revision_count"]
    finally:
        engine.dispose()
