/**
 * vtk.js's WebGL image mapper with two changes for the slice views, registered for every
 * vtkImageMapper (vtk.js makes the WebGL mapper through the override registered last; imported
 * once, before any view renders):
 *
 * - No mipmaps it never samples. For a one-component 8-bit image drawn nearest-neighbour (our
 *   human-edit, uncertainty and preview slices) vtk asks for a mipmap chain on every upload, yet
 *   minifies with NEAREST, which reads level 0 only. In software WebGL (SwiftShader) the chain
 *   costs 1.8 ms against 0.3 ms for a 512×512 upload itself, on every brush dab and slice step.
 * - No new float copy of each slice. Where WebGL has no 16-bit normalised textures (SwiftShader,
 *   some GPUs) vtk uploads a CT slice as float32 and converts it with `new Float32Array(slice)`
 *   on every slice step: for 512×512 int16 ~2–3 ms and 1 MB of garbage a step, where copying
 *   into a buffer the texture keeps takes ~0.03 ms (a scroll's page profile: 231 → 10 ms).
 * - Labels in the image's own pass (`fuseLabels`). A label slice drawn as an image of its own is
 *   a second pass over the whole view, blended: in SwiftShader ~3.7 ms a frame for a 560×420
 *   view, as much as the image itself, on every dab and slice step. Fused, the image's fragment
 *   shader reads the label byte at the same texture coordinate (the label slice has the image's
 *   slice layout) and mixes in its colour from a 256-entry table: one pass, the same picture.
 */
import { extend as extendOpenGLImageMapper } from '@kitware/vtk.js/Rendering/OpenGL/ImageMapper';
import vtkOpenGLTexture from '@kitware/vtk.js/Rendering/OpenGL/Texture';
import { Filter, Wrap } from '@kitware/vtk.js/Rendering/OpenGL/Texture/Constants';
import { registerOverride } from '@kitware/vtk.js/Rendering/OpenGL/ViewNodeFactory';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkShaderProgram from '@kitware/vtk.js/Rendering/OpenGL/ShaderProgram';
import type vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import macro from '@kitware/vtk.js/macros';

/** vtk's WebGL texture, with the setters its declarations leave out. */
type Texture = ReturnType<typeof vtkOpenGLTexture.newInstance> & {
  setMinificationFilter(f: Filter): boolean;
  setMagnificationFilter(f: Filter): boolean;
  setWrapS(w: Wrap): boolean;
  setWrapT(w: Wrap): boolean;
  getHandle(): unknown;
};

/**
 * A label slice drawn in its image's pass: `slice` holds one byte per pixel of the mapper's shown
 * slice, in the layout vtk uploads that slice in (an image one voxel thick along the sliced axis,
 * x fastest); `lut` is 256 RGBA entries (straight alpha) indexed by the byte. The owner writes
 * them in place and bumps the versions; the next frame uploads what changed.
 */
export interface FusedLabels {
  readonly slice: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly lut: Uint8Array;
  sliceVersion: number;
  lutVersion: number;
}

const fused = new WeakMap<object, FusedLabels>();

/** Draw `labels` in `mapper`'s own pass from its next frame on (null: no labels). */
export function fuseLabels(mapper: ReturnType<typeof vtkImageMapper.newInstance>, labels: FusedLabels | null): void {
  if (labels) fused.set(mapper, labels);
  else fused.delete(mapper);
}

interface TextureApi {
  create2DFromRaw: Texture['create2DFromRaw'];
  getMinificationFilter(): Filter;
  setGenerateMipmap(on: boolean): boolean;
  /** vtk's conversion of the arrays to upload to its texture's GL type (one per level or slice). */
  updateArrayDataTypeForGL: (dataType: VtkDataType, data: (ArrayLike<number> | null)[], depth?: boolean, imageExtents?: unknown[]) => (ArrayLike<number> | null)[];
}

type VtkDataType = (typeof vtkDataArray.VtkDataTypes)[keyof typeof vtkDataArray.VtkDataTypes];

/** What extendTexture reads of vtk's texture model. */
interface TextureModel {
  context: WebGL2RenderingContext;
  openGLDataType: number;
  width: number;
  height: number;
  components: number;
}

const READS_MIPMAPS: ReadonlySet<Filter> = new Set([Filter.NEAREST_MIPMAP_NEAREST, Filter.NEAREST_MIPMAP_LINEAR, Filter.LINEAR_MIPMAP_NEAREST, Filter.LINEAR_MIPMAP_LINEAR]);

/** A vtk texture whose uploads build mipmaps only for a minification filter that reads them. */
function extendTexture(publicAPI: object, model: object, initialValues: object = {}): void {
  vtkOpenGLTexture.extend(publicAPI, model, initialValues);
  // vtk instances are frozen once made: the method is replaced here, as vtk's subclasses do.
  const api = publicAPI as TextureApi;
  const upload = api.create2DFromRaw;
  api.create2DFromRaw = (args) => {
    if (!READS_MIPMAPS.has(api.getMinificationFilter())) api.setGenerateMipmap(false);
    return upload(args);
  };
  // A whole 2D image of integers to a float texture: the same values, copied into a buffer this
  // texture keeps (its upload reads it at once). Anything else goes the way vtk goes.
  const texture = model as TextureModel;
  const convert = api.updateArrayDataTypeForGL;
  let floats: Float32Array<ArrayBuffer> | null = null;
  api.updateArrayDataTypeForGL = (dataType, data, depth = false, imageExtents = []) => {
    const one = data.length === 1 ? data[0] : null;
    if (depth || imageExtents.length > 0 || !one || !ArrayBuffer.isView(one) || dataType === vtkDataArray.VtkDataTypes.FLOAT || texture.openGLDataType !== texture.context.FLOAT) {
      return convert(dataType, data, depth, imageExtents);
    }
    const values = one as unknown as Int16Array;
    const n = Math.min(texture.width * texture.height * texture.components, values.length);
    if (floats?.length !== n) floats = new Float32Array(n);
    floats.set(values.subarray(0, n));
    return [floats];
  };
}

const newTexture = macro.newInstance(extendTexture, 'vtkOpenGLTexture') as (initialValues?: object) => Texture;

/** What this file uses of vtk's untyped WebGL mapper and shader program. */
interface Program {
  isUniformUsed(name: string): boolean;
  setUniformi(name: string, v: number): boolean;
}
interface CellBO {
  getProgram(): Program;
}
interface Shaders {
  Vertex: string;
  Fragment: string;
}
/** vtk's methods are closures over their model (no `this`): they can be kept and called apart. */
interface MapperApi {
  replaceShaderValues: (shaders: Shaders, ren: unknown, actor: unknown) => void;
  getNeedToRebuildShaders: (cellBO: CellBO, ren: unknown, actor: unknown) => boolean;
  setMapperShaderParameters: (cellBO: CellBO, ren: unknown, actor: unknown) => void;
  renderPieceDraw: (ren: unknown, actor: unknown) => void;
  delete: () => void;
}
interface MapperModel {
  openGLTexture?: Texture | null;
  renderable: object;
  _openGLRenderWindow: unknown;
}

const substitute = (source: string, tag: string, lines: string[]): string => vtkShaderProgram.substitute(source, tag, lines).result;

/**
 * After vtk's colouring of the image (which ends `gl_FragData[0] = vec4(colour, opacity)`): the
 * label's table colour over it, as a blended pass would put it over an opaque image. The byte
 * v reads as v/255; entry v of the 256-wide table sits at (v + 0.5) / 256.
 */
const FUSED_DEC = ['uniform sampler2D hsamLabels;', 'uniform sampler2D hsamLabelLut;'];
const FUSED_IMPL = [
  'vec4 hsamLabel = texture2D(hsamLabelLut, vec2(texture2D(hsamLabels, tcoordVCVSOutput).r * (255.0 / 256.0) + 0.5 / 256.0, 0.5));',
  'gl_FragData[0].rgb = mix(gl_FragData[0].rgb, hsamLabel.rgb, hsamLabel.a);',
];

function extend(publicAPI: object, state: object, initialValues: object = {}): void {
  extendOpenGLImageMapper(publicAPI, state, initialValues);
  const model = state as MapperModel;
  // The mapper keeps a texture it finds and uploads each slice through its create2DFromRaw.
  // Resizable, as the mapper's own: a new slice size re-specifies it.
  model.openGLTexture = newTexture({ resizable: true });

  const api = publicAPI as MapperApi;
  const labels = (): FusedLabels | undefined => fused.get(model.renderable);
  /** The label slice and its table on the GPU, and the versions uploaded. */
  let gpu: { slice: Texture; lut: Texture; sliceVersion: number; lutVersion: number; width: number; height: number } | null = null;
  let shaderHasLabels = false;

  const release = (): void => {
    gpu?.slice.releaseGraphicsResources(model._openGLRenderWindow as never);
    gpu?.lut.releaseGraphicsResources(model._openGLRenderWindow as never);
    gpu = null;
  };
  const texture = (): Texture => {
    const t = newTexture({ resizable: true });
    t.setMinificationFilter(Filter.NEAREST);
    t.setMagnificationFilter(Filter.NEAREST);
    t.setWrapS(Wrap.CLAMP_TO_EDGE);
    t.setWrapT(Wrap.CLAMP_TO_EDGE);
    return t;
  };
  /** Upload what changed since the last frame. */
  const upload = (l: FusedLabels): void => {
    gpu ??= { slice: texture(), lut: texture(), sliceVersion: NaN, lutVersion: NaN, width: 0, height: 0 };
    const window = model._openGLRenderWindow as never;
    gpu.slice.setOpenGLRenderWindow(window);
    gpu.lut.setOpenGLRenderWindow(window);
    if (gpu.sliceVersion !== l.sliceVersion || gpu.width !== l.width || gpu.height !== l.height || !gpu.slice.getHandle()) {
      gpu.slice.create2DFromRaw({ width: l.width, height: l.height, numComps: 1, dataType: vtkDataArray.VtkDataTypes.UNSIGNED_CHAR, data: l.slice });
      gpu.sliceVersion = l.sliceVersion;
      gpu.width = l.width;
      gpu.height = l.height;
    }
    if (gpu.lutVersion !== l.lutVersion || !gpu.lut.getHandle()) {
      gpu.lut.create2DFromRaw({ width: 256, height: 1, numComps: 4, dataType: vtkDataArray.VtkDataTypes.UNSIGNED_CHAR, data: l.lut });
      gpu.lutVersion = l.lutVersion;
    }
  };

  const replaceShaderValues = api.replaceShaderValues;
  api.replaceShaderValues = (shaders, ren, actor) => {
    shaderHasLabels = labels() !== undefined;
    if (shaderHasLabels) {
      // Tags of our own after vtk's, which vtk's replacement consumes.
      shaders.Fragment = substitute(shaders.Fragment, '//VTK::TCoord::Dec', ['//VTK::TCoord::Dec', '//HSAM::Labels::Dec']);
      shaders.Fragment = substitute(shaders.Fragment, '//VTK::TCoord::Impl', ['//VTK::TCoord::Impl', '//HSAM::Labels::Impl']);
    }
    replaceShaderValues(shaders, ren, actor);
    if (shaderHasLabels) {
      shaders.Fragment = substitute(shaders.Fragment, '//HSAM::Labels::Dec', FUSED_DEC);
      shaders.Fragment = substitute(shaders.Fragment, '//HSAM::Labels::Impl', FUSED_IMPL);
    }
  };
  const needToRebuild = api.getNeedToRebuildShaders;
  api.getNeedToRebuildShaders = (cellBO, ren, actor) => {
    // Evaluated first: vtk's check records its own state as it goes.
    const changed = shaderHasLabels !== (labels() !== undefined);
    return needToRebuild(cellBO, ren, actor) || changed;
  };
  const setParameters = api.setMapperShaderParameters;
  api.setMapperShaderParameters = (cellBO, ren, actor) => {
    setParameters(cellBO, ren, actor);
    const program = cellBO.getProgram();
    if (!gpu || !program.isUniformUsed('hsamLabels')) return;
    program.setUniformi('hsamLabels', gpu.slice.getTextureUnit());
    program.setUniformi('hsamLabelLut', gpu.lut.getTextureUnit());
  };
  const draw = api.renderPieceDraw;
  api.renderPieceDraw = (ren, actor) => {
    const l = labels();
    if (!l) {
      if (gpu) release();
      draw(ren, actor);
      return;
    }
    upload(l);
    const { slice, lut } = gpu!;
    slice.activate();
    lut.activate();
    draw(ren, actor);
    slice.deactivate();
    lut.deactivate();
  };
  const remove = api.delete;
  api.delete = () => {
    release();
    remove();
  };
}

const newInstance = macro.newInstance(extend, 'vtkOpenGLImageMapper') as (initialValues?: object) => unknown;
registerOverride('vtkAbstractImageMapper', newInstance);
