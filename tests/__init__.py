"""DPO Studio tests."""
