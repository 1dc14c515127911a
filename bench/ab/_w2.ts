import * as T from '@tapegrad/autograd';
import { W2, tapegradStep } from '../../bench/src/workloads.js';
T.setBackend('wasm');
const s = tapegradStep(W2);
for (let i = 0; i < 100; i++) s.step();
