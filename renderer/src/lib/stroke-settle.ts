/**
 * How long after a brush stroke ends the views that follow whole strokes wait for the next one
 * before they catch up, ms: the 3D surfaces, the side panel and the slice status strip. Strokes
 * in quick succession (touching up an edge) then paint only the slice views between them.
 */
export const SETTLE_MS = 300;
