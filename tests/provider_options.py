"""Provider options the tests use against the local API server (one definition for every test module)."""

from __future__ import annotations

from dpo_studio.services.providers import ProviderOptions

#: Quick polling and one retry: the local server answers at once.
FAST = ProviderOptions(poll_interval=0.01, max_retries=1, timeout=10.0)
#: As FAST, with a Files API limit so small that uploads go through the multipart Uploads API.
MULTIPART = ProviderOptions(
    poll_interval=0.01, max_retries=1, timeout=10.0, files_api_limit=1024, part_size=1000
)
