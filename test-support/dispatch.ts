/** A request through a workstation's handler table, as the app makes it, unwrapped for tests. */
import type { Result } from '../common/contract/result.js';
import type { Workstation } from '../electron/services/workstation.js';

export async function callApi<T>(ws: Pick<Workstation, 'dispatch'>, channel: string, arg: unknown): Promise<T> {
  const r = (await ws.dispatch(channel, arg)) as Result<T>;
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value;
}
