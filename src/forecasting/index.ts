export { OnlineForecaster, defaultProfiles } from './online-forecaster.js';
export type { HeadProfile, OnlineForecasterOptions } from './online-forecaster.js';
export { fitZScore, applyZScore } from './z-score.js';
export type { ZScore } from './z-score.js';
export { RecurrentReservoir } from './recurrent-reservoir.js';
