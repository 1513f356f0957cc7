/** What every independent reader (nibabel, pydicom) reports of a volume, in LPS millimetres. */
export interface ReferenceGeometry {
  readonly dims: [number, number, number];
  readonly spacing: [number, number, number];
  readonly origin: [number, number, number];
  /** Row-major 3×3; columns are the i, j, k axes. */
  readonly direction: number[];
  readonly min: number;
  readonly max: number;
}
