import { createGoogle } from '@ai-sdk/google';
import { generateText } from 'ai';

const google = createGoogle({
  baseURL: `${process.env.WARREN_BASE_URL}/v1beta`,
  apiKey: process.env.WARREN_API_KEY,
});
const { text } = await generateText({
  model: google.interactions('gemini-3-flash-preview'),
  prompt: 'Say hello.',
});
console.log(text);
