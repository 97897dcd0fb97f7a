import OpenAI from 'openai';
import { ShoalError } from '../../../protocol/index.js';

export interface OpenAIConfig {
  /** Default: the OPENAI_API_KEY environment variable. */
  apiKey?: string;
  /** Default: OPENAI_BASE_URL, else https://api.openai.com/v1. */
  baseURL?: string;
}

/** An `openai` client from explicit options or the environment; UNAUTHORIZED without a key. */
export function openaiClient(config: OpenAIConfig = {}): OpenAI {
  const apiKey = config.apiKey ?? process.env['OPENAI_API_KEY'];
  if (!apiKey) {
    throw new ShoalError(
      'UNAUTHORIZED',
      'OpenAI provider: no API key (set OPENAI_API_KEY or pass apiKey)',
    );
  }
  const baseURL = config.baseURL ?? process.env['OPENAI_BASE_URL'];
  return new OpenAI({ apiKey, ...(baseURL ? { baseURL } : {}), maxRetries: 1 });
}

/** Whether an OpenAI key is configured in the environment. */
export function hasOpenAIKey(): boolean {
  return Boolean(process.env['OPENAI_API_KEY']);
}
