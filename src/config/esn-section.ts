import { z } from 'zod';

// model.esn: the settings of an echo state network (model.cell: esn). The reservoir is fixed and
// seeded (model.seed); only its readout is fitted, in closed form (ridge) on the offline fit window
// (training.offline), never by backpropagation. Online, the served readouts (model.forecaster
// hybrid) adapt per stream by RLS on top of it.

export const EsnSection = z
  .object({
    spectral_radius: z
      .number()
      .positive()
      .max(2)
      .default(0.9)
      .describe(
        'Largest |eigenvalue| of the fixed recurrent matrix (scaled by a power-iteration estimate); below 1 the reservoir forgets its initial state.',
      ),
    leak_rate: z
      .number()
      .gt(0)
      .max(1)
      .default(0.3)
      .describe('Leak rate a of h = (1 - a)·h + a·tanh(...): small = slow, long memory; 1 = no leak.'),
    input_scaling: z.number().positive().max(10).default(0.5).describe('Input weights and biases uniform in ± this.'),
    sparsity: z.number().min(0).lt(1).default(0.9).describe('Fraction of recurrent weights that are zero.'),
    ridge: z.number().nonnegative().default(1e-3).describe('Ridge penalty of the readout per fitted row (λ in MSE + λ‖w‖²).'),
    washout_steps: z
      .number()
      .int()
      .nonnegative()
      .default(48)
      .describe("Steps at the start of each stream's fit window not fitted on (the transient from the zero state)."),
  })
  .strict();

export type EsnSection = z.infer<typeof EsnSection>;

export const ESN_DEFAULTS: EsnSection = EsnSection.parse({});

/** Cross-field rules of model.cell esn (for the pipeline's superRefine). */
export function esnIssues(p: {
  readonly model: { readonly cell: string; readonly esn?: EsnSection };
  readonly training: { readonly online: { readonly enabled: boolean } };
}): { message: string; path: (string | number)[] }[] {
  const issues: { message: string; path: (string | number)[] }[] = [];
  if (p.model.cell !== 'esn' && p.model.esn !== undefined) {
    issues.push({ message: 'model.esn applies to model.cell: esn only', path: ['model', 'esn'] });
  }
  if (p.model.cell === 'esn' && p.training.online.enabled) {
    issues.push({
      message:
        'an echo state network is not trained by backpropagation: its reservoir is fixed and its readout is fitted in closed form by the offline fit (the served readouts adapt online per stream); set training.online.enabled: false',
      path: ['training', 'online', 'enabled'],
    });
  }
  return issues;
}
