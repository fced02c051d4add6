/** A failure with the step and file the ack reports (STYLE.md: the agent names the file and the step). */
export class StepError extends Error {
  constructor(readonly step: string, message: string, readonly file?: string) {
    super(message);
  }

  static wrap(step: string, err: unknown, file?: string): StepError {
    if (err instanceof StepError) return err;
    return new StepError(step, err instanceof Error ? err.message : String(err), file);
  }

  toAckError(): { file?: string; step: string; message: string } {
    return this.file === undefined ? { step: this.step, message: this.message } : { file: this.file, step: this.step, message: this.message };
  }
}
