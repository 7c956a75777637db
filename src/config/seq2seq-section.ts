// model.decoder: seq2seq — the encoder-decoder forecaster (src/models/seq2seq-*.ts) in place of the
// stacked model's direct multi-horizon head. Its cross-field rules live here so the pipeline's
// superRefine stays one line per concern.

/** Cross-field rules of model.decoder seq2seq (for the pipeline's superRefine). */
export function seq2seqIssues(p: {
  readonly model: { readonly cell: string; readonly layers: number; readonly decoder: string; readonly path?: string };
  readonly training: { readonly online: { readonly enabled: boolean } };
}): { message: string; path: (string | number)[] }[] {
  if (p.model.decoder !== 'seq2seq') return [];
  const issues: { message: string; path: (string | number)[] }[] = [];
  if (p.model.cell !== 'lstm' && p.model.cell !== 'gru') {
    issues.push({ message: 'the seq2seq encoder-decoder is built from lstm or gru cells', path: ['model', 'cell'] });
  }
  if (p.model.layers !== 1) {
    issues.push({ message: 'the seq2seq encoder and decoder are one layer each (set layers: 1)', path: ['model', 'layers'] });
  }
  if (p.model.path !== undefined) {
    issues.push({
      message: 'a seq2seq model has no tfjs-layers file: it is fitted at start (offline fit) and kept in checkpoints',
      path: ['model', 'path'],
    });
  }
  if (p.training.online.enabled) {
    issues.push({
      message: 'online retraining swaps stacked models; a seq2seq model is fitted offline only (set training.online.enabled: false)',
      path: ['training', 'online', 'enabled'],
    });
  }
  return issues;
}
