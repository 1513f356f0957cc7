/**
 * The model registry: every fine-tuned model version the user made, which one is active, and
 * where each came from, in one folder (the app uses `<userData>/models/`):
 *
 *   registry.json      { format, active: versionId | null, versions: [StoredVersion] }
 *   versions/<id>/     a model folder (model.json, encoder.onnx, decoder.onnx, model.pt)
 *
 * The bundled demo model is the root version (id `bundled`): it is read from the app's
 * resources, never copied, and `active: null` means it is the one in use. Every other version
 * records its parent (name, version and registry id), the training set it was fine-tuned on,
 * its held-out Dice and its parent's Dice on the same slices, so the user can compare, switch
 * and roll back to the parent.
 *
 * Invariants: registry.json is replaced atomically (writeFileAtomic) and only after the model
 * folder it names is complete in versions/; operations are serialised within the process (two
 * processes writing one registry at once is not supported: the last write wins).
 * Rejected: a registry.json that is not valid JSON or not this schema (a clear error; it is
 * never silently overwritten, every write reads and validates it first), version folders
 * outside the registry folder, an `active` or `parentId` naming no version, a model folder
 * whose card does not validate or whose graphs are missing or truncated, a second version with
 * the same name and version.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { DiceReport, ModelRegistryState, ModelVersion } from '../../../common/contract/learning.js';
import type { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { loadModelFolder } from '../inference/model-folder.js';
import { writeFileAtomic } from '../storage/atomic-write.js';

export const REGISTRY_FORMAT = 'hsam-model-registry/1';
/** The id of the bundled root version. */
export const BUNDLED_ID = 'bundled';

const VersionId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-"');
const Dice = z.object({ perClass: z.record(z.string(), z.number().min(0).max(1)), mean: z.number().min(0).max(1) });
const ModelRef = z.object({ name: z.string().min(1), version: z.string().min(1) });

const versionShape = {
  id: VersionId.refine((id) => id !== BUNDLED_ID, 'reserved for the bundled model'),
  name: z.string().min(1),
  version: z.string().min(1),
  /** The model folder, relative to the registry folder (versions/<id>). */
  dir: z
    .string()
    .min(1)
    .refine((d) => !isAbsolute(d) && !normalize(d).split(/[\\/]/).includes('..'), 'a folder inside the registry'),
  /** The model it was fine-tuned from, as its card names it… */
  parent: ModelRef.nullable(),
  /** …and that model's registry id (`bundled` for the demo), null when it is not registered. */
  parentId: VersionId.nullable(),
  /** The training set: its manifest id, its folder when known, and its slice count (train + held out). */
  trainingSet: z.object({ id: z.string(), dir: z.string().nullable(), slices: z.number().int().min(0) }).nullable(),
  /** ISO 8601 time the model was written. */
  created: z.string(),
  /** The model on the held-out slices of its training set… */
  quality: Dice.nullable(),
  /** …and its parent on the same slices. */
  baseline: Dice.nullable(),
  steps: z.number().int().min(0).nullable(),
  seconds: z.number().min(0).nullable(),
};
type VersionFields = z.infer<z.ZodObject<typeof versionShape>>;
/** One registered version as registry.json stores it; unknown keys are kept (a newer app may add some). */
export const StoredVersion = z.looseObject(versionShape);
export type StoredVersion = z.infer<typeof StoredVersion>;

export const RegistryFile = z
  .looseObject({ format: z.literal(REGISTRY_FORMAT), active: VersionId.nullable(), versions: z.array(StoredVersion) })
  .superRefine((f, ctx) => {
    const ids = new Set<string>([BUNDLED_ID]);
    f.versions.forEach((v, i) => {
      if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['versions', i, 'id'], message: `duplicate id ${v.id}` });
      ids.add(v.id);
    });
    if (f.active !== null && !ids.has(f.active)) ctx.addIssue({ code: 'custom', path: ['active'], message: `no version ${f.active}` });
    f.versions.forEach((v, i) => {
      if (v.parentId !== null && !ids.has(v.parentId)) ctx.addIssue({ code: 'custom', path: ['versions', i, 'parentId'], message: `no version ${v.parentId}` });
    });
  });
export type RegistryFile = z.infer<typeof RegistryFile>;

/** A version as main sees it: absolute folder, whether it is the bundled one, active, present on disk. */
export interface RegistryVersion extends Omit<VersionFields, 'dir'> {
  readonly dir: string;
  readonly bundled: boolean;
  readonly active: boolean;
  /** False when its folder was deleted behind the registry's back; it cannot be activated. */
  readonly available: boolean;
}

export interface RegisterOptions {
  /** Move the folder into the registry (the trainer's output), or copy it (a folder the user keeps). */
  readonly mode?: 'move' | 'copy';
  /** The training set's folder, recorded for provenance. */
  readonly trainingSetDir?: string;
  /** The parent's registry id; default: the version whose name and version the card's provenance.parent names. */
  readonly parentId?: string;
  /** Make it the active version at once (the app registers first and lets the user switch). */
  readonly activate?: boolean;
}

export interface ModelRegistryOptions {
  /** The registry folder; created on the first write. */
  readonly root: string;
  /** The bundled demo model folder (the root version), or null when the app ships none. */
  readonly bundledDir: string | null;
}

const bad = (message: string): UserFacingError => new UserFacingError('unreadable', message);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function diceOf(card: ModelCard): DiceReport | null {
  return card.quality ? { perClass: card.quality.perClass, mean: card.quality.mean } : null;
}

/** train + val slice count and id from a card's provenance.trainingSet, as the trainer writes it. */
function trainingSetOf(card: ModelCard, dir: string | null): VersionFields['trainingSet'] {
  const ts = z.object({ id: z.string(), train: z.array(z.string()).optional(), val: z.array(z.string()).optional() }).safeParse(card.provenance['trainingSet']);
  if (!ts.success) return null;
  return { id: ts.data.id, dir, slices: (ts.data.train?.length ?? 0) + (ts.data.val?.length ?? 0) };
}

function newId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** The contract's view of a version: no paths cross to the renderer. */
export function toModelVersion(v: RegistryVersion): ModelVersion {
  return {
    id: v.id,
    name: v.name,
    version: v.version,
    parent: v.parent,
    trainingSet: v.trainingSet ? { id: v.trainingSet.id, slices: v.trainingSet.slices } : null,
    created: v.created,
    quality: v.quality,
    baseline: v.baseline,
    active: v.active,
  };
}

export class ModelRegistry {
  readonly root: string;
  readonly file: string;
  private readonly bundledDir: string | null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: ModelRegistryOptions) {
    this.root = resolve(opts.root);
    this.file = join(this.root, 'registry.json');
    this.bundledDir = opts.bundledDir === null ? null : resolve(opts.bundledDir);
  }

  /** Every version, the bundled root first, then in the order they were registered. */
  list(): Promise<RegistryVersion[]> {
    return this.serial(async () => this.views(await this.read()));
  }

  /** The contract's `models.list` result. */
  async state(): Promise<ModelRegistryState> {
    return { versions: (await this.list()).map(toModelVersion) };
  }

  /** The version in use (the bundled one when nothing else was activated). */
  async active(): Promise<RegistryVersion> {
    const all = await this.list();
    const v = all.find((x) => x.active);
    if (!v) throw new UserFacingError('not-found', 'No model version is active and no bundled model ships with this installation.');
    return v;
  }

  async get(id: string): Promise<RegistryVersion> {
    const v = (await this.list()).find((x) => x.id === id);
    if (!v) throw new UserFacingError('not-found', `There is no model version "${id}" in the registry.`);
    return v;
  }

  /**
   * Add a model folder as a new version (validated first), moved or copied into versions/<id>.
   * On any failure the registry is unchanged and a moved folder is put back where it was.
   */
  register(modelDir: string, opts: RegisterOptions = {}): Promise<RegistryVersion> {
    return this.serial(async () => {
      const file = await this.read();
      const src = resolve(modelDir);
      if (isInside(src, join(this.root, 'versions'))) throw new UserFacingError('invalid-argument', `${src} is already a registered version.`);
      const { card } = await loadModelFolder(src);
      const all = await this.views(file);
      const dup = all.find((v) => v.name === card.name && v.version === card.version);
      if (dup) throw new UserFacingError('invalid-argument', `${card.name} ${card.version} is already registered (version ${dup.id}); give the new model another version.`);

      const parent = ModelRef.safeParse(card.provenance['parent']);
      let parentId: string | null = null;
      if (opts.parentId !== undefined) {
        if (!all.some((v) => v.id === opts.parentId)) throw new UserFacingError('not-found', `There is no model version "${opts.parentId}" to be the parent.`);
        parentId = opts.parentId;
      } else if (parent.success) {
        // The newest version with that name and version (names and versions are unique, see above).
        parentId = all.findLast((v) => v.name === parent.data.name && v.version === parent.data.version)?.id ?? null;
      }
      const baseline = Dice.safeParse(card.provenance['baseline']);
      const id = newId();
      const rel = `versions/${id}`;
      const entry: StoredVersion = {
        id,
        name: card.name,
        version: card.version,
        dir: rel,
        parent: parent.success ? parent.data : null,
        parentId,
        trainingSet: trainingSetOf(card, opts.trainingSetDir === undefined ? null : resolve(opts.trainingSetDir)),
        created: typeof card.provenance['created'] === 'string' ? card.provenance['created'] : new Date().toISOString(),
        quality: diceOf(card),
        baseline: baseline.success ? { perClass: baseline.data.perClass, mean: baseline.data.mean } : null,
        steps: num(card.provenance['steps']),
        seconds: num(card.provenance['seconds']),
      };

      const versions = join(this.root, 'versions');
      await mkdir(versions, { recursive: true });
      const staging = join(versions, `.incoming-${id}`);
      const dest = join(this.root, rel);
      const moved = await this.bringIn(src, staging, opts.mode ?? 'move');
      try {
        await loadModelFolder(staging); // the copy is complete (sizes as the card says)
        await rename(staging, dest);
        await this.write({ ...file, versions: [...file.versions, entry], active: opts.activate ? id : file.active });
      } catch (e) {
        const here = existsSync(dest) ? dest : staging;
        if (moved) await rename(here, src).catch(() => undefined);
        else await rm(here, { recursive: true, force: true });
        throw e;
      }
      const view = (await this.views(await this.read())).find((v) => v.id === id);
      if (!view) throw new Error(`registered ${id} but cannot read it back`);
      return view;
    });
  }

  /**
   * A fresh path under `<root>/work/` (its parent created) for a fine-tune's output: on the same
   * disk as versions/, so registering it with `mode: 'move'` is a rename.
   */
  async newWorkDir(): Promise<string> {
    const work = join(this.root, 'work');
    await mkdir(work, { recursive: true });
    return join(work, `finetune-${newId()}`);
  }

  /** Switch to a version (`bundled` for the demo model); its folder is validated first. */
  activate(id: string): Promise<RegistryVersion> {
    return this.serial(async () => this.setActive(await this.read(), id));
  }

  /** Go back to the parent of the active version. */
  rollback(): Promise<RegistryVersion> {
    return this.serial(async () => {
      const file = await this.read();
      const current = (await this.views(file)).find((v) => v.active);
      if (!current || current.bundled) throw new UserFacingError('not-found', 'The bundled model is in use; there is no earlier version to roll back to.');
      if (current.parentId === null) {
        const p = current.parent ? `its parent ${current.parent.name} ${current.parent.version} is not registered` : 'it has no parent';
        throw new UserFacingError('not-found', `Cannot roll back from ${current.name} ${current.version}: ${p}.`);
      }
      return this.setActive(file, current.parentId);
    });
  }

  private async setActive(file: RegistryFile, id: string): Promise<RegistryVersion> {
    const target = (await this.views(file)).find((v) => v.id === id);
    if (!target) throw new UserFacingError('not-found', `There is no model version "${id}" in the registry.`);
    if (!target.available) throw new UserFacingError('not-found', `The folder of ${target.name} ${target.version} (${target.dir}) is gone; it cannot be used.`);
    await loadModelFolder(target.dir);
    await this.write({ ...file, active: target.bundled ? null : id });
    return { ...target, active: true };
  }

  /** Move (rename; copy + delete across disks) or copy `src` to `dest`; true when moved. */
  private async bringIn(src: string, dest: string, mode: 'move' | 'copy'): Promise<boolean> {
    if (mode === 'move') {
      try {
        await rename(src, dest);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw bad(`Could not move ${src} into the model registry: ${(e as Error).message}.`);
      }
    }
    try {
      await cp(src, dest, { recursive: true, errorOnExist: true, force: false });
    } catch (e) {
      await rm(dest, { recursive: true, force: true });
      throw bad(`Could not copy ${src} into the model registry: ${(e as Error).message}.`);
    }
    if (mode === 'move') await rm(src, { recursive: true, force: true });
    return false;
  }

  private async views(file: RegistryFile): Promise<RegistryVersion[]> {
    const out: RegistryVersion[] = [];
    if (this.bundledDir !== null) {
      const { card } = await loadModelFolder(this.bundledDir);
      out.push({
        id: BUNDLED_ID,
        name: card.name,
        version: card.version,
        dir: this.bundledDir,
        parent: null,
        parentId: null,
        trainingSet: trainingSetOf(card, null),
        created: typeof card.provenance['created'] === 'string' ? card.provenance['created'] : '',
        quality: diceOf(card),
        baseline: null,
        steps: num(card.provenance['steps']),
        seconds: num(card.provenance['seconds']),
        bundled: true,
        active: file.active === null,
        available: true,
      });
    }
    for (const v of file.versions) {
      const dir = resolve(this.root, v.dir);
      out.push({ ...v, dir, bundled: false, active: file.active === v.id, available: existsSync(join(dir, 'model.json')) });
    }
    return out;
  }

  /** registry.json, validated; a missing file is an empty registry, a damaged one an error. */
  private async read(): Promise<RegistryFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { format: REGISTRY_FORMAT, active: null, versions: [] };
      throw bad(`Cannot read the model registry ${this.file}: ${(e as Error).message}.`);
    }
    const damaged = (why: string): UserFacingError =>
      bad(`The model registry ${this.file} is damaged (${why}). It was left as it is; move it aside to start a new registry (the model folders in ${join(this.root, 'versions')} are kept).`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw damaged(`not valid JSON: ${(e as Error).message}`);
    }
    const parsed = RegistryFile.safeParse(json);
    if (!parsed.success) throw damaged(z.prettifyError(parsed.error).replace(/\n/g, '; '));
    return parsed.data;
  }

  private async write(file: RegistryFile): Promise<void> {
    const checked = RegistryFile.parse(file); // never write what read() would refuse
    await mkdir(this.root, { recursive: true });
    await writeFileAtomic(this.file, [Buffer.from(`${JSON.stringify(checked, null, 2)}\n`)]);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function isInside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}
