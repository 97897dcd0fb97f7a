import { parseArgs } from 'node:util';

export interface OptionSpec {
  name: string;
  env: string;
  help: string;
  default?: string;
  secret?: boolean;
  boolean?: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Reads `--flag value` options, falling back to their environment variables, then defaults. */
export function readOptions(
  args: string[],
  specs: readonly OptionSpec[],
  env: NodeJS.ProcessEnv = process.env,
): { values: Record<string, string | undefined>; help: boolean; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const spec of specs) {
    options[spec.name] = { type: spec.boolean ? 'boolean' : 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Record<string, string | undefined> = {};
  for (const spec of specs) {
    const flag = parsed.values[spec.name];
    const fromFlag = typeof flag === 'boolean' ? String(flag) : flag;
    values[spec.name] = fromFlag ?? env[spec.env] ?? spec.default;
  }
  return { values, help: parsed.values['help'] === true, positionals: parsed.positionals };
}

export function formatHelp(usage: string, summary: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `--${s.name}${s.boolean ? '' : ' <value>'}`;
    const dflt = s.default !== undefined ? ` (default: ${s.default})` : '';
    return `  ${flag.padEnd(30)} ${s.help}${dflt}\n  ${''.padEnd(30)} env: ${s.env}`;
  });
  return `${usage}\n\n${summary}\n\nOptions:\n${rows.join('\n')}\n  ${'--help'.padEnd(30)} show this help\n`;
}

export function parseIntOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
