"""Build step the declarative configuration in pyproject.toml cannot express: a wheel carries
the embedded model, the registry and the calibration from models/ inside the package
lsp_server.model_data, where importlib.resources finds them after `pip install`."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).resolve().parent / "models"
SHIPPED = ("infill-tiny-code.gguf", "registry.json", "calibration.json")


class BuildWithModelData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "lsp_server" / "model_data"
        target.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            shutil.copyfile(MODELS / name, target / name)


setup(cmdclass={"build_py": BuildWithModelData})
