import { memo } from 'react';
import { sparklineShape } from '../sparkline';

const WIDTH = 80;
const HEIGHT = 18;

/**
 * A tiny queue-size line (a fleet row's last hour): plain SVG, no chart library for 60 points.
 * `data-points` counts the buckets with a value, for tests and for telling "no history" apart.
 */
export const Sparkline = memo(function Sparkline({ values, stepSec, label }: { values: (number | null)[] | undefined; stepSec: number; label: string }) {
  if (!values) return <span className="muted" data-testid="sparkline" data-points={0}>–</span>;
  const s = sparklineShape(values, WIDTH, HEIGHT);
  const title = `${label}: ${s.known ? `at most ${s.max}, last ${s.last}` : 'no samples'} (one point per ${stepSec / 60} min)`;
  return (
    <svg className="sparkline" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title} data-testid="sparkline" data-points={s.known} data-max={s.max}>
      <title>{title}</title>
      {/* the hour's extent, so a host with only minutes of history still reads as a chart */}
      <line className="sparkline-base" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      {s.runs.map((points) => (
        <polyline key={points} points={points} data-points={points.split(' ').length} />
      ))}
      {s.dots.map((d) => (
        <circle key={`${d.x}`} cx={d.x} cy={d.y} r={1.2} />
      ))}
    </svg>
  );
});
