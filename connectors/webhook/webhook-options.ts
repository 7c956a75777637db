import { z } from 'zod';

export const WebhookSinkOptions = z
  .object({
    url: z.url().describe('Endpoint that receives one POST of JSON per alert event.'),
    secret: z.string().min(1).describe('HMAC-SHA256 key; the signature goes in X-Tidecast-Signature: sha256=<hex of the body>.'),
    timeout_ms: z.number().int().positive().default(5_000).describe('Per attempt.'),
    max_attempts: z.number().int().min(1).default(5).describe('Attempts per event, the first included.'),
    backoff_initial_ms: z.number().int().min(0).default(250).describe('Backoff cap before the second attempt; doubles each retry.'),
    backoff_max_ms: z.number().int().min(0).default(30_000).describe('Largest backoff cap.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  })
  .strict();
export type WebhookSinkOptions = z.infer<typeof WebhookSinkOptions>;
