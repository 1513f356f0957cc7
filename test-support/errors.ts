/** What a rejected promise gave a user: the `UserFacingError` (anything else fails the test). */
import { UserFacingError } from '../common/contract/result.js';

export async function failureOf(p: Promise<unknown>): Promise<UserFacingError> {
  const e: unknown = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof UserFacingError)) throw new Error(`expected a UserFacingError, got ${String(e)}`);
  return e;
}

/** The message of the `UserFacingError` a promise rejected with. */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  return (await failureOf(p)).message;
}
