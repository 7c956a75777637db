import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/types.js';
import { actualPoint, alertPoint, forecastPoints, toLine, type PointProblem } from './points.js';

const forecast = (over: Partial<Forecast> = {}): Forecast => ({
  pipeline: 'weather',
  key: 'weather/KSEA/temp_c',
  t: 1_700_000_000_000,
  stepMs: 60_000,
  modelVersion: 'v3',
  mean: Float64Array.of(10.5, 11),
  lower: Float64Array.of(9, 9.25),
  upper: Float64Array.of(12, 12.75),
  ...over,
});

describe('forecastPoints', () => {
  it('writes one point per horizon at t + h·step, with the tags and fields of the README', () => {
    const lines = forecastPoints('tidecast_forecast', forecast()).map(toLine);
    expect(lines).toEqual([
      'tidecast_forecast,horizon=1,model_version=v3,pipeline=weather,stream=weather/KSEA/temp_c lower=9,mean=10.5,upper=12 1700000060000',
      'tidecast_forecast,horizon=2,model_version=v3,pipeline=weather,stream=weather/KSEA/temp_c lower=9.25,mean=11,upper=12.75 1700000120000',
    ]);
  });

  it('escapes spaces, commas and equals signs in tags through Point', () => {
    const [line] = forecastPoints(
      'my forecast',
      forecast({ key: 'a b,c=d', mean: Float64Array.of(1), lower: Float64Array.of(0), upper: Float64Array.of(2) }),
    ).map(toLine);
    expect(line).toBe(
      'my\\ forecast,horizon=1,model_version=v3,pipeline=weather,stream=a\\ b\\,c\\=d lower=0,mean=1,upper=2 1700000060000',
    );
  });

  it('reports non-finite values instead of throwing, and keeps the finite fields', () => {
    const problems: PointProblem[] = [];
    const [line] = forecastPoints(
      'f',
      forecast({ mean: Float64Array.of(Number.NaN), lower: Float64Array.of(1), upper: Float64Array.of(Infinity) }),
      problems,
    ).map(toLine);
    expect(line).toBe('f,horizon=1,model_version=v3,pipeline=weather,stream=weather/KSEA/temp_c lower=1 1700000060000');
    expect(problems).toEqual([
      { field: 'mean', value: Number.NaN },
      { field: 'upper', value: Infinity },
    ]);
  });
});

describe('alertPoint and actualPoint', () => {
  it('writes an alert with state and severity as tags', () => {
    const line = toLine(
      alertPoint('tidecast_alert', {
        pipeline: 'health',
        stream: 'health/p1/hr',
        time: 5_000,
        state: 'firing',
        severity: 'critical',
        score: 4.5,
        actual: 131,
        rule: 'hr_high',
      }),
    );
    expect(line).toBe(
      'tidecast_alert,pipeline=health,rule=hr_high,severity=critical,state=firing,stream=health/p1/hr actual=131,score=4.5 5000',
    );
  });

  it('writes the actual into the series of the forecast that predicted it', () => {
    expect(toLine(actualPoint('f', 'p', 's', 3, 'v1', 9_000, 2.5))).toBe(
      'f,horizon=3,model_version=v1,pipeline=p,stream=s actual=2.5 9000',
    );
  });
});
