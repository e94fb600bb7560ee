"""A local, stateful OpenAI / Azure OpenAI fine-tuning API for tests (and for trying the app by hand).

from tests.apiserver import ApiServer
with ApiServer(style="azure") as server:
    client = openai.AzureOpenAI(azure_endpoint=server.base_url, api_key=server.api_key,
                                api_version="2025-04-01-preview")
"""

from .deployments import ARM_AUDIENCE
from .faults import Fault, FaultPlan
from .protocol import ReceivedRequest
from .samples import dpo_jsonl, sft_jsonl
from .server import ApiServer

__all__ = ["ARM_AUDIENCE", "ApiServer", "Fault", "FaultPlan", "ReceivedRequest", "dpo_jsonl", "sft_jsonl"]
