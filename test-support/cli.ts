/** Run the `hsam` command line in-process, collecting what it prints. */
import { runCli } from '../electron/cli/hsam.js';

export async function runHsam(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(
    args,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}
