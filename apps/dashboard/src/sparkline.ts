/** A sparkline's drawing, apart from React: runs of known points as SVG polyline coordinates. */
export interface SparklineShape {
  /** one "x,y x,y …" per run of points without a gap (a gap: no sample, the agent away) */
  runs: string[];
  /** lone points between gaps, drawn as dots (a polyline of one point draws nothing) */
  dots: { x: number; y: number }[];
  /** how many buckets have a value */
  known: number;
  max: number;
  last: number | null;
}

/**
 * Scales `values` (one per bucket, null: none) into a width × height box, 0 at the bottom edge
 * and the hour's largest value at the top, so a flat empty queue reads as a line along the bottom.
 * `pad` keeps the stroke inside the box.
 */
export function sparklineShape(values: (number | null)[], width: number, height: number, pad = 1): SparklineShape {
  const known = values.filter((v): v is number => v !== null);
  const max = Math.max(1, ...known);
  const dx = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const y = (v: number) => round(height - pad - (v / max) * (height - 2 * pad));
  const runs: string[] = [];
  const dots: { x: number; y: number }[] = [];
  let run: { x: number; y: number }[] = [];
  const end = () => {
    if (run.length === 1) dots.push(run[0]);
    else if (run.length > 1) runs.push(run.map((p) => `${p.x},${p.y}`).join(' '));
    run = [];
  };
  values.forEach((v, i) => {
    if (v === null) end();
    else run.push({ x: round(pad + i * dx), y: y(v) });
  });
  end();
  return { runs, dots, known: known.length, max: known.length ? Math.max(...known) : 0, last: known.length ? known[known.length - 1] : null };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
