import { describe, expect, it } from 'vitest';
import { clashes, dispatchKey, keyLabel, keysOf, type Command } from './commands';

const ev = (key: string, mods: { ctrl?: boolean; shift?: boolean } = {}) => ({ key, ctrlKey: mods.ctrl ?? false, metaKey: false, shiftKey: mods.shift ?? false });

describe('command registry', () => {
  const ran: string[] = [];
  let preview = false;
  const commands: Command[] = [
    { id: 'undo', keys: [{ key: 'z', mod: true, shift: false }], label: 'Undo', group: 'Labels', run: () => ran.push('undo') },
    { id: 'redo', keys: [{ key: 'z', mod: true, shift: true }, { key: 'y', mod: true }], label: 'Redo', group: 'Labels', run: () => ran.push('redo') },
    { id: 'apply', keys: [{ key: 'Enter' }], label: 'Apply', group: 'Preview', run: () => ran.push('apply'), when: () => preview },
    { id: 'zoom', keys: [{ key: 'z' }], label: 'Zoom', group: 'Tools', run: () => ran.push('zoom') },
    { id: 'brush', keys: [{ key: 'b' }], label: 'Brush', group: 'Tools', run: () => ran.push('brush') },
  ];

  it('runs the command whose key and modifiers match; a plain key is not its Ctrl chord', () => {
    ran.length = 0;
    dispatchKey(commands, ev('z'));
    dispatchKey(commands, ev('Z', { ctrl: true }));
    dispatchKey(commands, ev('Z', { ctrl: true, shift: true }));
    dispatchKey(commands, ev('y', { ctrl: true }));
    dispatchKey(commands, ev('B'));
    expect(ran).toEqual(['zoom', 'undo', 'redo', 'redo', 'brush']);
    expect(dispatchKey(commands, ev('q'))).toBeNull();
  });

  it('a conditional command lets its key through when it does not apply', () => {
    ran.length = 0;
    preview = false;
    expect(dispatchKey(commands, ev('Enter'))).toBeNull();
    preview = true;
    expect(dispatchKey(commands, ev('Enter'))?.id).toBe('apply');
    expect(ran).toEqual(['apply']);
  });

  it('labels keys for tooltips and help, and finds clashing keys', () => {
    expect(keyLabel({ key: 'z', mod: true, shift: true })).toBe('Ctrl+Shift+Z');
    expect(keysOf(commands[1]!)).toBe('Ctrl+Shift+Z or Ctrl+Y');
    expect(clashes(commands)).toEqual([]);
    expect(clashes([...commands, { id: 'bold', keys: [{ key: 'B' }], label: '', group: 'Tools', run: () => {} }])).toEqual(['B: brush and bold']);
  });
});

describe('the workstation’s commands', () => {
  it('bind no key twice where both could run, and give every toolbar tool a command and key', async () => {
    const { appCommands, TOOLS } = await import('./app-commands');
    // Only the table's shape is read here; nothing runs.
    const parts = { editor: {}, viewer: {}, display: {}, markReviewed: () => {}, nextToReview: () => {}, toggleHelp: () => {} } as unknown as Parameters<typeof appCommands>[0];
    const cmds = appCommands(parts);
    expect(clashes(cmds)).toEqual([]);
    expect(new Set(cmds.map((c) => c.id)).size).toBe(cmds.length);
    for (const t of TOOLS) expect(keysOf(cmds.find((c) => c.id === `tool.${t.tool}`)!)).toBe(t.key.toUpperCase());
  });
});
