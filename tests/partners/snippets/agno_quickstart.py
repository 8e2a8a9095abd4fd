import os

from agno.agent import Agent
from agno.models.google import GeminiInteractions

model = GeminiInteractions(
    id="gemini-3-flash-preview",
    api_key=os.environ["WARREN_API_KEY"],
    client_params={"http_options": {"base_url": os.environ["WARREN_BASE_URL"], "api_version": "v1beta"}},
)
agent = Agent(model=model, telemetry=False)
print(agent.run("Say hello.").content)
