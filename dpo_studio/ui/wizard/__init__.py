"""The Fine-tune tab and the "New DPO job" wizard."""

from dpo_studio.ui.wizard.tab import FineTuneTab
from dpo_studio.ui.wizard.wizard import JobWizard

__all__ = ["FineTuneTab", "JobWizard"]
