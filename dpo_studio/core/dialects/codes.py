"""Issue codes the dialects report while reading records (range DPO010-DPO049).

One place for them so codes never collide and a help page can list them. DPO001/DPO002 belong to the
reader itself (unreadable line, not an object).
"""

from __future__ import annotations

NOT_OBJECT = "DPO002"  # the line is valid JSON but not an object
OPENAI_NO_INPUT = "DPO010"  # OpenAI DPO: no 'input' object
MESSAGES_MISSING = "DPO011"  # the prompt messages are missing
NOT_MESSAGE_LIST = "DPO012"  # a field must be a list of message objects
TOOLS_NOT_LIST = "DPO013"  # tool definitions are not a list
ANSWER_MISSING = "DPO014"  # the preferred or the rejected answer is missing
ANSWER_SHAPE = "DPO015"  # an answer has the wrong shape for the dialect
METADATA_NOT_OBJECT = "DPO016"  # 'metadata' is not an object (kept as it is)
OPENPIPE_NO_PREFERRED = "DPO017"  # OpenPipe: 'messages' does not end with an assistant answer
UNKNOWN_SPLIT = "DPO018"  # a split value that is neither train nor test/validation
PROMPT_SHAPE = "DPO019"  # TRL/H2O: the prompt is neither text nor a message list
MIXED_SHAPES = "DPO020"  # TRL: text and message lists mixed in one record
SINGLE_MESSAGE_ANSWER = "DPO021"  # TRL: an answer is one message object, not a list
NO_SHARED_PROMPT = "DPO022"  # implicit prompt: chosen and rejected differ before their final answers
IDENTICAL_TRANSCRIPTS = "DPO023"  # implicit prompt: chosen and rejected are the same conversation
TRANSCRIPT_MARKERS = "DPO024"  # HH-RLHF: the text is not a Human/Assistant transcript
TRANSCRIPT_PREAMBLE = "DPO025"  # HH-RLHF: text before the first speaker marker
UNKNOWN_SPEAKER = "DPO026"  # ShareGPT: a 'from' or 'role' value the reader does not know
FUNCTION_CALL_TEXT = "DPO027"  # ShareGPT: a function_call turn whose value is not a JSON call
TOOLS_TEXT = "DPO028"  # ShareGPT: 'tools' text that is not JSON
MESSAGE_NOT_OBJECT = "DPO029"  # an item of a message list is not an object
LOSS_WEIGHT_DROPPED = "DPO030"  # LLaMA-Factory v1: a non-default loss_weight has no equivalent
CONTENT_PART = "DPO031"  # a content part that is neither text nor a known media part
