/**
 * vtk.js's WebGL image mapper, without the mipmaps it never samples. For a one-component 8-bit
 * image drawn nearest-neighbour (our label, human-edit and uncertainty slices) it asks for a
 * mipmap chain on every upload, yet minifies with NEAREST, which reads level 0 only. In software
 * WebGL (SwiftShader) the chain costs 1.8 ms against 0.3 ms for a 512×512 upload itself, on
 * every brush dab and slice step, and a third more texture memory.
 * Each mapper here gets a texture that builds mipmaps only when its minification filter reads
 * them. Imported once, before any view renders: vtk.js makes the WebGL mapper of every
 * vtkImageMapper through the override registered last.
 */
import { extend as extendOpenGLImageMapper } from '@kitware/vtk.js/Rendering/OpenGL/ImageMapper';
import vtkOpenGLTexture from '@kitware/vtk.js/Rendering/OpenGL/Texture';
import { Filter } from '@kitware/vtk.js/Rendering/OpenGL/Texture/Constants';
import { registerOverride } from '@kitware/vtk.js/Rendering/OpenGL/ViewNodeFactory';
import macro from '@kitware/vtk.js/macros';

type Texture = ReturnType<typeof vtkOpenGLTexture.newInstance>;

interface TextureApi {
  create2DFromRaw: Texture['create2DFromRaw'];
  getMinificationFilter(): Filter;
  setGenerateMipmap(on: boolean): boolean;
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
}

const newTexture = macro.newInstance(extendTexture, 'vtkOpenGLTexture') as (initialValues?: object) => Texture;

function extend(publicAPI: object, model: { openGLTexture?: Texture | null }, initialValues: object = {}): void {
  extendOpenGLImageMapper(publicAPI, model, initialValues);
  // The mapper keeps a texture it finds and uploads each slice through its create2DFromRaw.
  // Resizable, as the mapper's own: a new slice size re-specifies it.
  model.openGLTexture = newTexture({ resizable: true });
}

const newInstance = macro.newInstance(extend, 'vtkOpenGLImageMapper') as (initialValues?: object) => unknown;
registerOverride('vtkAbstractImageMapper', newInstance);
