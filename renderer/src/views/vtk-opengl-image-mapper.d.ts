/**
 * vtk.js ships its WebGL image mapper, view-node factory and shader program without type
 * declarations; these are the functions image-mapper.ts uses to subclass the mapper, as vtk.js's
 * own classes do.
 */
declare module '@kitware/vtk.js/Rendering/OpenGL/ImageMapper' {
  /** Adds the WebGL image mapper's methods and state to `publicAPI` and `model`. */
  export function extend(publicAPI: object, model: object, initialValues?: object): void;
}

declare module '@kitware/vtk.js/Rendering/OpenGL/ViewNodeFactory' {
  /** The WebGL view node made for every scene object of vtk class `className` from now on. */
  export function registerOverride(className: string, newInstance: (initialValues?: object) => unknown): void;
}

declare module '@kitware/vtk.js/Rendering/OpenGL/ShaderProgram' {
  const vtkShaderProgram: {
    /** `source` with `tag` replaced by `lines`, joined by newlines (every occurrence, unless `all` is false). */
    substitute(source: string, tag: string, lines: string | string[], all?: boolean): { replace: boolean; result: string };
  };
  export default vtkShaderProgram;
}
