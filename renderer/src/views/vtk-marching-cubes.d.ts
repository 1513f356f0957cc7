/**
 * vtk.js ships its marching-cubes case table without type declarations; these are its two
 * functions as the vtkImageMarchingCubes filter uses them. Voxel corner ids are vtk's: bit 0 is
 * +i, bit 1 is +j, bit 2 is +k.
 */
declare module '@kitware/vtk.js/Filters/General/ImageMarchingCubes/caseTable' {
  interface CaseTable {
    /** Edge ids of the case's triangles, three per triangle, ended by −1; index bits in Lorensen corner order. */
    getCase(index: number): readonly number[];
    /** The two voxel corner ids of an edge, lower corner first. */
    getEdge(edge: number): readonly [number, number];
  }
  const caseTable: CaseTable;
  export default caseTable;
}
