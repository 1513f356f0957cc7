/**
 * The label-surface worker: runs a SurfaceStore (surface-store.ts) off the main thread, so the
 * render loop never runs marching cubes. Each request (`reset` with a whole label volume, or
 * `changes` with the voxels that changed) gets one `meshes` reply, in order, whose buffers are
 * transferred.
 */
import { SurfaceStore } from './surface-store';
import type { SurfaceReply, SurfaceRequest } from './surface-protocol';

interface WorkerScope {
  onmessage: ((e: MessageEvent<SurfaceRequest>) => void) | null;
  postMessage(message: SurfaceReply, transfer: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
const store = new SurfaceStore();

scope.onmessage = (e) => {
  const started = performance.now();
  const msg = e.data;
  const full = msg.kind === 'reset';
  const { surfaces, bricks } = full ? store.reset(msg.dims, msg.labels, msg.flip, msg.step) : store.apply(msg.indices, msg.values);
  const transfer = surfaces.flatMap((s) => [s.positions.buffer, s.normals.buffer, s.polys.buffer]);
  const voxels = full ? msg.labels.length : msg.indices.length;
  scope.postMessage({ kind: 'meshes', id: msg.id, full, surfaces, bricks, voxels, extractMs: performance.now() - started }, transfer);
};
