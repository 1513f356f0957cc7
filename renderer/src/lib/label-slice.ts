/**
 * One slice of the label volume as a 2D image, for the overlay: copied as is (fill mode) or
 * reduced to the boundary pixels of each class (outline mode). The 2D layout keeps the two
 * remaining voxel axes in order, the lower one fastest, as vtk.js expects for an image of
 * thickness one along the sliced axis. A slice index outside the volume gives an empty slice.
 */
import type { Dims, VoxelAxis } from '../../../common/geometry';

/**
 * 'hatch' (a tool's preview): the boundary plus every third diagonal inside, so the image shows
 * through; 'backhatch' (the human-edits overlay): the same along the other diagonal, so the two
 * never read as one.
 */
export type LabelMode = 'fill' | 'outline' | 'hatch' | 'backhatch';

/** The in-plane axes (u fastest, then v) and sizes of a slice along `axis`. */
export function slicePlane(dims: Dims, axis: VoxelAxis): { u: VoxelAxis; v: VoxelAxis; width: number; height: number } {
  const [u, v] = ([0, 1, 2] as const).filter((a) => a !== axis) as [VoxelAxis, VoxelAxis];
  return { u, v, width: dims[u], height: dims[v] };
}

/** Copy slice `s` along `axis` of a volume (i fastest) into `out` (width × height of the plane). */
export function extractSlice(labels: Uint8Array, dims: Dims, axis: VoxelAxis, s: number, out: Uint8Array): void {
  const { u, v, width, height } = slicePlane(dims, axis);
  if (s < 0 || s >= dims[axis]) {
    out.fill(0);
    return;
  }
  const stride = [1, dims[0], dims[0] * dims[1]] as const;
  const base = s * stride[axis];
  const su = stride[u];
  const sv = stride[v];
  for (let y = 0; y < height; y++) {
    const row = base + y * sv;
    const o = y * width;
    if (su === 1) out.set(labels.subarray(row, row + width), o);
    else for (let x = 0; x < width; x++) out[o + x] = labels[row + x * su]!;
  }
}

/**
 * Keep only boundary pixels: a labelled pixel stays when one of its four neighbours has another
 * value or lies outside the slice; interior pixels and background become 0. `src` and `out`
 * must be different arrays.
 */
export function outline(src: Uint8Array, width: number, height: number, out: Uint8Array): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = src[i]!;
      const edge =
        c !== 0 &&
        (x === 0 || y === 0 || x === width - 1 || y === height - 1 || src[i - 1] !== c || src[i + 1] !== c || src[i - width] !== c || src[i + width] !== c);
      out[i] = edge ? c : 0;
    }
  }
}

/**
 * Boundary pixels plus inside pixels on every third diagonal: x + y ≡ 0 mod 3 (a hatched region),
 * or x − y ≡ 0 mod 3 with `back` (hatched the other way).
 */
export function hatch(src: Uint8Array, width: number, height: number, out: Uint8Array, back = false): void {
  outline(src, width, height, out);
  for (let y = 0; y < height; y++) {
    for (let x = back ? y % 3 : (3 - (y % 3)) % 3; x < width; x += 3) {
      const i = y * width + x;
      if (src[i] !== 0) out[i] = src[i]!;
    }
  }
}
