/** The paint-over rule and the editable range live in common/ (the renderer's brush uses them too). */
export { keepEditable, keepOverwritable, paintOverMask } from '../../../../common/paint-over.js';
