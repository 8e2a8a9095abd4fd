import os

import litellm

interaction = litellm.interactions.create(
    custom_llm_provider="gemini",  # LiteLLM's Interactions client for Google's wire
    api_base=os.environ["WARREN_BASE_URL"],
    api_key=os.environ["WARREN_API_KEY"],
    model="gemini-3-flash-preview",
    input="Say hello.",
)
# The answer is in `steps` (Api-Revision 2026-05-20); `outputs`, the older field, is None.
answer = [step for step in interaction.steps if step["type"] == "model_output"][-1]
print("".join(part["text"] for part in answer["content"] if part["type"] == "text"))
