"""The house's floors (DESIGN.md): a package imports only what stands on its floor or below, and
no two packages import each other. Lazy imports inside functions count too."""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
FLOORS = {
    "core": 0,
    "auth": 1, "wallet": 1,
    "qr": 2, "pos": 2, "merchant": 2,
    "checkout": 3, "history": 3, "ops": 3,
    "__init__": 4, "cli": 4, "cli_seed": 4, "health": 4, "models": 4, "pages": 4, "demo_signins": 4, "serve": 4,
}


GROUND = {"extensions", "config"}  # the ground floor's singletons and settings, beside app/core


def package_of(module: str) -> str:
    package = module.split(".")[1] if module.count(".") else "__init__"
    return "core" if package in GROUND else package


def imports_between_packages() -> set[tuple[str, str, str]]:
    found = set()
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP.parent).with_suffix("")
        source = package_of(".".join(relative.parts).removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app."):
                targets = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.module == "app":
                targets = [f"app.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("app.")]
            for target in targets:
                if package_of(target) != source:
                    found.add((source, package_of(target), str(relative)))
    return found


def test_every_package_has_a_floor():
    packages = {p.stem if p.is_file() else p.name for p in APP.iterdir() if p.suffix == ".py" or p.is_dir()}
    assert packages - {"__pycache__"} - GROUND <= set(FLOORS)


def test_no_package_imports_one_above_it():
    upward = sorted(f"{where}: {source} -> {target}" for source, target, where in imports_between_packages()
                    if FLOORS[target] > FLOORS[source])
    assert upward == []


def test_no_two_packages_import_each_other():
    edges = {(source, target) for source, target, _ in imports_between_packages()}
    assert sorted((a, b) for a, b in edges if (b, a) in edges and a < b) == []


TESTS = APP.parent / "tests"


def test_tests_import_helpers_only_from_tests_support():
    """A test module never imports another test module, nor a helper kept beside the tests:
    helpers and fixtures live in tests/support. tests/system is a program of its own and may
    import its own modules."""
    found = []
    for path in TESTS.rglob("*.py"):
        relative = path.relative_to(APP.parent)
        allowed = ("tests.support",) + (("tests.system",) if relative.parts[1] == "system" else ())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules = [("." * node.level) + (node.module or "")]
                if node.module == "tests":
                    modules = [f"tests.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{relative}: {module}" for module in modules
                      if (module.startswith(".") or module == "tests" or module.startswith("tests."))
                      and not module.startswith(allowed)]
    assert found == []
