"""The Datasets tab: the examples table, filters, findings, statistics, bulk actions, split and export."""

from __future__ import annotations

from dpo_studio.ui.datasets.tab import DatasetsTab

__all__ = ["DatasetsTab"]
