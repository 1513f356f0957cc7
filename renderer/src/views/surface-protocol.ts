/** Messages between the 3D view and its label-surface worker (surface-worker.ts). */
import type { Dims, SurfaceStep } from './surface-mesh';

export type SurfaceRequest =
  /** A whole label volume (the worker keeps it as its mirror): extract every surface. */
  | { readonly kind: 'reset'; readonly id: number; readonly dims: Dims; readonly labels: Uint8Array; readonly flip: boolean; readonly step: SurfaceStep }
  /** Voxels that changed since the last request, with their new class. */
  | { readonly kind: 'changes'; readonly id: number; readonly indices: Uint32Array; readonly values: Uint8Array };

/** The surface of one class within one chunk (see surface-mesh.ts). */
export interface ClassSurface {
  readonly cls: number;
  readonly chunk: number;
  /** Voxel index coordinates, xyz per vertex. */
  readonly positions: Float32Array;
  readonly normals: Float32Array;
  /** vtk cell array (3, a, b, c per triangle); empty when the class has no surface. */
  readonly polys: Uint32Array;
}

export interface SurfaceReply {
  readonly kind: 'meshes';
  /** The request answered. */
  readonly id: number;
  /** A reset's answer: classes and chunks not listed have no surface. */
  readonly full: boolean;
  readonly surfaces: readonly ClassSurface[];
  /** Bricks re-extracted. */
  readonly bricks: number;
  /** Voxels the request carried. */
  readonly voxels: number;
  /** Time in the worker, ms. */
  readonly extractMs: number;
}
