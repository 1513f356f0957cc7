/**
 * The opened study as the renderer holds it: metadata, the voxel array (raw state: large typed
 * arrays are never made deeply reactive), the current slice and display window.
 */
import type { ChosenFile } from '../../../electron/contract/api';
import type { VolumeMeta, VoxelArray } from '../../../electron/contract/volume';
import { hsam, unwrap } from '../api/client';
import { PLANES, viewGeometry, type Plane } from './orientation';
import { defaultWindow, type WindowLevel } from './window-level';

export class Study {
  meta = $state.raw<VolumeMeta | null>(null);
  voxels = $state.raw<VoxelArray | null>(null);
  /** Current slice index of each view, along that view's voxel axis. */
  slices = $state<Record<Plane, number>>({ axial: 0, coronal: 0, sagittal: 0 });
  windowLevel = $state.raw<WindowLevel>({ width: 400, level: 40 });
  loading = $state<string | null>(null);
  error = $state<string | null>(null);

  async open(file: ChosenFile): Promise<void> {
    this.loading = file.name;
    this.error = null;
    try {
      const meta = unwrap(await hsam.volume.open({ fileId: file.fileId }));
      const { voxels } = unwrap(await hsam.volume.getVoxels({ volumeId: meta.volumeId }));
      const previous = this.meta;
      this.meta = meta;
      this.voxels = voxels;
      this.windowLevel = defaultWindow(meta);
      for (const plane of PLANES) {
        this.slices[plane] = Math.floor(meta.dims[viewGeometry(meta.direction, plane).sliceAxis] / 2);
      }
      if (previous) void hsam.volume.close({ volumeId: previous.volumeId });
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loading = null;
    }
  }

  async chooseAndOpen(): Promise<void> {
    const r = await hsam.file.chooseVolume({});
    if (r.ok) await this.open(r.value);
    else if (r.error.code !== 'cancelled') this.error = r.error.message;
  }
}
