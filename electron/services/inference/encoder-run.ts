/** One encoder call on an onnxruntime session: a batch in one run, or the int8 graph slice by slice. */
import * as ort from 'onnxruntime-node';

export interface EncoderCall {
  /** The card's input name and size S: images are [batch, 3, S, S]. */
  readonly inputName: string;
  readonly size: number;
  /**
   * One slice per run: the int8 graph quantizes activations with one scale per tensor, i.e. per
   * call, and one slice per call keeps a slice's labels independent of which slices share its batch.
   */
  readonly perSlice: boolean;
}

export async function runEncoder(session: ort.InferenceSession, call: EncoderCall, images: Float32Array, batch: number): Promise<Float32Array> {
  const s = call.size;
  const run = async (x: Float32Array, b: number): Promise<Float32Array> => {
    const out = await session.run({ [call.inputName]: new ort.Tensor('float32', x, [b, 3, s, s]) });
    return out['embeddings']?.data as Float32Array;
  };
  if (!call.perSlice || batch === 1) return run(images, batch);
  const per = 3 * s * s;
  const parts: Float32Array[] = [];
  for (let k = 0; k < batch; k++) parts.push(await run(images.subarray(k * per, (k + 1) * per), 1));
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.forEach((p, k) => all.set(p, k * p.length));
  return all;
}
