/**
 * The command registry (VolView's ACTION_TO_FUNC / ACTION_TO_KEY, OHIF's CommandsManager): one
 * table of id → key, label, run. It drives the keyboard, the toolbar's buttons and their
 * tooltips, and the keyboard-help screen ('?'), so a key is written down once and the help can
 * never disagree with what a key does.
 *
 * A command may be conditional (`when`): Enter applies a preview only while there is one, and
 * otherwise falls through to the next command with that key. Keys are matched on
 * `KeyboardEvent.key` (lower-cased for letters) and the Ctrl/⌘ and Shift modifiers.
 */

export interface KeySpec {
  /** `KeyboardEvent.key`, letters lower case ('b', '[', 'Enter', 'Escape', '?'). */
  readonly key: string;
  /** Ctrl (⌘ on macOS) held. */
  readonly mod?: boolean;
  /** Shift held (only checked when set: '?' and '[' come with whatever Shift the layout needs). */
  readonly shift?: boolean;
}

export interface Command {
  readonly id: string;
  readonly keys: readonly KeySpec[];
  readonly label: string;
  /** How help and tooltips show its keys when listing them one by one would not read well ('1–9'). */
  readonly keyText?: string;
  /** Where the help screen lists it. */
  readonly group: 'Tools' | 'Brush' | 'Labels' | 'Preview' | 'Review' | 'Worklist' | 'View' | 'Help';
  /** Runs the command; `key` is the key that ran it (null from a button): presets 1–9 share one command. */
  readonly run: (key: string | null) => void;
  /** When it applies; a command that does not apply lets the key pass to the next one. */
  readonly when?: () => boolean;
}

export interface KeyLike {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
}

const norm = (key: string): string => (key.length === 1 ? key.toLowerCase() : key);

export function matches(spec: KeySpec, e: KeyLike): boolean {
  const mod = e.ctrlKey || e.metaKey;
  if (norm(spec.key) !== norm(e.key) || (spec.mod ?? false) !== mod) return false;
  return spec.shift === undefined || spec.shift === e.shiftKey;
}

/** Run the first command whose key matches and that applies; the command run, or null. */
export function dispatchKey(commands: readonly Command[], e: KeyLike): Command | null {
  for (const c of commands) {
    if (!c.keys.some((k) => matches(k, e))) continue;
    if (c.when && !c.when()) continue;
    c.run(norm(e.key));
    return c;
  }
  return null;
}

/** A key as the help and tooltips show it: 'Ctrl+Shift+Z', 'B', '[', 'Enter'. */
export function keyLabel(k: KeySpec): string {
  const name = k.key.length === 1 ? k.key.toUpperCase() : k.key;
  return `${k.mod ? 'Ctrl+' : ''}${k.shift ? 'Shift+' : ''}${name}`;
}

/** Every key of a command, for a tooltip: 'Ctrl+Shift+Z or Ctrl+Y'. */
export const keysOf = (c: Command): string => c.keyText ?? c.keys.map(keyLabel).join(' or ');

/** A command by id (a button's tooltip and action); throws on an unknown id: a typo is a bug. */
export function command(commands: readonly Command[], id: string): Command {
  const c = commands.find((x) => x.id === id);
  if (!c) throw new Error(`no command ${id}`);
  return c;
}

/** Keys bound to more than one command that could both apply at once (no `when` on either). */
export function clashes(commands: readonly Command[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const c of commands) {
    if (c.when) continue;
    for (const k of c.keys) {
      const id = `${k.mod ? 'mod+' : ''}${k.shift === undefined ? '' : k.shift ? 'shift+' : 'noshift+'}${norm(k.key)}`;
      const other = seen.get(id);
      if (other) out.push(`${keyLabel(k)}: ${other} and ${c.id}`);
      else seen.set(id, c.id);
    }
  }
  return out;
}
