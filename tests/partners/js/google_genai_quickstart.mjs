import { GoogleGenAI } from '@google/genai';

const client = new GoogleGenAI({
  apiKey: process.env.WARREN_API_KEY,
  httpOptions: { baseUrl: process.env.WARREN_BASE_URL, apiVersion: 'v1beta' },
});
const interaction = await client.interactions.create({
  model: 'gemini-3-flash-preview',
  input: 'Say hello.',
});
const answer = interaction.steps.filter((step) => step.type === 'model_output').at(-1);
console.log(answer.content.map((part) => part.text).join(''));
