// Worker entry: the project runs TypeScript through tsx without a build, and a worker thread does
// not inherit the parent's loader, so it registers tsx itself before loading the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./producer-worker.ts');
