/**
 * A workstation as the service tests use it: no dialogs unless given, the shipped demo as its
 * default model, loaded on the CPU before the tests begin.
 */
import { createWorkstation, type Workstation, type WorkstationOptions } from '../electron/services/workstation.js';
import { DEMO_DIR } from './demo-model.js';
import { callApi } from './dispatch.js';

type Defaults = 'version' | 'emit' | 'dialogs' | 'defaultModelDir';

export async function demoWorkstation(opts: Omit<WorkstationOptions, Defaults> & Partial<Pick<WorkstationOptions, Defaults>>): Promise<Workstation> {
  const ws = createWorkstation({
    version: 'test',
    emit: () => {},
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    defaultModelDir: DEMO_DIR,
    ...opts,
  });
  const startup = await callApi<{ defaultModel: { fileId: string } }>(ws, 'app.getStartup', {});
  await callApi(ws, 'model.load', { fileId: startup.defaultModel.fileId, device: 'cpu' });
  return ws;
}
