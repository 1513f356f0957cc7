/**
 * One vtk.js render window in a DOM container, as the slice views and the 3D view both use it:
 * render window, renderer and WebGL view, the canvas's context (opaque: the compositor need not
 * blend it with the page), its size in device pixels following the container (ResizeObserver),
 * an optional interactor (the 3D view's mouse camera), a render that leaves a User Timing mark,
 * and the teardown in reverse order. Created in a view's effect, `delete()`d in its cleanup.
 */
import '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import type { vtkOpenGLRenderWindow } from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';

type RenderWindow = ReturnType<typeof vtkRenderWindow.newInstance>;
type Renderer = ReturnType<typeof vtkRenderer.newInstance>;
type Interactor = ReturnType<typeof vtkRenderWindowInteractor.newInstance>;

export interface VtkViewOptions<I extends boolean = boolean> {
  /** Names the User Timing mark of each frame: `hsam:frame:<name>`. */
  readonly name: string;
  /** Multisampling (off for slices: axis-aligned textured quads have no edges to smooth). */
  readonly antialias: boolean;
  /** Mouse interaction through a vtk interactor bound to the container (the 3D view). */
  readonly interactor: I;
  /** After the canvas took the container's size (CSS pixels). */
  readonly onresize?: (size: { readonly w: number; readonly h: number }) => void;
}

export interface VtkView<I extends boolean = boolean> {
  readonly renderWindow: RenderWindow;
  readonly renderer: Renderer;
  readonly openglView: vtkOpenGLRenderWindow;
  readonly gl: WebGL2RenderingContext | null;
  readonly interactor: I extends true ? Interactor : null;
  /** Draw a frame now. */
  render(): void;
  /** Fit the canvas to the container now (the observer does it on every later change). */
  resize(): void;
  delete(): void;
}

/**
 * The WebGL renderer's name (e.g. "ANGLE (…, SwiftShader …)"), from a throwaway context: known
 * before a view's own context is made, whose multisampling cannot change afterwards.
 */
export function webglRendererName(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name: unknown = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return typeof name === 'string' ? name : null;
}

export function createVtkView<I extends boolean>(container: HTMLElement, options: VtkViewOptions<I>): VtkView<I> {
  const renderWindow = vtkRenderWindow.newInstance();
  const renderer = vtkRenderer.newInstance({ background: [0, 0, 0] });
  renderWindow.addRenderer(renderer);
  const openglView = renderWindow.newAPISpecificView('WebGL') as vtkOpenGLRenderWindow;
  renderWindow.addView(openglView);
  // The context vtk will find on its canvas.
  const context: WebGLContextAttributes = { alpha: false, antialias: options.antialias, depth: true, powerPreference: 'high-performance' };
  const gl = openglView.getCanvas()?.getContext('webgl2', context) ?? null;
  openglView.setContainer(container);
  let interactor: Interactor | null = null;
  if (options.interactor) {
    interactor = vtkRenderWindowInteractor.newInstance();
    interactor.setView(openglView);
    interactor.initialize();
    interactor.bindEvents(container);
  }
  const mark = `hsam:frame:${options.name}`;
  const resize = (): void => {
    const r = container.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    openglView.setSize(Math.max(1, Math.floor(r.width * dpr)), Math.max(1, Math.floor(r.height * dpr)));
    options.onresize?.({ w: Math.max(1, r.width), h: Math.max(1, r.height) });
  };
  const observer = new ResizeObserver(resize);
  observer.observe(container);
  return {
    renderWindow,
    renderer,
    openglView,
    gl,
    interactor: interactor as VtkView<I>['interactor'],
    render() {
      renderWindow.render();
      // User Timing: lets a profiler (and `npm run bench -- editing`) tie an input to its frame.
      // Observers still receive the mark; clearing keeps a day of rendering from piling up entries.
      performance.mark(mark);
      performance.clearMarks(mark);
    },
    resize,
    delete() {
      observer.disconnect();
      if (interactor) {
        interactor.unbindEvents();
        interactor.delete();
      }
      openglView.setContainer(null);
      openglView.delete();
      renderer.delete();
      renderWindow.delete();
    },
  };
}
