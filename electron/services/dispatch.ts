/**
 * The single entry for every API request, whatever the transport (Electron IPC, the CLI, the
 * test host): look the channel up, parse the argument with the contract's schema, run the
 * handler, and turn any failure into an error value. Nothing a caller sends can throw past here.
 */
import { z } from 'zod';
import { methods, type ArgsOf, type Channel, type ParsedArgsOf, type ResultOf } from '../../common/contract/api.js';
import { fail, ok, UserFacingError, type Result } from '../../common/contract/result.js';

/** One handler per channel; it receives the parsed argument and may throw `UserFacingError`. */
export type Handlers = { readonly [C in Channel]: (arg: ParsedArgsOf<C>) => Promise<ResultOf<C>> };

/** What a transport (Electron IPC, the test host's socket) hands in: any name, any argument. */
export type TransportDispatch = (channel: string, arg: unknown) => Promise<Result<unknown>>;

/** The same entry, typed per channel, for callers in this process (the CLI through `buildApi`, tests). */
export type Dispatch = <C extends Channel>(channel: C, arg: ArgsOf<C>) => Promise<Result<ResultOf<C>>>;

const isChannel = (c: string): c is Channel => Object.hasOwn(methods, c);

export function createDispatcher(handlers: Handlers, log: (line: string) => void = () => {}): TransportDispatch {
  return async (channel, arg) => {
    if (!isChannel(channel)) return fail('unknown-method', `Unknown request "${channel}".`);
    const parsed = methods[channel].args.safeParse(arg);
    if (!parsed.success) {
      return fail('invalid-argument', `${channel}: invalid argument. ${z.prettifyError(parsed.error)}`);
    }
    try {
      const handler = handlers[channel] as (a: unknown) => Promise<unknown>;
      return ok(await handler(parsed.data));
    } catch (e) {
      if (e instanceof UserFacingError) return fail(e.code, e.message);
      // A bug, not bad input: keep the process alive and say what failed.
      log(`${channel} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fail('internal', `${channel} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
