import os

from google import genai

client = genai.Client(
    api_key=os.environ["WARREN_API_KEY"],
    http_options={"base_url": os.environ["WARREN_BASE_URL"], "api_version": "v1beta"},
)
interaction = client.interactions.create(model="gemini-3-flash-preview", input="Say hello.")
print(interaction.output_text)
