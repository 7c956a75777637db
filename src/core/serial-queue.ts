// Runs async operations one after another, in call order: two writes of one file never interleave
// (nor race on its temp file). A failed operation rejects its own caller only; the next one still runs.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
