import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// The dev outbox of a `lanyard serve` run in a process of its own (outbox.jsonl in its data folder): what
// the command-line tests, the crash tests and the benchmarks read the codes they are sent from.

/** The outbox lines addressed to someone, oldest first. */
export function outboxFor(
  dataDir: string,
  to: string,
): Array<{ to: string; channel: string; subject: string; text: string }> {
  const file = path.join(dataDir, 'outbox.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { to: string; channel: string; subject: string; text: string })
    .filter((message) => message.to === to);
}

/** Waits for the next code sent to an address (a message beyond the `seen` first ones) and returns it. */
export async function nextCode(dataDir: string, to: string, seen: number): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const messages = outboxFor(dataDir, to);
    if (messages.length > seen) {
      const codes = messages[messages.length - 1]!.text.match(/\b\d{6}\b/g) ?? [];
      assert.equal(codes.length, 1, messages[messages.length - 1]!.text);
      return codes[0]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no code reached ${to}`);
}
