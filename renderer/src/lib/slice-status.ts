/** Review status of a slice as the label state codes it (`LabelState.sliceStatus`). */

export const STATUS_NAMES = ['untouched', 'auto', 'corrected', 'reviewed'] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

/** The name of a status code; unknown codes read as untouched. */
export function statusName(code: number | undefined): StatusName {
  return STATUS_NAMES[code ?? 0] ?? 'untouched';
}
