"""DPO Studio: prepare preference data and run DPO fine-tuning on Azure OpenAI, Foundry and OpenAI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dpo-studio")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
