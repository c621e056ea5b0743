// The entry of one conversion worker thread (convert-pool.ts): runs each task it is sent and answers
// with the result or the error's message. Nothing else lives here.
import { parentPort } from 'node:worker_threads';
import { runConvertTask, type ConvertTask } from './convert-work.js';

parentPort?.on('message', (message: { id: number; task: ConvertTask }) => {
  try {
    parentPort?.postMessage({ id: message.id, result: runConvertTask(message.task) });
  } catch (e) {
    parentPort?.postMessage({ id: message.id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort?.postMessage({ ready: true });
