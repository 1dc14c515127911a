import { TapegradError } from '@tapegrad/autograd';

/** A checkpoint that cannot be read, written, or does not fit the module; the message names the file, the tensor and the problem. */
export class CheckpointError extends TapegradError {
  override name = 'CheckpointError';
}
