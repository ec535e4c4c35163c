import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, stopChild } from './server.js';

/** The bearer token of the floor server's session `index`. */
export function floorToken(index: number): string {
  return `floor-session-${index}`;
}

export interface FloorServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/floor-server.ts in a process of its own, with `sessions` rows, on the same database as the server. */
export async function startFloor(options: {
  database: 'sqlite' | 'postgres';
  sqliteFile: string;
  pgUrl?: string | undefined;
  sessions: number;
}): Promise<FloorServer> {
  const where = options.database === 'sqlite' ? options.sqliteFile : options.pgUrl!;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'floor-server.ts'), options.database, where, String(options.sessions)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /floor running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`the floor server exited with ${code}:\n${output}`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.on('data', () => {});
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      await stopChild(child, exited, 5000);
      process.off('exit', orphanGuard);
    },
  };
}
